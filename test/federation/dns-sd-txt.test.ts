import t from 'tap';
import { encodeTxt, readTxt } from '../../src/federation/dns-sd-txt.js';

const b = (s: string) => Buffer.from(s);

t.test('TXT strings: key=value, first key wins, case-insensitive keys, booleans and empty keys skipped (RFC 6763 §6.4)', async (t) => {
  const r = readTxt([b('ID=one'), b('id=two'), b('flag'), b('=x'), b('seq='), b('domain=a=b')]);
  t.same(r.ok && [...r.pairs], [['id', 'one'], ['seq', ''], ['domain', 'a=b']]);
  t.same(readTxt(encodeTxt([['port', '8443']])), { ok: true, pairs: new Map([['port', '8443']]) });
  t.match(readTxt(Array.from({ length: 6 }, () => Buffer.alloc(255))), { ok: false, why: /over 1300/ }, '§6.2');
  t.throws(() => encodeTxt([['k', 'v'.repeat(300)]]), RangeError);
});
