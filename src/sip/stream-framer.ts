/**
 * Cut a TCP or TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3), and pick out
 * the CRLF keep-alives of RFC 5626 §3.5.1 between them.
 *
 * Bytes are scanned once: the search for the empty line resumes where the last chunk ended, and
 * the limits are applied as bytes arrive (a header section growing past `maxMessageSize`, a line
 * past `maxLineLength`, a Content-Length that would pass `maxMessageSize` is refused before the
 * body is waited for). After an error the framing is lost and the stream must be closed; when the
 * header section was complete and readable, the error carries it as `partial` so the request can
 * still be answered before the close.
 *
 * ```
 *   boundary --(other byte)--> head --(empty line, Content-Length read)--> body --(complete)--> boundary
 *      | CRLF CRLF: ping    CRLF alone: pong    LF: ignored (§7.5)
 * ```
 */
import type { ParseLimits } from './limits.js';
import type { SipMessage } from './message.js';
import { SipParseError } from './parse-error.js';
import { parseMessage } from './parser.js';

export type FramerEvent =
  | { type: 'message'; data: Buffer }
  /** CRLFCRLF keep-alive: the transport answers with a CRLF pong (RFC 5626 §4.4.1). */
  | { type: 'ping' }
  /** A lone CRLF: the peer's pong. */
  | { type: 'pong' }
  | { type: 'error'; error: SipParseError };

const CR = 0x0d;
const LF = 0x0a;

export class StreamFramer {
  private buf = Buffer.alloc(0);
  /** Unconsumed bytes are buf[start, end); the offsets below are relative to `start`. */
  private start = 0;
  private end = 0;
  private state: 'boundary' | 'head' | 'body' | 'failed' = 'boundary';
  private scanned = 0;
  private lineStart = 0;
  private messageLength = 0;
  /**
   * A CRLF was reported as a pong with nothing after it yet. If the next bytes are a CRLF, the
   * two were a ping split across chunks: reporting the first as a pong meanwhile is harmless (it
   * only proves the peer alive), and the ping is still answered.
   */
  private halfPing = false;

  constructor(private readonly limits: ParseLimits) {}

  /** A message has begun and is not whole yet: the transport bounds how long it may take. */
  get inMessage(): boolean {
    return this.state === 'head' || this.state === 'body';
  }

  push(chunk: Buffer): FramerEvent[] {
    if (this.state === 'failed') return [];
    this.append(chunk);
    const events: FramerEvent[] = [];
    for (let event = this.next(); event; event = this.next()) {
      events.push(event);
      if (event.type === 'error') {
        this.state = 'failed';
        this.buf = Buffer.alloc(0);
        this.start = this.end = 0;
        break;
      }
    }
    return events;
  }

  private next(): FramerEvent | undefined {
    if (this.state === 'boundary') return this.boundary();
    if (this.state === 'head') return this.head();
    if (this.state === 'body') return this.body();
    return undefined;
  }

  private boundary(): FramerEvent | undefined {
    const b = this.buf;
    while (this.start < this.end) {
      const avail = this.end - this.start;
      if (b[this.start] === LF) {
        this.start++;
        this.halfPing = false;
      } else if (b[this.start] === CR && (avail < 2 || b[this.start + 1] === LF)) {
        if (avail < 2) return undefined;
        if (this.halfPing) {
          this.halfPing = false;
          this.start += 2;
          return { type: 'ping' };
        }
        if (avail >= 4 && b[this.start + 2] === CR && b[this.start + 3] === LF) {
          this.start += 4;
          return { type: 'ping' };
        }
        if (avail === 3 && b[this.start + 2] === CR) return undefined;
        this.start += 2;
        this.halfPing = avail === 2;
        return { type: 'pong' };
      } else {
        this.halfPing = false;
        this.state = 'head';
        this.scanned = 0;
        this.lineStart = 0;
        return this.head();
      }
    }
    return undefined;
  }

