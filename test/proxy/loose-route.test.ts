import t from 'tap';
import { fromTag, inDialogHop, popOurRoutes } from '../../src/proxy/loose-route.js';
import { FlowTokens } from '../../src/proxy/flow-token.js';
import { OurHosts } from '../../src/core/our-host.js';
import { recordRoutes, type RouteDeps } from '../../src/proxy/record-route.js';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { DOMAIN, FakeFlows, INTERFACES, request } from './proxy-fixture.js';

function setup() {
  const clock = new FakeClock();
  const addresses = new LocalAddresses(clock.now, () => INTERFACES);
  const hosts = new OurHosts({ domain: DOMAIN, addresses, ports: () => ({ sip: 5060, http: 8080, https: 8443 }) });
  const deps: RouteDeps = { tokens: new FlowTokens(Buffer.alloc(32, 3)), addresses, hosts };
  const flows = new FakeFlows();
  const caller = flows.add({ remoteAddress: '198.18.0.2', remotePort: 5062 });
  const phone = flows.add({ remoteAddress: '198.18.0.3', remotePort: 5060 });
  const browser = flows.add({ transport: 'wss', remoteAddress: '198.18.0.4', remotePort: 50000, localPort: 8443, id: 'wss#7' });
  const tcpPhone = flows.add({ transport: 'tcp', remoteAddress: '198.18.0.5', remotePort: 5060, id: 'tcp#3' });
  return { deps, flows, caller, phone, browser, tcpPhone };
}

/** An in-dialog request as the caller (ftag side) or the callee sends it, with `routes`. */
function inDialog(routes: readonly string[], from: 'caller' | 'callee', o: { ruri?: string } = {}) {
  return request({
    method: 'BYE',
    ruri: o.ruri ?? 'sip:someone@198.18.0.99:5060',
    routes,
    ...(from === 'caller' ? { fromTag: 'callertag', toTag: 'calleetag' } : { fromTag: 'calleetag', toTag: 'callertag' }),
  });
}

t.test('popOurRoutes takes off both entries of a double Record-Route, and stops at a foreign one', async (t) => {
  const s = setup();
  const rr = recordRoutes(s.deps, s.caller, s.browser, 'callertag');
  t.equal(rr.length, 2);
  const req = inDialog([...rr, '<sip:198.18.0.9:5070;lr>'], 'callee');
  const popped = popOurRoutes(s.deps, req);
  t.equal(popped.length, 2);
  t.same(req.headers.getAll('route'), ['<sip:198.18.0.9:5070;lr>']);
  t.same(popOurRoutes(s.deps, req), [], 'a foreign top Route is left alone');
  t.same(req.headers.getAll('route'), ['<sip:198.18.0.9:5070;lr>']);
});

t.test('popOurRoutes with Route entries on one comma-separated line', async (t) => {
  const s = setup();
  const rr = recordRoutes(s.deps, s.caller, s.browser, 'callertag');
  const req = request({ method: 'BYE', toTag: 'x', extra: [`Route: ${rr.join(', ')}, <sip:198.18.0.9;lr>`] });
  t.equal(popOurRoutes(s.deps, req).length, 2);
  t.same(req.headers.getAll('route'), ['<sip:198.18.0.9;lr>']);
});

t.test('from the caller (From tag = ftag) the request goes on the dn flow; from the callee on the up flow', async (t) => {
  const s = setup();
  for (const rr of [recordRoutes(s.deps, s.caller, s.browser, 'callertag'), recordRoutes(s.deps, s.caller, s.phone, 'callertag')]) {
    const down = inDialog([...rr].reverse(), 'caller');
    const downHop = inDialogHop(s.flows, down, popOurRoutes(s.deps, down));
    const up = inDialog(rr, 'callee');
    const upHop = inDialogHop(s.flows, up, popOurRoutes(s.deps, up));
    t.equal(typeof upHop === 'string' ? upHop : upHop.id, s.caller.id);
    t.equal(typeof downHop === 'string' ? downHop : downHop.id, rr.length === 2 ? 'wss#7' : s.phone.id);
  }
  t.same(s.flows.opened, [], 'the recorded flows, not new ones');
});

