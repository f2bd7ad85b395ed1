import { createHmac } from 'node:crypto';
import t from 'tap';
import { FlowTokens } from '../../src/proxy/flow-token.js';
import { OurHosts } from '../../src/core/our-host.js';
import { nodeUri, readOurRoute, recordRoutes, type RouteDeps } from '../../src/proxy/record-route.js';
import { parseNameAddr } from '../../src/sip/name-addr.js';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeFlow } from '../helpers/fake-flow.js';
import { DOMAIN, INTERFACES, NODE_IP } from './proxy-fixture.js';

const KEY = Buffer.alloc(32, 0x11);

function deps(key = KEY): RouteDeps {
  const clock = new FakeClock();
  const addresses = new LocalAddresses(clock.now, () => INTERFACES);
  const hosts = new OurHosts({ domain: DOMAIN, addresses, ports: () => ({ sip: 5060, http: 8080, https: 8443 }) });
  return { tokens: new FlowTokens(key), addresses, hosts };
}

const udpPhone = new FakeFlow({ remoteAddress: '198.18.0.2', remotePort: 5062, localAddress: NODE_IP });
const udpPhone2 = new FakeFlow({ remoteAddress: '198.18.0.3', remotePort: 5060, localAddress: NODE_IP });
const browser = new FakeFlow({ transport: 'wss', remoteAddress: '198.18.0.4', remotePort: 50000, localAddress: NODE_IP, localPort: 8443, id: 'wss#7' });

t.test('nodeUri: the node as the flow\'s peer reaches it, with the transport unless UDP', async (t) => {
  const d = deps();
  t.equal(nodeUri(d, udpPhone), 'sip:198.18.0.1:5060');
  t.equal(nodeUri(d, browser), 'sip:198.18.0.1:8443;transport=wss');
  t.equal(nodeUri(d, new FakeFlow({ transport: 'tcp', localAddress: NODE_IP, id: 'tcp#2' })), 'sip:198.18.0.1:5060;transport=tcp');
  t.equal(nodeUri(d, new FakeFlow({ transport: 'ws', localAddress: NODE_IP, localPort: 8080, id: 'ws#3' })), 'sip:198.18.0.1:8080;transport=ws');
  t.equal(nodeUri(d, new FakeFlow({ localAddress: '2001:db8::1', remoteAddress: '2001:db8::2' })), 'sip:[2001:db8::1]:5060', 'IPv6 in brackets');
  t.equal(nodeUri(d, new FakeFlow({ localAddress: '0.0.0.0', remoteAddress: '192.168.77.20' })), 'sip:192.168.77.1:5060', 'a wildcard socket: the interface facing the peer');
});

t.test('one entry when both sides reach the node at the same URI', async (t) => {
  const d = deps();
  const rr = recordRoutes(d, udpPhone, udpPhone2, 'tag1');
  t.equal(rr.length, 1);
  const uri = parseNameAddr(rr[0]!).uri;
  t.equal(uri.host, NODE_IP);
  t.equal(uri.port, 5060);
  t.equal(uri.params.get('lr'), null, 'loose routing');
  t.equal(uri.params.get('ftag'), 'tag1');
  t.same(d.tokens.decode(uri.params.get('up') as string), { transport: 'udp', remoteAddress: '198.18.0.2', remotePort: 5062, id: udpPhone.id });
  t.same(d.tokens.decode(uri.params.get('dn') as string), { transport: 'udp', remoteAddress: '198.18.0.3', remotePort: 5060, id: udpPhone2.id });
});

t.test('two entries on a change of transport (RFC 5658): the one facing the callee on top', async (t) => {
  const d = deps();
  const rr = recordRoutes(d, udpPhone, browser, 'tag1');
  t.equal(rr.length, 2);
  const [top, below] = rr.map((v) => parseNameAddr(v).uri);
  t.equal(top!.port, 8443);
  t.equal(top!.params.get('transport'), 'wss');
  t.equal(below!.port, 5060);
  t.equal(below!.params.get('transport'), undefined);
  for (const uri of [top!, below!]) {
    t.equal(uri.params.get('ftag'), 'tag1');
    t.equal(d.tokens.decode(uri.params.get('up') as string)?.id, udpPhone.id);
    t.equal(d.tokens.decode(uri.params.get('dn') as string)?.id, 'wss#7');
  }
  const back = recordRoutes(d, browser, udpPhone, 'tag2').map((v) => parseNameAddr(v).uri.port);
  t.same(back, [5060, 8443], 'the other way round: UDP on top');
});

