/**
 * What every transport does with one received SIP message: parse it, mark the top Via of a request
 * with where it really came from, answer what cannot be parsed, and hand the rest to the sink.
 */
import type { Logger } from '../log.js';
import type { RateLimiter } from '../net/rate-limit.js';
import type { SipMessage, SipRequest } from '../sip/message.js';
import type { ParseLimits } from '../sip/limits.js';
import { SipParseError } from '../sip/parse-error.js';
import { parseMessage } from '../sip/parser.js';
import { createResponse } from '../sip/response.js';
import { writeVia, topVia } from '../sip/via.js';
import { canonicalHost } from '../net/addresses.js';
import type { Flow, FlowEnd, MessageSink } from '../sip/flow.js';
import type { RateLimitedLog } from './rate-limited-log.js';

export interface ReceiveContext {
  readonly sink: MessageSink;
  readonly limits: ParseLimits;
  readonly logger: Logger;
  /** Warnings about malformed input, capped so a flood cannot fill the log. */
  readonly warnings: RateLimitedLog;
  /** Requests taken per source address; absent: no limit. */
  readonly requests?: RateLimiter;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Whether the bytes start as a Status-Line (`SIP/2.0 …`, RFC 3261 §7.2, the version compared
 * case-insensitively) after any empty lines (§7.5), rather than as a request.
 */
function isResponse(data: Buffer): boolean {
  let i = 0;
  while (i < data.length && (data[i] === CR || data[i] === LF)) i++;
  return data.toString('latin1', i, i + 4).toUpperCase() === 'SIP/';
}

/**
 * RFC 3261 §18.2.1: add `received` when the top Via's sent-by differs from the source address;
 * RFC 3581 §4: when the Via has `rport`, fill in the source port, and add `received` even when the
 * address matches. False when the request has no top Via that can be read.
 */
export function stampReceived(request: SipRequest, source: { address: string; port: number }): boolean {
  const via = topVia(request);
  if (via === undefined) return false;
  const address = canonicalHost(source.address);
  const rport = via.params.has('rport');
  if (!rport && canonicalHost(via.host) === address) return true;
  const params = new Map(via.params);
  params.set('received', address);
  if (rport) params.set('rport', String(source.port));
  request.headers.shift('via');
  request.headers.prepend('Via', writeVia({ ...via, params }));
  return true;
}

/** Parse one whole message (a datagram, a WebSocket message, a framed TCP message) and deliver it. */
export function receiveMessage(data: Buffer, flow: Flow, ctx: ReceiveContext): void {
  // Over the limit, a request is dropped before it costs a parse; responses end the node's own
  // transactions and are never limited.
  if (ctx.requests !== undefined && !isResponse(data) && !ctx.requests.allow(flow.remoteAddress)) {
    ctx.warnings.warn(`requests from ${flow.remoteAddress} over request_rate: dropped`);
    return;
  }
  let message: SipMessage;
  try {
    message = parseMessage(data, ctx.limits);
  } catch (err) {
    rejectMalformed(err, flow, ctx);
    return;
  }
  if (message.kind === 'request' && !stampReceived(message, { address: flow.remoteAddress, port: flow.remotePort })) {
    answer(message, 400, 'Missing or Malformed Via', flow, ctx);
    return;
  }
  deliver(message, flow, ctx);
}

/**
 * A message that could not be parsed: a request whose start line and headers were readable far
 * enough gets `400 <reason>` (505 or 513 where the error says so) on its flow; anything else is
 * dropped with a (capped) warning.
 */
export function rejectMalformed(err: unknown, flow: Flow, ctx: ReceiveContext): void {
  if (!(err instanceof SipParseError)) {
    ctx.logger.error(`parser failure on a message from ${flow.id}: ${String(err)}`);
    return;
  }
  const partial = err.partial;
  if (partial?.kind === 'request') {
    answer(partial, err.status, err.reason, flow, ctx);
    return;
  }
  ctx.warnings.warn(`dropped a malformed message from ${describe(flow)}: ${err.code} ${err.reason}`);
}

function answer(request: SipRequest, status: number, reason: string, flow: Flow, ctx: ReceiveContext): void {
  ctx.warnings.warn(`answered ${status} ${reason} to ${request.method} from ${describe(flow)}`);
  // RFC 3261 §17.2.1: an ACK is never answered.
  if (request.method === 'ACK') return;
  try {
    flow.send(createResponse(request, status, reason));
  } catch (err) {
    ctx.logger.debug(`could not answer ${status} to ${describe(flow)}: ${String(err)}`);
  }
}

function deliver(message: SipMessage, flow: Flow, ctx: ReceiveContext): void {
  try {
    ctx.sink.onMessage(message, flow);
  } catch (err) {
    // A fault above must not take the socket (or the process) down with it.
    ctx.logger.error(`message handler failed for a message from ${flow.id}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
}

/** Tell the sink a connection-oriented flow has gone. */
export function deliverClosed(flow: Flow, end: FlowEnd, ctx: ReceiveContext): void {
  try {
    ctx.sink.onFlowClosed(flow, end);
  } catch (err) {
    ctx.logger.error(`flow-closed handler failed for ${flow.id}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
}

function describe(flow: Flow): string {
  return `${flow.transport} ${flow.remoteAddress} port ${flow.remotePort}`;
}
