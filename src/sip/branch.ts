/** Fresh identifiers: Via branches, From/To tags and Call-IDs. */
import { randomBytes } from 'node:crypto';

/** RFC 3261 §8.1.1.7: the branch starts with the magic cookie and is unique in space and time. */
export const BRANCH_COOKIE = 'z9hG4bK';

export function newBranch(): string {
  return BRANCH_COOKIE + randomBytes(12).toString('hex');
}

/** RFC 3261 §19.3: a tag needs at least 32 bits of randomness. */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** RFC 3261 §8.1.1.4: globally unique over space and time. */
export function newCallId(): string {
  return randomBytes(16).toString('hex');
}
