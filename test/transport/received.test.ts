import t from 'tap';
import { Headers } from '../../src/sip/headers.js';
import type { SipRequest } from '../../src/sip/message.js';
import { unmapAddress } from '../../src/net/addresses.js';
import { stampReceived } from '../../src/transport/received.js';

function request(...vias: string[]): SipRequest {
  const headers = new Headers(vias.map((value) => ({ name: 'Via', value })));
  headers.append('Call-ID', 'x');
  return { kind: 'request', method: 'OPTIONS', uri: 'sip:a', headers, body: Buffer.alloc(0) };
}

t.test('RFC 3261 §18.2.1: received only when the sent-by is not the source address', async (t) => {
  const same = request('SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK1');
  t.ok(stampReceived(same, { address: '198.18.0.2', port: 5060 }));
  t.same(same.headers.getAll('via'), ['SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK1'], 'untouched');

  const nat = request('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK2');
  stampReceived(nat, { address: '198.18.0.9', port: 40000 });
  t.same(nat.headers.getAll('via'), ['SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK2;received=198.18.0.9']);

  const name = request('SIP/2.0/TCP phone.example;branch=z9hG4bK3');
  stampReceived(name, { address: '198.18.0.9', port: 40000 });
  t.match(name.headers.getAll('via')[0], /;received=198\.18\.0\.9$/, 'a domain name always differs');
});

t.test('RFC 3581 §4: rport gets the source port and received is added even when equal', async (t) => {
  const r = request('SIP/2.0/UDP 198.18.0.2:5060;rport;branch=z9hG4bK4', 'SIP/2.0/UDP 198.18.0.1;branch=z9hG4bK0');
  stampReceived(r, { address: '198.18.0.2', port: 5062 });
  t.same(r.headers.getAll('via'), [
    'SIP/2.0/UDP 198.18.0.2:5060;rport=5062;branch=z9hG4bK4;received=198.18.0.2',
    'SIP/2.0/UDP 198.18.0.1;branch=z9hG4bK0',
  ]);
  t.equal(r.headers.entries()[0]!.name, 'Via', 'the top Via stays on top');
});

t.test('IPv6 sent-by is compared in canonical form', async (t) => {
  const r = request('SIP/2.0/UDP [2001:DB8:0::1]:5060;branch=z9hG4bK5');
  stampReceived(r, { address: '2001:db8::1', port: 5060 });
  t.equal(r.headers.getAll('via')[0], 'SIP/2.0/UDP [2001:DB8:0::1]:5060;branch=z9hG4bK5');
  const other = request('SIP/2.0/UDP [2001:db8::1];rport;branch=z9hG4bK6');
  stampReceived(other, { address: '2001:db8::2', port: 5070 });
  t.match(other.headers.getAll('via')[0], /;rport=5070;branch=z9hG4bK6;received=2001:db8::2$/);
});

t.test('a request without a readable top Via is reported', async (t) => {
  t.equal(stampReceived(request(), { address: '198.18.0.2', port: 1 }), false);
  t.equal(stampReceived(request('garbage'), { address: '198.18.0.2', port: 1 }), false);
});

t.test('IPv4-mapped IPv6 addresses are written as IPv4', async (t) => {
  t.equal(unmapAddress('::ffff:198.18.0.2'), '198.18.0.2');
  t.equal(unmapAddress('::1'), '::1');
});
