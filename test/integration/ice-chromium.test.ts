/**
 * Headless Chromium against a real node: the page, loaded from the node's HTTPS origin, takes its
 * ICE servers from the node's GET /api/ice-servers (the node's own STUN and nothing else), and an
 * RTCPeerConnection gathers a server-reflexive candidate from the node, gathering complete within a
 * second.
 *
 * What Chromium does on loopback: an ordinary page (no camera or microphone permission) gets mDNS
 * names for its host candidates, binds its ICE socket to the wildcard address, and reports the
 * address the node saw (127.0.0.1) as `srflx`. A page with media permission gets raw host addresses,
 * binds a socket to each, and drops a reflexive address equal to the socket's own — which it always
 * is without a NAT in between, as on loopback or a flat mesh — so it shows no `srflx` here, but gathering
 * still completes at once because the node answered. stun-nat.test.ts shows it kept behind a real NAT.
 */
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { addressOf, gather, typ } from '../helpers/ice-gather.js';
import { freePorts } from '../helpers/ports.js';
import { startTestNode } from '../helpers/test-node.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The node's page in a fresh context, and the ICE servers it fetched from the node's API. */
async function openPage(t: Teardown, browser: Browser, httpsPort: number): Promise<{ page: Page; iceServers: RTCIceServer[] }> {
  // The node's certificate is self-signed; its placeholder page's CSP (default-src 'none') would
  // forbid the page's own fetch of the API, which the softphone page will allow for itself.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`https://127.0.0.1:${httpsPort}/`, { timeout: 5000 });
  const iceServers = await page.evaluate(async () => ((await (await fetch('/api/ice-servers')).json()) as { iceServers: RTCIceServer[] }).iceServers);
  return { page, iceServers };
}

t.test('Chromium gathers a srflx candidate from the node, complete within a second', { skip: chromiumMissing }, async (t) => {
  const [stunPort] = await freePorts(1);
  const n = await startTestNode(t, {}, { stunPort: stunPort! });
  const browser = await launchChromium(t, { mediaPermission: false });

  const { page, iceServers } = await openPage(t, browser, n.config.httpsPort);
  t.same(iceServers, [{ urls: [`stun:127.0.0.1:${stunPort}`] }], 'the node is the only ICE server');
  const g = await gather(page, iceServers);
  t.equal(g.state, 'complete', 'gathering complete');
  t.ok(g.gatheringMs < 1000, `gathering completed in ${g.gatheringMs.toFixed(0)} ms`);
  const srflx = g.candidates.filter((c) => typ(c) === 'srflx');
  t.equal(srflx.length, 1, `one srflx among: ${g.candidates.join(' | ')}`);
  t.match(addressOf(srflx[0] ?? ''), /^127\.0\.0\.1:\d+$/, 'the address the node saw');
  // Host candidates hide behind mDNS names, so only the srflx one carries an IP address.
  t.ok(g.candidates.filter((c) => typ(c) === 'host').every((c) => /\.local /.test(c)), 'host addresses are mDNS names');
});

t.test('with media permission Chromium drops the srflx equal to its host address, and completes as fast', { skip: chromiumMissing }, async (t) => {
  const [stunPort] = await freePorts(1);
  const n = await startTestNode(t, {}, { stunPort: stunPort! });
  const browser = await launchChromium(t, { mediaPermission: true });

  const { page, iceServers } = await openPage(t, browser, n.config.httpsPort);
  const g = await gather(page, iceServers);
  t.equal(g.state, 'complete', 'gathering complete');
  // An unanswered STUN server keeps gathering going for seconds of retransmissions.
  t.ok(g.gatheringMs < 1000, `gathering completed in ${g.gatheringMs.toFixed(0)} ms`);
  const hosts = g.candidates.filter((c) => typ(c) === 'host');
  t.ok(hosts.every((c) => !/\.local /.test(c)), 'raw host addresses');
  const hostAddresses = new Set(hosts.map(addressOf));
  t.notOk(g.candidates.some((c) => typ(c) === 'srflx' && hostAddresses.has(addressOf(c))), 'no srflx equal to a host candidate');
});

// The control for the two above: the same page and servers, but the node is gone.
t.test('without a STUN answer gathering does not complete within a second', { skip: chromiumMissing }, async (t) => {
  const [stunPort] = await freePorts(1);
  const n = await startTestNode(t, {}, { stunPort: stunPort! });
  const browser = await launchChromium(t, { mediaPermission: false });
  const { page, iceServers } = await openPage(t, browser, n.config.httpsPort);
  await n.stop();
  const g = await gather(page, iceServers);
  t.ok(g.gatheringMs >= 1000, `gathering still going after ${g.gatheringMs.toFixed(0)} ms`);
  t.notOk(g.candidates.some((c) => typ(c) === 'srflx'), 'no srflx');
});
