// SIP.js, the stack of the node's own page, registers with the node over ws:// and wss://:
// register, refresh, unregister, a wrong password, and a closed connection taking its binding
// with it (RFC 7118 §5: a WebSocket binding lives only as long as its connection).
import t, { type Test } from 'tap';
import { RegistererState } from 'sip.js';
import type { BindingEvent } from '../../src/location/binding.js';
import { lastRegisterOkContacts, startSipJs, until, within } from '../helpers/sip-ua.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';
import { installSipWebSocket } from '../helpers/ws-for-sip-clients.js';

for (const transport of ['ws', 'wss'] as const) {
  /** A node with alice, the WebSocket shim, a connected SIP.js UA and a log of location events. */
  async function setup(t: Test, password = 'wonderland') {
    const n = await startTestNode(t, { alice: 'wonderland' });
    const sockets = installSipWebSocket(t);
    const events: BindingEvent[] = [];
    n.node.location.onChange((e) => events.push(e));
    const port = transport === 'ws' ? n.config.httpPort : n.config.httpsPort;
    const client = await startSipJs(t, { url: `${transport}://127.0.0.1:${port}/`, user: 'alice', password, domain: TEST_DOMAIN });
    return { n, sockets, events, client, location: n.node.location };
  }

  t.test(`SIP.js registers over ${transport}`, async (t) => {
    const { sockets, events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true }, 'SIP.js accepts the 200');
    t.equal(client.registerer.state, RegistererState.Registered);

    const [binding, ...others] = location.lookup('alice');
    t.same(others, [], 'exactly one binding');
    t.equal(binding?.flow.transport, transport, `the binding's flow is ${transport}`);
    t.match(binding?.flowId, /\S/, 'the binding names its flow');
    t.ok(binding && binding.expiresAt > Date.now(), 'the binding is live');
    t.same(events.map((e) => e.type), ['added']);

    const contacts = lastRegisterOkContacts(sockets.received());
    t.ok(contacts && contacts.length === 1, `the 200 lists one Contact: ${contacts?.join(' | ')}`);
    t.match(contacts?.[0], /;\s*expires=\d+/i, "the 200's Contact carries expires");
  });

  t.test(`SIP.js refreshes its registration over ${transport}`, async (t) => {
    const { events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true });
    const before = location.lookup('alice');

    t.same(await client.register(), { registered: true }, 'the refresh is accepted');
    t.equal(client.registerer.state, RegistererState.Registered);
    const after = location.lookup('alice');
    t.equal(after.length, 1, 'exactly one binding after the refresh');
    t.equal(after[0]?.flowId, before[0]?.flowId, 'on the same flow');
    t.same(events.map((e) => e.type), ['added', 'refreshed']);
  });

  t.test(`SIP.js unregisters over ${transport}`, async (t) => {
    const { events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true });
    await client.unregister();
    t.equal(client.registerer.state, RegistererState.Unregistered);
    t.same(location.lookup('alice'), [], 'no binding left');
    t.same(events.map((e) => e.type), ['added', 'removed']);
  });

  t.test(`SIP.js with a wrong password over ${transport} is refused`, async (t) => {
    const { n, events, client, location } = await setup(t, 'looking-glass');
    const outcome = await client.register();
    t.equal(outcome.registered, false, 'SIP.js reports the registration failed');
    if (!outcome.registered) t.ok(outcome.status === 401 || outcome.status === 403, `refused with ${outcome.status} (${outcome.reason})`);
    t.not(client.registerer.state, RegistererState.Registered);
    t.same(events, [], 'no binding was ever added');
    t.same(location.all(), []);
    t.ok(n.logs.some((l) => /^warn: .*alice/.test(l)), 'the failed authentication is logged');
  });

  t.test(`closing SIP.js's connection over ${transport} takes its binding with it`, async (t) => {
    const { events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true });
    t.equal(location.lookup('alice').length, 1);

    // A clean close (close frame, code 1000) with no un-REGISTER before it: a tab being closed.
    await within(client.ua.transport.disconnect(), 'SIP.js to close its WebSocket');
    await until(() => location.lookup('alice').length === 0, "the node to remove alice's binding after her connection closed");
    t.same(events.map((e) => e.type), ['added', 'removed'], 'removed, not left to expire');
  });
}
