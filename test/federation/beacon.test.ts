import t from 'tap';
import { encodeBeacon, MAX_BEACON_BYTES, parseBeacon } from '../../src/federation/beacon.js';

const ID = 'abcdefghijklmnopqrstuvwxyz';
const B = { id: ID, domain: 'node2.mesh', address: '198.18.0.2', port: 8443, seq: 7 };

t.test('a beacon is one line that reads back as written, IPv4 or IPv6', async (t) => {
  t.equal(encodeBeacon(B), `trucada1 ${ID} node2.mesh 198.18.0.2 8443 7\n`);
  t.same(parseBeacon(encodeBeacon(B)), { ok: true, beacon: B });
  const v6 = { ...B, address: 'fd00:198:18::2' };
  t.same(parseBeacon(Buffer.from(encodeBeacon(v6))), { ok: true, beacon: v6 });
});

t.test('the longest beacon (a 141-character domain, a full IPv6 address) fits a bmx6 sms; one more character does not', async (t) => {
  const longest = { ...B, domain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(13)}`, address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535, seq: 999_999_999_999_999 };
  t.ok(Buffer.byteLength(encodeBeacon(longest)) <= MAX_BEACON_BYTES);
  t.throws(() => encodeBeacon({ ...longest, domain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(14)}` }), /over 240 bytes/);
});

t.test('anything else is refused with a reason', async (t) => {
  const cases: [string, RegExp][] = [
    ['hello', /does not start with trucada1/],
    [`trucada1 ${ID} node2.mesh 198.18.0.2 8443`, /not six words/],
    [`trucada1 ${ID} node2.mesh 198.18.0.2 8443 7 extra`, /not six words/],
    [`trucada1 ${ID.toUpperCase()} node2.mesh 198.18.0.2 8443 7`, /id is not a node id/],
    [`trucada1 ${ID} Node2..mesh 198.18.0.2 8443 7`, /domain/],
    [`trucada1 ${ID} node2.mesh node2.mesh 8443 7`, /address is not an IP address/],
    [`trucada1 ${ID} node2.mesh 198.18.0.2 0 7`, /port is not 1-65535/],
    [`trucada1 ${ID} node2.mesh 198.18.0.2 99999 7`, /port is not 1-65535/],
    [`trucada1 ${ID} node2.mesh 198.18.0.2 8443 -1`, /not a number/],
    [`trucada1 ${ID} node2.mesh 198.18.0.2 8443 1e3`, /not a number/],
    ['x'.repeat(241), /larger than 240 bytes/],
  ];
  for (const [text, why] of cases) t.match(parseBeacon(text), { ok: false, why }, text.slice(0, 60));
});
