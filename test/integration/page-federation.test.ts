/**
 * The call page across two nodes (issues 10 and 11): node1.mesh and node2.mesh know each other as
 * static peers; alice signs up on node1's page and bob on node2's, each in headless Chromium with a
 * fake microphone; node3 has a bob as well. alice's dial box suggests bob@node2.mesh and
 * bob@node3.mesh (their descriptors publish them); she dials a bare "bob", the page offers both,
 * and she picks node2's, bob's page rings with alice@node1.mesh and he answers, and audio arrives
 * at both ends; then a chat message crosses back. Each node keeps the call in its user's history.
 * Last, alice adds bob@node2.mesh to her contacts and sees him online once he shows his presence to
 * the whole mesh, and offline once his page is closed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { BrowserContext, Page } from 'playwright-core';
import type { Config } from '../../src/config/config.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { until } from '../helpers/sip-ua.js';
import { startTestNodeWith, testConfig, type TestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');
const STEP_MS = 15_000;
const PEER_INTERVAL = 5;

async function nodeConfig(t: Test, domain: string): Promise<Config> {
  return testConfig(t, { domain, peerInterval: PEER_INTERVAL, peerTimeout: 30 });
}

async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  await page.goto(url);
  return page;
}

async function signUp(page: Page, name: string, password: string): Promise<void> {
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[value=signup]');
  await page.getByText('Ready for calls').waitFor();
}

async function packetsReceived(page: Page, min: number): Promise<number> {
  await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>('.call-quality')?.dataset.packetsReceived ?? 0) > n, min);
  return Number(await page.getAttribute('.call-quality', 'data-packets-received'));
}

/** The dial suggestions once they include `name` (asked again each time the box is entered). */
async function suggestionsWith(page: Page, name: string): Promise<string[]> {
  const read = () => page.$$eval('#node-users option', (os) => os.map((o) => (o as HTMLOptionElement).value));
  const deadline = Date.now() + 3 * PEER_INTERVAL * 1000;
  for (;;) {
    await page.click('body');
    await page.focus('input[name=target]');
    await page.waitForTimeout(300);
    const names = await read();
    if (names.includes(name) || Date.now() > deadline) return names;
  }
}

function joined(node: TestNode, domain: string): boolean {
  return node.logs.some((l) => l.includes(`(${domain}) at 127.0.0.1 joined`));
}

