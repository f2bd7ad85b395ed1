/**
 * A request the node sends as a user agent of its own (RFC 3261 §8.1.1): a MESSAGE with a stored
 * message or a missed-call summary, an OPTIONS keep-alive. Fresh Call-ID, From tag and branch; the
 * Via is the node's on the flow it leaves on.
 */
import { newBranch, newCallId, newTag } from '../sip/branch.js';
import { Headers } from '../sip/headers.js';
import { NO_BODY, type SipRequest } from '../sip/message.js';
import { formatNameAddr, parseNameAddr } from '../sip/name-addr.js';
import type { Flow } from '../sip/flow.js';
import type { LocalAddresses } from '../net/local-address.js';
import { viaFor } from './forward.js';

export interface NodeRequestSpec {
  method: string;
  /** The Request-URI: a binding's Contact. */
  uri: string;
  /** The From name-addr; any tag it had is replaced by a fresh one (§8.1.1.3). */
  from: string;
  to: string;
  flow: Flow;
  headers?: Record<string, string>;
  body?: Buffer;
}

export function nodeRequest(spec: NodeRequestSpec, addresses: LocalAddresses): SipRequest {
  const headers = new Headers();
  headers.append('Via', viaFor(spec.flow, newBranch(), addresses));
  headers.append('Max-Forwards', '70');
  headers.append('From', withFreshTag(spec.from));
  headers.append('To', spec.to);
  headers.append('Call-ID', newCallId());
  headers.append('CSeq', `1 ${spec.method}`);
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers.append(name, value);
  return { kind: 'request', method: spec.method, uri: spec.uri, headers, body: spec.body ?? NO_BODY };
}

function withFreshTag(from: string): string {
  const parsed = parseNameAddr(from);
  const addr = { ...parsed, params: new Map([...parsed.params, ['tag', newTag()]]) };
  return formatNameAddr(addr);
}
