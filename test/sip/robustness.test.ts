import t from 'tap';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { SipParseError } from '../../src/sip/parse-error.js';
import { StreamFramer } from '../../src/sip/stream-framer.js';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import { parseContact, parseNameAddr } from '../../src/sip/name-addr.js';
import { parseVia } from '../../src/sip/via.js';
import { parseCSeq } from '../../src/sip/cseq.js';
import { parseUri } from '../../src/sip/uri.js';
import { corpus, mutate, prng, validCorpus } from '../helpers/sip-corpus.js';

/** Run `fn`; a SipParseError is an allowed outcome, anything else thrown fails the test. */
function survives(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof SipParseError && typeof e.reason === 'string' && e.reason.length > 0) return false;
    throw e;
  }
}

t.test('2000 mutated messages: parse returns or throws SipParseError, nothing else', async (t) => {
  const random = prng(0x5eed);
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    // Mostly valid messages, so that mutations reach past the first check as often as not.
    const data = mutate(i % 4 === 0 ? corpus[i % corpus.length]! : validCorpus[i % validCorpus.length]!, random);
    try {
      if (!survives(() => parseMessage(data))) continue;
      parsed++;
      const m = parseMessage(data);
      // A message that parsed serialises into one that parses to the same fields.
      const again = parseMessage(serializeMessage(m));
      if (JSON.stringify(again.headers.entries().filter((f) => !/^(content-length|l)$/i.test(f.name))) !==
        JSON.stringify(m.headers.entries().filter((f) => !/^(content-length|l)$/i.test(f.name)))) {
        t.fail(`iteration ${i}: round trip changed the fields`);
      }
      for (const v of m.headers.getAll('contact')) survives(() => parseContact(v));
      for (const v of m.headers.getAll('route')) survives(() => parseNameAddr(v));
      for (const v of m.headers.getAll('via')) survives(() => parseVia(v));
      survives(() => parseCSeq(m.headers.get('cseq') ?? ''));
      if (m.kind === 'request') survives(() => parseUri(m.uri));
    } catch (e) {
      t.fail(`iteration ${i}: ${(e as Error).stack}\n${JSON.stringify(data.toString('latin1'))}`);
      return;
    }
  }
  t.ok(parsed > 200, `a fair share still parses (${parsed})`);
  t.ok(parsed < 1900, 'and a fair share is refused');
});

t.test('mutated streams in random chunks: the framer never throws', async (t) => {
  const random = prng(0xf4a3e);
  const limits = { ...DEFAULT_LIMITS, maxMessageSize: 4096, maxLineLength: 1024 };
  for (let i = 0; i < 300; i++) {
    const stream = Buffer.concat(Array.from({ length: 4 }, () => mutate(corpus[Math.floor(random() * corpus.length)]!, random)));
    const framer = new StreamFramer(limits);
    try {
      for (let at = 0; at < stream.length; ) {
        const size = 1 + Math.floor(random() * 300);
        for (const event of framer.push(stream.subarray(at, at + size))) {
          if (event.type === 'message') {
            if (event.data.length > limits.maxMessageSize) t.fail('message over the limit');
            survives(() => parseMessage(event.data, limits));
          }
        }
        at += size;
      }
    } catch (e) {
      t.fail(`stream ${i}: ${(e as Error).stack}`);
      return;
    }
  }
  t.pass('300 streams');
});
