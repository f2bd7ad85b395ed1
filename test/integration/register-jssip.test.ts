// JsSIP, a real browser SIP stack, registers with the node over ws:// and wss://: register,
// refresh, unregister, a wrong password, and a dropped connection taking its binding with it
// (RFC 7118 §5: a WebSocket binding lives only as long as its connection).
import t, { type Test } from 'tap';
import type { BindingEvent } from '../../src/location/binding.js';
import { bindingEvent, lastRegisterOkContacts, startJsSip, until, within } from '../helpers/sip-ua.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';
import { installSipWebSocket } from '../helpers/ws-for-sip-clients.js';

for (const transport of ['ws', 'wss'] as const) {
  /** A node with alice, the WebSocket shim, a connected JsSIP UA and a log of location events. */
  async function setup(t: Test, password = 'wonderland') {
    const n = await startTestNode(t, { alice: 'wonderland' });
    const sockets = installSipWebSocket(t);
    const events: BindingEvent[] = [];
    n.node.location.onChange((e) => events.push(e));
    const port = transport === 'ws' ? n.config.httpPort : n.config.httpsPort;
    const client = await startJsSip(t, { url: `${transport}://127.0.0.1:${port}/`, user: 'alice', password, domain: TEST_DOMAIN });
    return { n, sockets, events, client, location: n.node.location };
  }

  t.test(`JsSIP registers over ${transport}`, async (t) => {
    const { sockets, events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true }, 'JsSIP reports registered');
    t.ok(client.ua.isRegistered());

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

  t.test(`JsSIP refreshes its registration over ${transport}`, async (t) => {
    const { events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true });
    const before = location.lookup('alice');

    const refreshed = await client.refresh(bindingEvent(location, 'refreshed', 'alice'));
    t.equal(refreshed.binding.flowId, before[0]?.flowId, 'refreshed on the same flow');
    t.ok(client.ua.isRegistered(), 'still registered');
    t.equal(location.lookup('alice').length, 1, 'exactly one binding after the refresh');
    t.same(events.map((e) => e.type), ['added', 'refreshed']);
  });

  t.test(`JsSIP unregisters over ${transport}`, async (t) => {
    const { events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true });
    await client.unregister();
    t.notOk(client.ua.isRegistered());
    t.same(location.lookup('alice'), [], 'no binding left');
    t.same(events.map((e) => e.type), ['added', 'removed']);
  });

  t.test(`JsSIP with a wrong password over ${transport} is refused`, async (t) => {
    const { n, events, client, location } = await setup(t, 'looking-glass');
    const outcome = await client.register();
    t.equal(outcome.registered, false, 'JsSIP reports the registration failed');
    if (!outcome.registered) t.ok(outcome.status === 401 || outcome.status === 403, `refused with ${outcome.status} (${outcome.reason})`);
    t.notOk(client.ua.isRegistered());
    t.same(events, [], 'no binding was ever added');
    t.same(location.all(), []);
    t.ok(n.logs.some((l) => /^warn: .*alice/.test(l)), 'the failed authentication is logged');
  });

  t.test(`a dropped JsSIP connection over ${transport} takes its binding with it`, async (t) => {
    const { sockets, events, client, location } = await setup(t);
    t.same(await client.register(), { registered: true });
    t.equal(location.lookup('alice').length, 1);

    const dropped = within(new Promise<void>((resolve) => client.ua.once('disconnected', () => resolve())), 'JsSIP to see its connection drop');
    sockets.terminateAll();
    await dropped;
    await until(() => location.lookup('alice').length === 0, "the node to remove alice's binding after her connection closed");
    t.same(events.map((e) => e.type), ['added', 'removed'], 'removed, not left to expire');
  });
}
