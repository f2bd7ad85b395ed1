/**
 * `npm run fuzz`: the SIP layer's properties (test/helpers/sip-properties.ts) over as many mutated
 * datagrams and chunked streams as fit in FUZZ_SECONDS (default 120, split between the two), from
 * a seed printed first (FUZZ_SEED replays a run). `npm test` runs the same checks over a fixed 2000.
 */
import t from 'tap';
import { DEFAULT_LIMITS } from '../src/sip/limits.js';
import { prng } from '../test/helpers/prng.js';
import { corpus, mutate, validCorpus } from '../test/helpers/sip-corpus.js';
import { checkDatagram, checkStream } from '../test/helpers/sip-properties.js';
import { fuzzSettings, runFor } from './fuzz-settings.js';

const { seconds, seed } = fuzzSettings();
t.comment(`seed ${seed} (FUZZ_SEED=${seed} replays it), ${seconds} s`);

t.test('mutated datagrams', async (t) => {
  const random = prng(seed);
  let parsed = 0;
  const count = runFor(seconds / 2, (i) => {
    const pool = random() < 0.25 ? corpus : validCorpus;
    const data = mutate(pool[Math.floor(random() * pool.length)]!, random);
    const limits = random() < 0.1 ? { ...DEFAULT_LIMITS, maxLineLength: 80, maxHeaders: 8 } : DEFAULT_LIMITS;
    const result = checkDatagram(data, limits);
    if (result.parsed) parsed++;
    if (result.failure === undefined) return true;
    t.fail(`input ${i}: ${result.failure}\n${JSON.stringify(data.toString('latin1'))}`);
    return false;
  });
  t.ok(parsed > 0, `${count} datagrams, ${parsed} of them parsed`);
});

t.test('mutated streams in random chunks', async (t) => {
  const random = prng(seed ^ 0x5f3759df);
  const limits = { ...DEFAULT_LIMITS, maxMessageSize: 4096, maxLineLength: 1024 };
  const count = runFor(seconds / 2, (i) => {
    const stream = Buffer.concat(Array.from({ length: 1 + Math.floor(random() * 5) }, () => mutate(corpus[Math.floor(random() * corpus.length)]!, random)));
    const failure = checkStream(stream, random, limits);
    if (failure === undefined) return true;
    t.fail(`stream ${i}: ${failure}`);
    return false;
  });
  t.ok(count > 0, `${count} streams`);
});
