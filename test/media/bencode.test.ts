import t from 'tap';
import { BencodeError, decode, encode } from '../../src/media/bencode.js';

t.test('encodes BEP 3 values, dictionary keys sorted, undefined left out', async (t) => {
  t.equal(encode('spam').toString(), '4:spam');
  t.equal(encode('').toString(), '0:');
  t.equal(encode(3).toString(), 'i3e');
  t.equal(encode(-3).toString(), 'i-3e');
  t.equal(encode(0).toString(), 'i0e');
  t.equal(encode(['spam', 'eggs']).toString(), 'l4:spam4:eggse');
  t.equal(encode({ spam: ['a', 'b'], cow: 'moo', none: undefined }).toString(), 'd3:cow3:moo4:spaml1:a1:bee');
  t.equal(encode('ñ').toString('latin1'), '2:\xc3\xb1', 'lengths count bytes');
  t.throws(() => encode(1.5), RangeError);
});

t.test('decodes what it encodes, and what rtpengine sends', async (t) => {
  const value = { command: 'offer', flags: ['trust-address', 'SIP-source-address'], 'call-id': 'a@b', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n', n: 42, nested: { list: [1, [2, { x: 'y' }]] } };
  t.same(decode(encode(value)), value);
  t.same(decode(Buffer.from('d6:result4:ponge')), { result: 'pong' });
  t.same(decode(Buffer.from('abc d6:result2:oke'), 4), { result: 'ok' }, 'from an offset (after the cookie)');
  t.same(decode(Buffer.from('d1:b1:x1:a1:ye')), { b: 'x', a: 'y' }, 'unsorted keys are tolerated');
});

t.test('refuses malformed input with the byte where it went wrong', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['', /unexpected end at byte 0/],
    ['i03e', /bad integer/],
    ['i-0e', /bad integer/],
    ['i1.5e', /bad integer/],
    ['ie', /bad integer/],
    ['i12345678901234567e', /bad integer/],
    ['i9999999999999999e', /integer too large/],
    ['5:abc', /runs past the end/],
    ['05:abcde', /bad string length/],
    ['x', /bad string length/],
    ['l4:spam', /unexpected end/],
    ['d4:spam', /unexpected end/],
    ['di1e1:xe', /key is not a string at byte 1/],
    ['4:spamX', /trailing bytes at byte 6/],
    ['l'.repeat(40) + 'e'.repeat(40), /nested too deeply/],
  ];
  for (const [text, message] of bad) t.throws(() => decode(Buffer.from(text)), { name: 'Error', message }, JSON.stringify(text.slice(0, 20)));
  t.ok(new BencodeError(3, 'x') instanceof Error);
});

t.test('a key named __proto__ is an ordinary key', async (t) => {
  const d = decode(Buffer.from('d9:__proto__d1:a1:bee')) as Record<string, unknown>;
  t.same(Object.keys(d), ['__proto__']);
  t.equal(({} as Record<string, unknown>).a, undefined, 'no prototype was touched');
});
