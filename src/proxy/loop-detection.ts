/**
 * Loop detection (RFC 3261 §16.3 item 4, §16.6 step 8): the node's branch parameter carries a hash
 * of the fields that change when a request spirals legitimately (Request-URI, From and To tags,
 * Call-ID, CSeq). A request that comes back with a Via of the node holding the hash of the request
 * as it is now has been here in this very state: a loop (482), not a spiral. The hash is salted per
 * node: federated nodes forward the same request unchanged, and a peer's Via must not read as ours
 * (§16.3 item 4 asks for a Via this proxy placed, not one like it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { BRANCH_COOKIE, newBranch } from '../sip/branch.js';
import type { SipRequest } from '../sip/message.js';
import { tagOf } from '../sip/name-addr.js';
import { parseVia } from '../sip/via.js';

/** Marks the node's own branches, so only they are read for a hash. */
const MARK = 'tc';

/** A node's own salt, made once per proxy. */
export function loopSalt(): string {
  return randomBytes(8).toString('hex');
}

/** The tags are the request's own; a caller that has read them already passes them in. */
export function loopHash(req: SipRequest, salt: string, fromTag = tagOf(req.headers.get('from')) ?? '', toTag = tagOf(req.headers.get('to')) ?? ''): string {
  const h = req.headers;
  const fields = [salt, req.uri, fromTag, toTag, h.get('call-id') ?? '', h.get('cseq') ?? ''];
  return createHash('sha1').update(fields.join('\n')).digest('hex').slice(0, 10);
}

/** A branch for a request the node forwards: its loop hash, then fresh randomness (§8.1.1.7). */
export function proxyBranch(hash: string): string {
  return `${BRANCH_COOKIE}${MARK}${hash}.${newBranch().slice(BRANCH_COOKIE.length)}`;
}

/** §16.3 item 4: one of the Vias is the node's, with this request's hash. */
export function isLoop(req: SipRequest, hash: string): boolean {
  const prefix = `${BRANCH_COOKIE}${MARK}${hash}.`;
  for (const value of req.headers.getAll('via')) {
    if (!value.includes(prefix)) continue;
    try {
      if (parseVia(value).params.get('branch')?.startsWith(prefix)) return true;
    } catch {
      // An unreadable Via is not the node's.
    }
  }
  return false;
}