t.test('a closed WebSocket flow: FLOW_FAILED (430); a closed TCP flow is opened again to its address', async (t) => {
  const s = setup();
  const toBrowser = recordRoutes(s.deps, s.caller, s.browser, 'callertag');
  s.browser.close();
  const req = inDialog([...toBrowser].reverse(), 'caller');
  t.equal(inDialogHop(s.flows, req, popOurRoutes(s.deps, req)), 'FLOW_FAILED');

  const toTcp = recordRoutes(s.deps, s.caller, s.tcpPhone, 'callertag');
  s.tcpPhone.close();
  const tcpReq = inDialog([...toTcp].reverse(), 'caller');
  const hop = inDialogHop(s.flows, tcpReq, popOurRoutes(s.deps, tcpReq));
  t.not(hop, 'FLOW_FAILED');
  t.equal(typeof hop === 'string' ? hop : `${hop.transport} ${hop.remoteAddress}:${hop.remotePort} ${hop.open}`, 'tcp 198.18.0.5:5060 true');
  t.equal(s.flows.opened.length, 1);
});

t.test('a Route left after the node\'s own is the next hop', async (t) => {
  const s = setup();
  const rr = recordRoutes(s.deps, s.caller, s.phone, 'callertag');
  const req = inDialog([...rr, '<sip:198.18.0.9:5070;lr>'], 'callee');
  const hop = inDialogHop(s.flows, req, popOurRoutes(s.deps, req));
  t.equal(typeof hop === 'string' ? hop : `${hop.remoteAddress}:${hop.remotePort}`, '198.18.0.9:5070');
  for (const next of ['<sip:proxy.example.com;lr>', '<sip:198.18.0.9;transport=ws;lr>', '<sip:198.18.0.9;transport=sctp;lr>', 'garbage <<']) {
    const r = inDialog([...rr, next], 'callee');
    t.equal(inDialogHop(s.flows, r, popOurRoutes(s.deps, r)), 'UNREACHABLE', next);
  }
});

t.test('a Route that only names the node proves no dialog: NO_DIALOG (481), wherever the rest leads', async (t) => {
  const s = setup();
  for (const routes of [[`<sip:${DOMAIN};lr>`], ['<sip:198.18.0.1:5060;lr>', '<sip:198.18.0.9:5070;lr>']]) {
    const req = inDialog(routes, 'caller', { ruri: 'sip:bob@198.18.0.3:5060' });
    const popped = popOurRoutes(s.deps, req);
    t.same(popped, [{}]);
    t.equal(inDialogHop(s.flows, req, popped), 'NO_DIALOG', routes.join(', '));
  }
  t.same(s.flows.opened, [], 'no flow opened for it');
});

t.test('forged tokens give no flow, and the Request-URI is not followed instead', async (t) => {
  const s = setup();
  const [rr] = recordRoutes(s.deps, s.caller, s.phone, 'callertag');
  const forged = rr!.replace(/dn=[^;>]+/, `dn=${new FlowTokens(Buffer.alloc(32, 9)).encode(s.browser)}`);
  const req = inDialog([forged], 'caller', { ruri: 'sip:victim@203.0.113.5' });
  t.equal(inDialogHop(s.flows, req, popOurRoutes(s.deps, req)), 'NO_DIALOG', 'neither the browser the forger named nor the Request-URI');
  const both = rr!.replace(/up=[^;>]+/, 'up=x.y').replace(/dn=[^;>]+/, 'dn=x.y');
  const req2 = inDialog([both], 'callee', { ruri: 'sip:victim@203.0.113.5' });
  t.equal(inDialogHop(s.flows, req2, popOurRoutes(s.deps, req2)), 'NO_DIALOG');
  t.same(s.flows.opened, []);
});

t.test('fromTag', async (t) => {
  t.equal(fromTag(request({ fromTag: 'abc' })), 'abc');
  const noTag = request();
  noTag.headers.set('From', '<sip:alice@node1.mesh>');
  t.equal(fromTag(noTag), undefined);
  noTag.headers.set('From', '<<broken');
  t.equal(fromTag(noTag), undefined);
});