t.test('no From tag: no ftag', async (t) => {
  const rr = recordRoutes(deps(), udpPhone, udpPhone2, undefined);
  t.notMatch(rr[0], /ftag/);
});

t.test('readOurRoute reads back the node\'s own entries', async (t) => {
  const d = deps();
  for (const value of recordRoutes(d, udpPhone, browser, 'tag1')) {
    const ours = readOurRoute(d, value);
    t.equal(ours?.ftag, 'tag1');
    t.equal(ours?.up?.id, udpPhone.id);
    t.equal(ours?.dn?.id, 'wss#7');
  }
});

t.test('a route naming the node without tokens is ours (a pre-loaded outbound proxy); others are not', async (t) => {
  const d = deps();
  t.same(readOurRoute(d, `<sip:${DOMAIN};lr>`), {});
  t.same(readOurRoute(d, `<sip:${NODE_IP}:5060;lr>`), {});
  t.same(readOurRoute(d, '<sip:127.0.0.1:8443;transport=wss;lr>'), {});
  t.equal(readOurRoute(d, `<sip:${NODE_IP}:5070;lr>`), undefined, 'a port the node does not listen on');
  t.equal(readOurRoute(d, '<sip:198.18.0.9;lr>'), undefined);
  t.equal(readOurRoute(d, '<sip:proxy.example.com;lr>'), undefined);
  t.equal(readOurRoute(d, 'not a route <<'), undefined, 'unreadable: not ours, no throw');
});

t.test('forged flow tokens are refused', async (t) => {
  const d = deps();
  const [real] = recordRoutes(d, udpPhone, udpPhone2, 'tag1');
  const token = parseNameAddr(real!).uri.params.get('dn') as string;
  const [payload, mac] = token.split('.') as [string, string];
  // Point the token at another flow and keep the MAC.
  const otherFlow = Buffer.from(`udp 203.0.113.66 5060 udp:203.0.113.66:5060`).toString('base64url');
  const flippedMac = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'AB' : 'AA'}`;
  const forgeries = {
    'payload changed, MAC kept': `${otherFlow}.${mac}`,
    'MAC altered': `${payload}.${flippedMac}`,
    'no MAC': payload,
    'MAC cut short': `${payload}.${mac.slice(0, 8)}`,
    'signed with another key': new FlowTokens(Buffer.alloc(32, 0x22)).encode({ ...udpPhone2, id: udpPhone2.id }),
    'over 400 characters': `${'A'.repeat(400)}.${mac}`,
  };
  for (const [name, forged] of Object.entries(forgeries)) {
    t.equal(d.tokens.decode(forged), undefined, name);
    // A forged route at a foreign host is not the node's; at the node's address it carries no flow.
    t.equal(readOurRoute(d, `<sip:203.0.113.66;lr;ftag=tag1;dn=${forged}>`), undefined, `${name}: foreign host`);
    const atNode = readOurRoute(d, `<sip:${NODE_IP};lr;ftag=tag1;up=${forged};dn=${forged}>`);
    t.same(atNode, { ftag: 'tag1' }, `${name}: no flow taken from it`);
  }
});

t.test('a well-signed token with a bad payload is refused too', async (t) => {
  const d = deps();
  // A token made as flow-token.ts documents it (HMAC-SHA-256 with the node's key, 96 bits), for a
  // payload the node would never write.
  const sign = (text: string) => {
    const mac = createHmac('sha256', KEY).update(text).digest().subarray(0, 12);
    return `${Buffer.from(text).toString('base64url')}.${mac.toString('base64url')}`;
  };
  t.same(d.tokens.decode(sign(`udp 198.18.0.2 5062 ${udpPhone.id}`)), d.tokens.decode(d.tokens.encode(udpPhone)), 'the scheme as documented');
  t.equal(d.tokens.decode(sign('sctp 198.18.0.2 5060 x')), undefined, 'unknown transport');
  t.equal(d.tokens.decode(sign('udp 198.18.0.2 0 x')), undefined, 'port 0');
  t.equal(d.tokens.decode(sign('udp 198.18.0.2 70000 x')), undefined, 'port over 65535');
  t.equal(d.tokens.decode(sign('udp 198.18.0.2 5060')), undefined, 'no id');
  t.equal(d.tokens.decode(sign('udp 198.18.0.2 5060 x extra')), undefined, 'extra field');
  t.same(d.tokens.decode(sign('tcp 198.18.0.2 5060 tcp#4')), { transport: 'tcp', remoteAddress: '198.18.0.2', remotePort: 5060, id: 'tcp#4' });
});
