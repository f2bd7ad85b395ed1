import t from 'tap';
import { isIP } from 'node:net';
import { parseIPv4 } from '../../src/net/ipv4.js';

t.test('dotted quads as Node writes them, and nothing else', async (t) => {
  t.equal(parseIPv4('198.18.0.1'), (198 << 24 >>> 0) + (18 << 16) + 1);
  t.equal(parseIPv4('::ffff:198.18.0.1'), parseIPv4('198.18.0.1'), 'an IPv4 peer on an IPv6 socket');
  t.equal(parseIPv4('0.0.0.0'), 0);
  t.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '::1', 'fd00::1', '1..2.3']) {
    t.equal(parseIPv4(bad), undefined, JSON.stringify(bad));
  }
  for (let i = 0; i < 200; i++) {
    const text = Array.from({ length: 4 }, () => Math.floor(Math.random() * 256)).join('.');
    t.equal(parseIPv4(text) !== undefined, isIP(text) === 4, `agrees with node:net on ${text}`);
  }
});
