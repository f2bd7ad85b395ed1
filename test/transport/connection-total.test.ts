/**
 * `max_connections` counts every connection the node accepts, on the SIP TCP port and the web
 * ports together, from any number of addresses: past it the next one is closed at once and logged,
 * and a freed place is taken again. Real sockets on loopback, the per-address cap set out of reach.
 */
import type net from 'node:net';
import t from 'tap';
import { closedWithin, openTcp } from '../helpers/tcp-probe.js';
import { startHarness } from '../helpers/transport-harness.js';

const TOTAL = 16;

t.test('the connection past max_connections is closed, on the SIP port and the web ports alike', async (t) => {
  const h = await startHarness(t, { maxConnections: TOTAL, maxConnectionsPerAddress: 1000 });
  const ports = [h.config.sipPort, h.config.httpPort, h.config.httpsPort];
  const held: net.Socket[] = [];
  t.teardown(() => held.forEach((s) => s.destroy()));
  // Spread over the three ports; each is accepted before the next is opened.
  for (let i = 0; i < TOTAL; i++) held.push(await openTcp(ports[i % 3]!));
  for (const s of held) t.notOk(await closedWithin(s, 20), 'every one up to the total stays');
  for (const [port, name] of [[h.config.sipPort, 'TCP'], [h.config.httpsPort, 'HTTP']] as const) {
    const extra = await openTcp(port);
    t.teardown(() => extra.destroy());
    t.ok(await closedWithin(extra, 2000), `one more on the ${name} port is closed at once`);
    t.ok(h.log.some((l) => l.includes(`${name}: refused a connection from 127.0.0.1: the node holds ${TOTAL} connections (max_connections)`)), `and logged (${name})`);
  }
  held.shift()!.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const again = await openTcp(h.config.sipPort);
  held.push(again);
  t.notOk(await closedWithin(again, 300), 'after one closed, a new one is taken');
});
