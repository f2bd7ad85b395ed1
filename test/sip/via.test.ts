import t from 'tap';
import { formatVia, parseVia, topVia } from '../../src/sip/via.js';
import { Headers } from '../../src/sip/headers.js';
import { formatCSeq, parseCSeq } from '../../src/sip/cseq.js';

t.test('Via: sent-protocol, sent-by and parameters', async (t) => {
  const v = parseVia('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds;rport;received=192.0.2.7');
  t.same([v.protocol, v.transport, v.host, v.port], ['SIP/2.0', 'UDP', '10.0.0.1', 5060]);
  t.same([v.params.get('branch'), v.params.get('rport'), v.params.get('received')], ['z9hG4bK776asdhds', null, '192.0.2.7']);
  t.equal(formatVia(v), 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds;rport;received=192.0.2.7');
});

t.test('Via: whitespace around / and :, case, IPv6, WebSocket hosts', async (t) => {
  const v = parseVia(' sip / 2.0 / tcp\t Relay.Node1.MESH : 5062 ; branch = z9hG4bKx ');
  t.same([v.protocol, v.transport, v.host, v.port, v.params.get('branch')], ['SIP/2.0', 'TCP', 'relay.node1.mesh', 5062, 'z9hG4bKx']);
  t.equal(formatVia(v), 'SIP/2.0/TCP relay.node1.mesh:5062;branch=z9hG4bKx');
  const six = parseVia('SIP/2.0/TLS [2001:DB8::7];branch=z9hG4bK6;received=2001:db8::7');
  t.same([six.host, six.port], ['[2001:db8::7]', undefined]);
  t.equal(formatVia({ ...six, host: '::1', port: 5061 }), 'SIP/2.0/TLS [::1]:5061;branch=z9hG4bK6;received=2001:db8::7');
  t.equal(parseVia('SIP/2.0/WSS k8jd2s1.invalid;branch=z9hG4bKw').host, 'k8jd2s1.invalid');
});

t.test('Via: malformed values', async (t) => {
  for (const bad of [
    '',
    'SIP/2.0/UDP',
    'SIP/2.0 10.0.0.1',
    'SIP/2.0/UDP10.0.0.1',
    'SIP/2.0/UDP 10.0.0.1:65536',
    'SIP/2.0/UDP 10.0.0.1:',
    'SIP/2.0/UDP [2001:db8::g1]',
    'SIP/2.0/UDP 10.0.0.1;;branch=z9hG4bK1',
    'SIP/2.0/UDP 10.0.0.1;branch=',
    'SIP/2.0/UDP 10.0.0.1 junk',
  ]) {
    t.throws(() => parseVia(bad), { code: 'BAD_VIA', reason: 'Bad Via header' }, JSON.stringify(bad));
  }
});

t.test('CSeq: number below 2**31 and a method token (RFC 3261 §8.1.1.5)', async (t) => {
  t.same(parseCSeq('4711 INVITE'), { seq: 4711, method: 'INVITE' });
  t.same(parseCSeq(' 0 \t ACK '), { seq: 0, method: 'ACK' });
  t.same(parseCSeq('2147483647 REGISTER'), { seq: 2147483647, method: 'REGISTER' });
  t.equal(formatCSeq({ seq: 12, method: 'BYE' }), '12 BYE');
  for (const bad of ['2147483648 INVITE', '36893488147419103232 INVITE', '-1 INVITE', '1', 'INVITE', '1 IN VITE', '1.5 INVITE', '1 INV;TE']) {
    t.throws(() => parseCSeq(bad), { code: 'BAD_CSEQ', reason: 'Bad CSeq header' }, bad);
  }
});

t.test('topVia: the first Via value, whether on its own line or first in a list', async (t) => {
  const message = (...vias: string[]) => {
    const headers = new Headers();
    for (const v of vias) headers.append('Via', v);
    return { kind: 'response' as const, status: 200, reason: 'OK', headers, body: Buffer.alloc(0) };
  };
  t.equal(topVia(message('SIP/2.0/UDP a.mesh;branch=z9hG4bK1, SIP/2.0/TCP b.mesh;branch=z9hG4bK2'))?.host, 'a.mesh');
  t.equal(topVia(message('SIP/2.0/WS x.invalid;branch=z9hG4bK3', 'SIP/2.0/UDP b.mesh'))?.params.get('branch'), 'z9hG4bK3');
  t.equal(topVia(message()), undefined, 'no Via');
  t.equal(topVia(message('not a via')), undefined, 'an unreadable one');
});
