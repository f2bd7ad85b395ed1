/**
 * The SIP fixture corpus (test/fixtures/sip) and seeded mutations of it, for the tests that feed
 * the parsers damaged input.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Random } from './prng.js';

const dir = new URL('../fixtures/sip/', import.meta.url);
export const fixtureFiles = readdirSync(dir).filter((f) => f.endsWith('.sip')).sort();
export const corpus = fixtureFiles.map((f) => readFileSync(new URL(f, dir)));
export const validCorpus = fixtureFiles.filter((f) => f.startsWith('valid-')).map((f) => readFileSync(new URL(f, dir)));

const INTERESTING = Buffer.from('\r\n \t:;,"<>@%[]?=/\\\x00\xff0123456789SIP');

export function mutate(input: Buffer, random: Random): Buffer {
  let data = Buffer.from(input);
  const at = () => Math.floor(random() * (data.length + 1));
  const rounds = 1 + Math.floor(random() * random() * 4);
  for (let r = 0; r < rounds; r++) {
    const p = at();
    const q = Math.min(data.length, p + Math.floor(random() * 40));
    switch (Math.floor(random() * 6)) {
      case 0: // flip one byte
        if (data.length) data[Math.min(p, data.length - 1)] = Math.floor(random() * 256);
        break;
      case 1: // insert a byte that means something to the grammar
        data = Buffer.concat([data.subarray(0, p), INTERESTING.subarray(Math.floor(random() * INTERESTING.length)).subarray(0, 1), data.subarray(p)]);
        break;
      case 2: // delete a range
        data = Buffer.concat([data.subarray(0, p), data.subarray(q)]);
        break;
      case 3: // duplicate a range
        data = Buffer.concat([data.subarray(0, q), data.subarray(p, q), data.subarray(q)]);
        break;
      case 4: // truncate
        data = data.subarray(0, p);
        break;
      default: // splice in a piece of another message
        {
          const other = corpus[Math.floor(random() * corpus.length)]!;
          const o = Math.floor(random() * other.length);
          data = Buffer.concat([data.subarray(0, p), other.subarray(o, o + Math.floor(random() * 60)), data.subarray(q)]);
        }
    }
  }
  return data;
}
