import t from 'tap';
import { forwardedRequest, viaFor } from '../../src/proxy/forward.js';
import { parseVia } from '../../src/sip/via.js';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeFlow } from '../helpers/fake-flow.js';
import { INTERFACES, NODE_IP, REALM, request, wire } from './proxy-fixture.js';

const addresses = new LocalAddresses(new FakeClock().now, () => INTERFACES);
const out = new FakeFlow({ remoteAddress: '198.18.0.3', remotePort: 5060, localAddress: NODE_IP });
const BRANCH = 'z9hG4bKtc0123456789.abcdef';

t.test('the copy: new Request-URI, one Via on top, Max-Forwards less one, the rest as it came', async (t) => {
  const req = request({
    maxForwards: '70',
    body: 'v=0\r\n',
    extra: ['Content-Type: application/sdp', 'Record-Route: <sip:198.18.5.5;lr>', 'X-Custom: kept'],
  });
  const before = wire(req);
  const fwd = forwardedRequest(req, { requestUri: 'sip:bob@198.18.0.3:5060', outbound: out, branch: BRANCH }, addresses);
  t.equal(fwd.method, 'INVITE');
  t.equal(fwd.uri, 'sip:bob@198.18.0.3:5060');
  t.same(fwd.headers.getAll('via'), [`SIP/2.0/UDP ${NODE_IP}:5060;branch=${BRANCH};rport`, ...req.headers.getAll('via')]);
  t.equal(fwd.headers.get('max-forwards'), '69');
  t.equal(fwd.body.toString(), 'v=0\r\n');
  for (const h of ['from', 'to', 'call-id', 'cseq', 'contact', 'content-type', 'x-custom']) t.equal(fwd.headers.get(h), req.headers.get(h), h);
  t.same(fwd.headers.getAll('record-route'), ['<sip:198.18.5.5;lr>']);
  t.same(wire(req), before, 'the received request is not changed');
  t.equal(wire(fwd).headers.getAll('via').length, 2, 'survives the wire');
});

t.test('Max-Forwards: absent becomes 70 (§16.6 step 3), 1 becomes 0', async (t) => {
  const spec = { requestUri: 'sip:b@198.18.0.3', outbound: out, branch: BRANCH };
  t.equal(forwardedRequest(request({ maxForwards: null }), spec, addresses).headers.get('max-forwards'), '70');
  t.equal(forwardedRequest(request({ maxForwards: '1' }), spec, addresses).headers.get('max-forwards'), '0');
  t.equal(forwardedRequest(request({ maxForwards: '255' }), spec, addresses).headers.get('max-forwards'), '254');
});

t.test('Record-Route values go on top, first value topmost', async (t) => {
  const req = request({ extra: ['Record-Route: <sip:198.18.5.5;lr>'] });
  const fwd = forwardedRequest(req, { requestUri: 'sip:b@198.18.0.3', outbound: out, branch: BRANCH, recordRoute: ['<sip:a;lr>', '<sip:b;lr>'] }, addresses);
  t.same(fwd.headers.getAll('record-route'), ['<sip:a;lr>', '<sip:b;lr>', '<sip:198.18.5.5;lr>']);
  const fresh = forwardedRequest(request(), { requestUri: 'sip:b@198.18.0.3', outbound: out, branch: BRANCH, recordRoute: ['<sip:a;lr>'] }, addresses);
  t.same(fresh.headers.getAll('record-route'), ['<sip:a;lr>']);
});

t.test('the node\'s Proxy-Authorization is consumed; one for another realm travels on', async (t) => {
  const ours = `Digest username="alice", realm="${REALM}", nonce="n", uri="sip:bob@node1.mesh", response="0"`;
  const theirs = 'Digest username="alice", realm="other.example", nonce="m", uri="sip:bob@node1.mesh", response="1"';
  const req = request({ extra: [`Proxy-Authorization: ${ours}`, `Proxy-Authorization: ${theirs}`] });
  const spec = { requestUri: 'sip:b@198.18.0.3', outbound: out, branch: BRANCH };
  t.same(forwardedRequest(req, { ...spec, realm: REALM }, addresses).headers.getAll('proxy-authorization'), [theirs]);
  t.same(forwardedRequest(req, spec, addresses).headers.getAll('proxy-authorization'), [ours, theirs], 'no realm given: nothing consumed');
});

t.test('viaFor: the flow\'s transport and the node\'s address as the peer reaches it, with rport', async (t) => {
  t.equal(viaFor(out, BRANCH, addresses), `SIP/2.0/UDP ${NODE_IP}:5060;branch=${BRANCH};rport`);
  const wss = new FakeFlow({ transport: 'wss', localAddress: NODE_IP, localPort: 8443, id: 'wss#1' });
  t.equal(viaFor(wss, BRANCH, addresses), `SIP/2.0/WSS ${NODE_IP}:8443;branch=${BRANCH};rport`);
  const v6 = new FakeFlow({ transport: 'tcp', localAddress: '2001:db8::1', remoteAddress: '2001:db8::2', id: 'tcp#1' });
  const via = parseVia(viaFor(v6, BRANCH, addresses));
  t.equal(via.host, '[2001:db8::1]');
  t.equal(via.transport, 'TCP');
  t.equal(via.params.get('branch'), BRANCH);
  t.equal(via.params.get('rport'), null);
  const wildcard = new FakeFlow({ localAddress: '0.0.0.0', remoteAddress: '192.168.77.30' });
  t.match(viaFor(wildcard, BRANCH, addresses), /^SIP\/2\.0\/UDP 192\.168\.77\.1:5060;/, 'a wildcard socket: the facing interface');
});
