/**
 * The call page talks to no one but the node (issue 10 item 10). Two people in headless Chromium
 * sign up, register, call with audio (answered, then hung up), write to each other and look at the
 * history, while every request of both browser contexts and every WebSocket of their pages is
 * recorded: all of them go to the node's HTTPS origin (https:// or wss:// of 127.0.0.1 and its
 * port), so nothing comes from a CDN, a font host or anywhere else. The one thing a page reaches
 * without a request is its ICE servers: each RTCPeerConnection the page made is recorded from
 * inside the page, and names only the node's own STUN, as /api/ice-servers answered.
 * Screenshots of login, idle, ringing, in a call and chat go to test-results/ on the way.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { freePorts } from '../helpers/ports.js';
import { screenshots } from '../helpers/screenshots.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');

interface Recorded {
  readonly page: Page;
  readonly requests: string[];
  readonly sockets: string[];
  /** The `iceServers` of every answer to /api/ice-servers. */
  readonly iceAnswers: unknown[];
}

/** A page in a fresh context whose requests, WebSockets and RTCPeerConnection configurations are kept. */
async function recorded(browser: Browser): Promise<Recorded> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const requests: string[] = [];
  const sockets: string[] = [];
  const iceAnswers: unknown[] = [];
  context.on('request', (r) => requests.push(r.url()));
  // Before any script of the page runs: what each peer connection was given.
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const configs: unknown[] = [];
    Object.assign(window, { trucadaPeerConfigs: configs });
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        configs.push(JSON.parse(JSON.stringify(config ?? {})));
        super(config);
      }
    };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('websocket', (ws) => sockets.push(ws.url()));
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/api/ice-servers') void r.json().then((body: { iceServers: unknown }) => iceAnswers.push(body.iceServers), () => {});
  });
  return { page, requests, sockets, iceAnswers };
}

async function signUp(page: Page, name: string): Promise<void> {
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', `${name}-secret-9`);
  await page.click('button[value=signup]');
  await page.getByText('Ready for calls').waitFor();
}

t.test('through sign-up, a call, chat and history the page requests nothing but the node', { skip, timeout: 120_000 }, async (t) => {
  const [stunPort] = await freePorts(1);
  const node = await startTestNode(t, {}, { stunPort: stunPort! });
  const origin = `https://127.0.0.1:${node.config.httpsPort}`;
  const wsOrigin = `wss://127.0.0.1:${node.config.httpsPort}`;
  const browser = await launchChromium(t);
  const a = await recorded(browser);
  const b = await recorded(browser);
  const [alice, bob] = [a.page, b.page];

  await alice.goto(`${origin}/`);
  await bob.goto(`${origin}/`);
  await alice.locator('form.login').waitFor();
  await screenshots(alice, 'login');
  await signUp(alice, 'alice');
  await signUp(bob, 'bob');
  await screenshots(alice, 'idle');

  await alice.fill('input[name=target]', 'bob');
  await alice.click('form.dial button[type=submit]');
  await bob.getByText('alice is calling').waitFor();
  await screenshots(bob, 'incoming');
  await bob.click('button.answer');
  await alice.getByText('In a call with bob').waitFor();
  for (const page of [alice, bob]) await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('.call-quality')?.dataset.packetsReceived ?? 0) > 20);
  t.pass('the call is answered and audio arrives at both ends');
  await alice.waitForFunction(() => document.querySelectorAll('.quality-chart .bar').length > 2);
  await screenshots(alice, 'in-call');
  await alice.click('button.hang-up:visible');
  for (const page of [alice, bob]) await page.locator('form.dial').waitFor({ state: 'visible' });

  await alice.fill('input[name=target]', 'bob');
  await alice.getByRole('button', { name: 'Message', exact: true }).click();
  await alice.fill('input[name=message]', 'hola bob, em sents bé?');
  await alice.getByRole('button', { name: 'Send' }).click();
  await bob.click('.people button[data-peer=alice]');
  await bob.locator('.lines li.theirs', { hasText: 'hola bob' }).waitFor();
  await bob.fill('input[name=message]', 'perfectament, gràcies');
  await bob.getByRole('button', { name: 'Send' }).click();
  await alice.locator('.lines li.theirs', { hasText: 'perfectament' }).waitFor();
  await screenshots(bob, 'chat');
  t.pass('a message each way');

  await alice.locator('.history li', { hasText: 'To bob' }).getByText(/answered/).waitFor();
  await bob.locator('.history li', { hasText: 'From alice' }).getByText(/answered/).waitFor();
  t.pass('both histories list the call');

  for (const [who, r] of [['alice', a], ['bob', b]] as const) {
    const paths = new Set(r.requests.map((u) => new URL(u).pathname));
    for (const path of ['/', '/api/signup', '/api/ice-servers', '/api/history']) t.ok(paths.has(path), `${who}'s page asked for ${path}`);
    t.ok([...paths].some((p) => p.endsWith('.js')) && [...paths].some((p) => p.endsWith('.css')), 'and for its script and style sheet');
    t.same(r.requests.filter((u) => new URL(u).origin !== origin), [], `every one of ${who}'s ${r.requests.length} requests went to ${origin}`);
    t.ok(r.sockets.length > 0, `${who}'s page opened a WebSocket`);
    t.same(r.sockets.filter((u) => !u.startsWith(`${wsOrigin}/`)), [], `its WebSockets are wss:// of the node: ${r.sockets.join(', ')}`);
    const stun = [{ urls: [`stun:127.0.0.1:${stunPort}`] }];
    t.same(r.iceAnswers, [stun], `/api/ice-servers named the node's STUN only for ${who}`);
    const configs = (await r.page.evaluate(() => (window as unknown as { trucadaPeerConfigs: Array<{ iceServers?: unknown }> }).trucadaPeerConfigs)).map((c) => c.iceServers);
    t.ok(configs.length > 0, `${who}'s page made a peer connection`);
    t.same(configs, configs.map(() => stun), 'and gave each one the node\'s STUN and nothing else');
  }
});
