/**
 * The answer of a STUN server to one datagram (RFC 8489 §6.3, §11): a Binding success response with
 * the address the request came from; an error response for a request it cannot serve; nothing for
 * anything else. No state, no sockets: the UDP responder on `stun_port` and, for RFC 5626 STUN
 * keep-alives, the SIP UDP transport both call it.
 */
import { encodeMappedAddress, encodeXorMappedAddress, type TransportAddress } from './address.js';
import { decodeHeader, decodeStunMessage, encodeStunMessage, isStunMessage } from './codec.js';
import { ATTR, KNOWN_REQUIRED_ATTRIBUTES, MAGIC_COOKIE, METHOD_BINDING } from './constants.js';
import { encodeErrorCode, encodeUnknownAttributes } from './error-attributes.js';
import type { StunAttribute, StunHeader, StunMessage } from './message.js';
import { answerPlainBinding } from './plain-binding.js';
import { StunError } from './stun-error.js';

export interface BindingAnswerOptions {
  /** SOFTWARE (RFC 8489 §14.14) put in every answer to an RFC 5389/8489 client; none when absent. */
  readonly software?: Buffer;
}

function respond(request: StunHeader, cls: 'success' | 'error', attributes: StunAttribute[], options: BindingAnswerOptions): Buffer {
  const modern = request.cookie === MAGIC_COOKIE;
  // RFC 8489 §11: an RFC 3489 client gets neither SOFTWARE nor FINGERPRINT, which it may not know.
  if (modern && options.software) attributes.push({ type: ATTR.SOFTWARE, value: options.software });
  const response: StunMessage = { method: request.method, cls, cookie: request.cookie, transactionId: request.transactionId, attributes };
  return encodeStunMessage(response, { fingerprint: modern });
}

function errorResponse(request: StunHeader, code: number, reason: string, options: BindingAnswerOptions, extra: StunAttribute[] = []): Buffer {
  return respond(request, 'error', [{ type: ATTR.ERROR_CODE, value: encodeErrorCode({ code, reason }) }, ...extra], options);
}

/**
 * The datagram to send back to `remote` for `datagram`, or undefined to send nothing: not STUN, a
 * bad FINGERPRINT, an indication or a response (RFC 8489 §6.3: only requests are answered).
 */
export function answerStunBinding(datagram: Buffer, remote: TransportAddress, options: BindingAnswerOptions = {}): Buffer | undefined {
  if (!isStunMessage(datagram)) return undefined;
  return answerPlainBinding(datagram, remote, options.software) ?? answerStunBindingExact(datagram, remote, options);
}

/** The general path, message objects and all: every request, the unusual and the malformed too. */
export function answerStunBindingExact(datagram: Buffer, remote: TransportAddress, options: BindingAnswerOptions = {}): Buffer | undefined {
  if (!isStunMessage(datagram)) return undefined;
  const header = decodeHeader(datagram);
  if (header.cls !== 'request') return undefined;
  let request: StunMessage;
  try {
    request = decodeStunMessage(datagram);
  } catch (err) {
    // RFC 8489 §6.3: a message that fails the FINGERPRINT check is not STUN and is dropped silently.
    if (err instanceof StunError && err.code === 'MALFORMED') return errorResponse(header, 400, err.message, options);
    return undefined;
  }
  // This server knows one method; a request for another cannot be served as asked.
  if (request.method !== METHOD_BINDING) return errorResponse(header, 400, 'only Binding is served here', options);

  // RFC 8489 §6.3.1: unknown comprehension-required attributes (below 0x8000) get 420, listed.
  const unknown = [...new Set(request.attributes.map((a) => a.type).filter((t) => t < 0x8000 && !KNOWN_REQUIRED_ATTRIBUTES.has(t)))];
  if (unknown.length > 0) {
    const list = { type: ATTR.UNKNOWN_ATTRIBUTES, value: encodeUnknownAttributes(unknown) };
    return errorResponse(header, 420, 'Unknown Attribute', options, [list]);
  }

  // RFC 8489 §11: the magic cookie tells RFC 5389/8489 clients (XOR-MAPPED-ADDRESS) from RFC 3489 ones.
  const mapped =
    request.cookie === MAGIC_COOKIE
      ? { type: ATTR.XOR_MAPPED_ADDRESS, value: encodeXorMappedAddress(remote, request.transactionId) }
      : { type: ATTR.MAPPED_ADDRESS, value: encodeMappedAddress(remote) };
  return respond(request, 'success', [mapped], options);
}
