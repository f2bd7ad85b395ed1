/**
 * What must hold for any input the SIP layer reads from the network, checked one input at a time:
 * the robustness tests run these over a fixed number of seeded mutations, `npm run fuzz` over as
 * many as fit in its time. Each returns a description of what broke, or undefined.
 */
import { readHeadExact, readPlainHead } from '../../src/sip/head.js';
import { DEFAULT_LIMITS, type ParseLimits } from '../../src/sip/limits.js';
import { parseContact, parseNameAddr } from '../../src/sip/name-addr.js';
import { SipParseError } from '../../src/sip/parse-error.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { StreamFramer } from '../../src/sip/stream-framer.js';
import { parseCSeq } from '../../src/sip/cseq.js';
import { parseUri } from '../../src/sip/uri.js';
import { parseVia } from '../../src/sip/via.js';
import type { Random } from './prng.js';

/** Run `fn`; a SipParseError with a reason is an allowed outcome, anything else thrown is not. */
function survives(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof SipParseError && typeof e.reason === 'string' && e.reason.length > 0) return false;
    throw e;
  }
}

const withoutLength = (fields: readonly { name: string; value: string }[]) =>
  JSON.stringify(fields.filter((f) => !/^(content-length|l)$/i.test(f.name)));

/**
 * One datagram: parsing returns or throws SipParseError; a message that parsed serialises into one
 * that parses to the same fields, and its structured headers parse or throw SipParseError; where
 * the plain head reading answers, it answers as the exact one. `parsed` says whether it parsed.
 */
export function checkDatagram(data: Buffer, limits: ParseLimits = DEFAULT_LIMITS): { parsed: boolean; failure?: string } {
  try {
    const plain = readPlainHead(data, limits);
    if (plain !== undefined) {
      const exact = readHeadExact(data, limits);
      if (exact.startLine !== plain.startLine || exact.bodyStart !== plain.bodyStart || JSON.stringify(exact.headers.entries()) !== JSON.stringify(plain.headers.entries())) {
        return { parsed: false, failure: 'the plain head reading differs from the exact one' };
      }
    }
    if (!survives(() => parseMessage(data, limits))) return { parsed: false };
    const m = parseMessage(data, limits);
    // Under the default limits: the serialiser adds a Content-Length that a datagram may omit.
    const again = parseMessage(serializeMessage(m));
    if (withoutLength(again.headers.entries()) !== withoutLength(m.headers.entries())) return { parsed: true, failure: 'the round trip changed the fields' };
    for (const v of m.headers.getAll('contact')) survives(() => parseContact(v));
    for (const v of m.headers.getAll('route')) survives(() => parseNameAddr(v));
    for (const v of m.headers.getAll('via')) survives(() => parseVia(v));
    survives(() => parseCSeq(m.headers.get('cseq') ?? ''));
    if (m.kind === 'request') survives(() => parseUri(m.uri));
    return { parsed: true };
  } catch (e) {
    return { parsed: false, failure: (e as Error).stack ?? String(e) };
  }
}

/** One byte stream cut in random chunks: the framer never throws nor frames more than the limit. */
export function checkStream(stream: Buffer, random: Random, limits: ParseLimits): string | undefined {
  const framer = new StreamFramer(limits);
  try {
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * 300);
      for (const event of framer.push(stream.subarray(at, at + size))) {
        if (event.type !== 'message') continue;
        if (event.data.length > limits.maxMessageSize) return 'a message over the limit';
        const { failure } = checkDatagram(event.data, limits);
        if (failure !== undefined) return failure;
      }
      at += size;
    }
    return undefined;
  } catch (e) {
    return (e as Error).stack ?? String(e);
  }
}
