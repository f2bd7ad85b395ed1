import t from 'tap';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import { prng } from '../helpers/prng.js';
import { corpus, mutate, validCorpus } from '../helpers/sip-corpus.js';
import { checkDatagram, checkStream } from '../helpers/sip-properties.js';

t.test('2000 mutated messages: parse returns or throws SipParseError, nothing else', async (t) => {
  const random = prng(0x5eed);
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    // Mostly valid messages, so that mutations reach past the first check as often as not.
    const data = mutate(i % 4 === 0 ? corpus[i % corpus.length]! : validCorpus[i % validCorpus.length]!, random);
    const result = checkDatagram(data);
    if (result.failure !== undefined) {
      t.fail(`iteration ${i}: ${result.failure}\n${JSON.stringify(data.toString('latin1'))}`);
      return;
    }
    if (result.parsed) parsed++;
  }
  t.ok(parsed > 200, `a fair share still parses (${parsed})`);
  t.ok(parsed < 1900, 'and a fair share is refused');
});

t.test('mutated streams in random chunks: the framer never throws', async (t) => {
  const random = prng(0xf4a3e);
  const limits = { ...DEFAULT_LIMITS, maxMessageSize: 4096, maxLineLength: 1024 };
  for (let i = 0; i < 300; i++) {
    const stream = Buffer.concat(Array.from({ length: 4 }, () => mutate(corpus[Math.floor(random() * corpus.length)]!, random)));
    const failure = checkStream(stream, random, limits);
    if (failure !== undefined) {
      t.fail(`stream ${i}: ${failure}`);
      return;
    }
  }
  t.pass('300 streams');
});
