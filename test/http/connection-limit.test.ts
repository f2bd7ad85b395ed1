/**
 * Web connections per address are capped from the TCP accept, before any TLS handshake, on the HTTP
 * and the HTTPS port alike (issue 12): the connection past `max_connections_per_address` and a page's
 * six is closed
 * at once, and a place frees when one closes. Real sockets on loopback.
 */
import t from 'tap';
import { closedWithin, openTcp } from '../helpers/tcp-probe.js';
import { PAGE_CONNECTIONS } from '../../src/http/server.js';
import { startHarness } from '../helpers/transport-harness.js';

/** With max_connections_per_address 1: one WebSocket's worth, and a page's files and API. */
const LIMIT = 1 + PAGE_CONNECTIONS;

for (const which of ['httpPort', 'httpsPort'] as const) {
  t.test(`${which}: the connection past the limit is closed, and a freed place is taken again`, async (t) => {
    const h = await startHarness(t, { maxConnectionsPerAddress: 1 });
    const port = h.config[which];
    const held = await Promise.all(Array.from({ length: LIMIT }, () => openTcp(port)));
    t.teardown(() => held.forEach((s) => s.destroy()));
    const extra = await openTcp(port);
    t.teardown(() => extra.destroy());
    t.ok(await closedWithin(extra, 2000), 'one more is closed at once');
    for (const s of held) t.notOk(await closedWithin(s, 50), 'the others stay');
    t.ok(h.log.some((l) => /HTTP: refused a connection from 127\.0\.0\.1/.test(l)), 'and it is logged');
    held[0]!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await openTcp(port);
    t.teardown(() => again.destroy());
    t.notOk(await closedWithin(again, 300), 'after one closed, a new one is taken');
  });
}
