import t from 'tap';
import { udpReach, type UdpRegistration } from '../../src/registrar/udp-reach.js';

const SOURCE = { transport: 'udp', remoteAddress: '198.18.0.7', remotePort: 40000 } as const;

function reach(o: Partial<UdpRegistration>) {
  return udpReach({ contact: 'sip:bob@198.18.0.7:5070', viaHost: '198.18.0.7', source: SOURCE, outbound: false, ...o });
}

t.test('no sign of NAT: the Contact', async (t) => {
  t.same(reach({}), { transport: 'udp', remoteAddress: '198.18.0.7', remotePort: 5070 }, 'another port than the source, same address');
  t.same(reach({ contact: 'sip:bob@198.18.0.7' }).remotePort, 5060, 'no port: 5060 (RFC 3261 §19.1.2)');
  t.same(reach({ contact: 'sip:bob@198.18.0.9:5060', viaHost: '198.18.0.7' }).remoteAddress, '198.18.0.9', 'a third-party registration: the device, not the registering host');
  t.same(reach({ contact: 'sip:bob@10.1.2.3:5060', viaHost: '10.9.9.9', source: { ...SOURCE, remoteAddress: '10.9.9.9' } }).remoteAddress, '10.1.2.3', 'a private Contact from a private source: a mesh, not a NAT');
  t.same(reach({ contact: 'sip:bob@[2001:db8::7]:5070', viaHost: '[2001:DB8::7]', source: { ...SOURCE, remoteAddress: '2001:db8::7' } }).remoteAddress, '2001:db8::7', 'IPv6 spellings compare equal');
  t.same(reach({ contact: 'sip:bob@198.18.0.7:5070;transport=UDP' }).remotePort, 5070);
});

t.test('a sign of NAT, or nothing to send to: the source', async (t) => {
  t.same(reach({ viaHost: '192.168.1.20', contact: 'sip:bob@192.168.1.20:5060' }), SOURCE, 'the Via names another address than the source');
  t.same(reach({ contact: 'sip:bob@192.168.1.20:5060', viaHost: '198.18.0.7' }), SOURCE, 'a private Contact from a public source');
  t.same(reach({ outbound: true }), SOURCE, 'outbound (RFC 5626 §5.3): the flow');
  t.same(reach({ contact: 'sip:bob@phone.example.invalid:5070' }), SOURCE, 'a host name is not resolved');
  t.same(reach({ contact: 'sips:bob@198.18.0.7:5071' }), SOURCE, 'not a UDP URI');
  t.same(reach({ contact: 'sip:bob@198.18.0.7:5070;transport=tcp' }), SOURCE, 'a TCP Contact');
  t.same(reach({ contact: 'not a uri' }), SOURCE);
  t.same(reach({ viaHost: undefined }), SOURCE);
});