t.test('alice on node1 calls bob on node2 from the page, by the name it suggests, with audio', { skip, timeout: 200_000 }, async (t) => {
  const c1 = await nodeConfig(t, 'node1.mesh');
  const c2 = await nodeConfig(t, 'node2.mesh');
  const c3 = await nodeConfig(t, 'node3.mesh');
  c1.peers = [{ host: '127.0.0.1', port: c2.httpsPort }, { host: '127.0.0.1', port: c3.httpsPort }];
  c2.peers = [{ host: '127.0.0.1', port: c1.httpsPort }];
  c3.peers = [{ host: '127.0.0.1', port: c1.httpsPort }];
  const node1 = await startTestNodeWith(t, c1);
  const node2 = await startTestNodeWith(t, c2);
  // node3 has a bob too: a bare "bob" dialled on node1 is then a choice.
  await startTestNodeWith(t, c3, { bob: 'bob-secret-3' });
  await until(() => joined(node1, 'node2.mesh') && joined(node1, 'node3.mesh') && joined(node2, 'node1.mesh'), 'the nodes to accept each other', 3 * PEER_INTERVAL * 1000);

  const browser = await launchChromium(t);
  const alice = await openPage(await browser.newContext({ ignoreHTTPSErrors: true }), `https://127.0.0.1:${c1.httpsPort}/`);
  const bob = await openPage(await browser.newContext({ ignoreHTTPSErrors: true }), `https://127.0.0.1:${c2.httpsPort}/`);
  await signUp(alice, 'alice', 'alice-secret');
  await signUp(bob, 'bob', 'bob-secret-2');

  t.same((await suggestionsWith(alice, 'bob@node2.mesh')).sort(), ['bob@node2.mesh', 'bob@node3.mesh'], "node1's page suggests the other nodes' users by their full names");
  await alice.fill('input[name=target]', 'bob');
  await alice.click('form.dial button[type=submit]');
  await alice.getByText('There is someone called bob on more than one node').waitFor();
  t.same(await alice.locator('.choices button').allTextContents(), ['Call bob@node2.mesh', 'Call bob@node3.mesh'], 'a bare bob: the page offers each');
  await alice.getByRole('button', { name: 'Call bob@node2.mesh' }).click();
  await bob.getByText('alice@node1.mesh is calling').waitFor();
  await alice.getByText(/Ringing bob@node2\.mesh/).waitFor();
  await bob.click('button.answer');
  await alice.getByText('In a call with bob@node2.mesh').waitFor();
  await bob.getByText('In a call with alice@node1.mesh').waitFor();
  t.ok((await packetsReceived(alice, 20)) > 20, 'audio arrives at the caller');
  t.ok((await packetsReceived(bob, 20)) > 20, 'and at the callee, on the other node');
  await bob.click('button.hang-up:visible');
  for (const page of [alice, bob]) await page.locator('form.dial').waitFor({ state: 'visible' });
  t.pass('the callee hung up and both pages are back at the dial box');

  await until(() => node1.node.history.list('alice', { limit: 1 }).length === 1 && node2.node.history.list('bob', { limit: 1 }).length === 1, 'both histories to have the call');
  t.match(node1.node.history.list('alice', { limit: 1 })[0], { caller: 'alice', callee: 'bob@node2.mesh', outcome: 'answered' }, "in alice's history on node1");
  t.match(node2.node.history.list('bob', { limit: 1 })[0], { caller: 'alice@node1.mesh', callee: 'bob', outcome: 'answered' }, "in bob's history on node2");
  await alice.locator('.history li', { hasText: 'bob@node2.mesh' }).getByText(/answered/).waitFor();
  await bob.locator('.history li', { hasText: 'alice@node1.mesh' }).getByText(/answered/).waitFor();
  t.pass('each page lists it under Recent calls with the full name');

  await bob.fill('input[name=target]', 'alice@node1.mesh');
  await bob.getByRole('button', { name: 'Message', exact: true }).click();
  await bob.fill('input[name=message]', 'gràcies per la trucada');
  await bob.getByRole('button', { name: 'Send' }).click();
  await alice.locator('.people button[data-peer="bob@node2.mesh"] .unread', { hasText: '1' }).waitFor();
  await alice.click('.people button[data-peer="bob@node2.mesh"]');
  await alice.locator('.lines li.theirs', { hasText: 'gràcies per la trucada' }).waitFor();
  t.equal(await bob.locator('.lines li.mine .meta', { hasText: 'sending' }).count(), 0, "bob's message crossed to alice's page on node1 and was taken");

  // Presence across nodes: node2's descriptor publishes bob's once he shows it to the whole mesh.
  await alice.fill('input[name=contact]', 'bob@node2.mesh');
  await alice.getByRole('button', { name: 'Add', exact: true }).click();
  const bobSeen = alice.locator('.contacts li[data-contact="bob@node2.mesh"]');
  await bobSeen.getByText('not shared').waitFor();
  await bob.getByText('Everyone on the mesh').click();
  await bob.getByText('Saved.').waitFor();
  // One fetch of node2's descriptor (every PEER_INTERVAL s) and one round of the page's check (15 s).
  const crossing = (PEER_INTERVAL + 15 + 5) * 1000;
  await alice.locator('.contacts li[data-contact="bob@node2.mesh"][data-seen=online]').waitFor({ timeout: crossing });
  t.pass("alice on node1 sees bob on node2 online, from node2's signed descriptor");
  await bob.context().close();
  await alice.locator('.contacts li[data-contact="bob@node2.mesh"][data-seen=offline]').waitFor({ timeout: crossing + 35_000 });
  t.pass('and offline once his page is closed');
});