  private head(): FramerEvent | undefined {
    const { maxLineLength, maxMessageSize } = this.limits;
    const b = this.buf;
    const avail = this.end - this.start;
    for (let i = this.scanned; i < avail; i++) {
      if (b[this.start + i] === LF) {
        const lineEnd = i > this.lineStart && b[this.start + i - 1] === CR ? i - 1 : i;
        if (lineEnd - this.lineStart > maxLineLength) return error('LINE_TOO_LONG', 'Header line too long');
        if (lineEnd === this.lineStart) return this.headComplete(i + 1);
        this.lineStart = i + 1;
      } else if (i - this.lineStart > maxLineLength) {
        return error('LINE_TOO_LONG', 'Header line too long');
      }
    }
    this.scanned = avail;
    if (avail > maxMessageSize) return error('TOO_LARGE', 'Message too large');
    return undefined;
  }

  private headComplete(headLength: number): FramerEvent | undefined {
    if (headLength > this.limits.maxMessageSize) return error('TOO_LARGE', 'Message too large');
    const length = contentLength(this.buf.toString('latin1', this.start, this.start + headLength));
    if (length instanceof SipParseError) return this.headError(length, headLength);
    if (headLength + length > this.limits.maxMessageSize) {
      return this.headError(new SipParseError('TOO_LARGE', 'Message too large'), headLength);
    }
    this.messageLength = headLength + length;
    this.state = 'body';
    return this.body();
  }

  /**
   * An error found once the whole header section is in (and within the limits): the head is parsed
   * on its own, with no body, so the transport can answer a request by its Via (RFC 3261 §8.2.6)
   * rather than only close the stream.
   */
  private headError(err: SipParseError, headLength: number): FramerEvent {
    const partial = parseHead(this.buf.subarray(this.start, this.start + headLength), this.limits);
    return { type: 'error', error: partial ? new SipParseError(err.code, err.reason, partial) : err };
  }

  private body(): FramerEvent | undefined {
    if (this.end - this.start < this.messageLength) return undefined;
    const data = Buffer.from(this.buf.subarray(this.start, this.start + this.messageLength));
    this.start += this.messageLength;
    this.state = 'boundary';
    return { type: 'message', data };
  }

  /** Amortised O(1) per byte: the store doubles when full and is compacted before it grows. */
  private append(chunk: Buffer): void {
    const held = this.end - this.start;
    if (held === 0 && this.buf.length > 4 * this.limits.maxMessageSize) this.buf = Buffer.alloc(0);
    if (this.end + chunk.length > this.buf.length) {
      const needed = held + chunk.length;
      if (needed > this.buf.length) {
        const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.buf.length, 4096));
        this.buf.copy(grown, 0, this.start, this.end);
        this.buf = grown;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = held;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }
}

/**
 * The body length named by the header section (§18.3: mandatory on a stream). Several fields
 * must agree; folded values are unfolded first (§7.3.1).
 */
function contentLength(head: string): number | SipParseError {
  const lines = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  const values: string[] = [];
  for (const line of lines.slice(1)) {
    const m = /^(content-length|l)[ \t]*:(.*)$/i.exec(line);
    if (m) values.push(m[2]!.trim());
  }
  if (values.length === 0) return new SipParseError('MISSING_CONTENT_LENGTH', 'Missing Content-Length header');
  if (!values.every((v) => /^\d+$/.test(v) && Number(v) === Number(values[0]))) {
    return new SipParseError('BAD_CONTENT_LENGTH', 'Bad Content-Length header');
  }
  return Number(values[0]);
}

/** The message a header section describes, as far as it can be read; undefined when it cannot. */
function parseHead(head: Buffer, limits: ParseLimits): SipMessage | undefined {
  try {
    return parseMessage(head, limits);
  } catch (err) {
    // Its Content-Length promises a body that is not there, or some field is bad: the start line
    // and headers may still have been read.
    return err instanceof SipParseError ? err.partial : undefined;
  }
}

function error(code: string, reason: string): FramerEvent {
  return { type: 'error', error: new SipParseError(code, reason) };
}
