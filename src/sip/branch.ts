/** Fresh identifiers: Via branches, From/To tags and Call-IDs. */
import { RandomPool } from './random-pool.js';

/** RFC 3261 §8.1.1.7: the branch starts with the magic cookie and is unique in space and time. */
export const BRANCH_COOKIE = 'z9hG4bK';

/**
 * Shared by the functions below, which take no arguments: every final response needs a To tag,
 * and one CSPRNG call per response was a measurable part of answering a REGISTER.
 */
const pool = new RandomPool();

export function newBranch(): string {
  return BRANCH_COOKIE + pool.hex(12);
}

/** RFC 3261 §19.3: a tag needs at least 32 bits of randomness. */
export function newTag(): string {
  return pool.hex(8);
}

/** RFC 3261 §8.1.1.4: globally unique over space and time. */
export function newCallId(): string {
  return pool.hex(16);
}
