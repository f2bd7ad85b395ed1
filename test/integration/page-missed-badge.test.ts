/**
 * The missed-call badge on the call page in headless Chromium (issue 10 item 7): bob's browser is
 * logged out while his desk phone (SIP.js) rings for alice, who hangs up before anyone answers; when
 * bob logs in on the page the Recent calls heading and the tab's title count one missed call not
 * seen, and they keep counting while the list is below the fold. Once the list has been on screen
 * the count goes, stays gone after a reload (this browser remembers), counts a new missed call
 * only, and logging out gives the title back. The node's summary MESSAGE of missed calls goes to
 * bob's other SIP devices, not to the page, which would show it as a chat with nobody.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { screenshots } from '../helpers/screenshots.js';
import { startSipJs, until } from '../helpers/sip-ua.js';
import { startSipJsPhone } from '../helpers/sipjs-phone.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';
import { installSipWebSocket } from '../helpers/ws-for-sip-clients.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');
const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
/** A phone's screen: the Recent calls list is far below the fold. */
const PHONE = { width: 360, height: 640 };
/** Longer than the page's SEEN_MS (src/web/missed-badge.ts). */
const LONGER_THAN_SEEN_MS = 3500;

async function logIn(page: Page, name: keyof typeof USERS): Promise<void> {
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', USERS[name]);
  await page.click('button[value=login]');
  await page.getByText('Ready for calls').waitFor();
}

/** alice calls bob from her page and hangs up while it rings. */
async function missedCall(alice: Page): Promise<void> {
  await alice.fill('input[name=target]', 'bob');
  await alice.click('form.dial button[type=submit]');
  await alice.getByText(/Ringing bob/).waitFor();
  await alice.click('button.hang-up:visible');
  await alice.locator('form.dial').waitFor({ state: 'visible' });
}

const badge = (page: Page) => page.locator('section.recent h2 .missed-badge');

t.test('missed calls not seen are counted by the Recent calls heading and the title until seen', { skip, timeout: 90_000 }, async (t) => {
  const node = await startTestNode(t, USERS);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const sockets = installSipWebSocket(t);
  const desk = await startSipJsPhone(t, sockets, { server: `ws://127.0.0.1:${node.config.httpPort}`, name: 'bob-desk', user: 'bob', password: USERS.bob, domain: TEST_DOMAIN });
  await desk.register();
  const browser = await launchChromium(t);
  const alice = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  const bob = await (await browser.newContext({ ignoreHTTPSErrors: true, viewport: PHONE })).newPage();
  for (const page of [alice, bob]) page.setDefaultTimeout(15_000);
  await alice.goto(url);
  await logIn(alice, 'alice');
  await bob.goto(url);
  await bob.locator('form.login').waitFor();

  const ringing = desk.nextInvitation('bob’s desk phone to ring');
  await missedCall(alice);
  await ringing;
  t.match(node.node.history.list('bob', { limit: 1 })[0], { caller: 'alice', outcome: 'missed' }, 'bob missed a call from alice');

  await logIn(bob, 'bob');
  await badge(bob).filter({ hasText: '1' }).waitFor();
  t.equal(await bob.title(), '(1) trucada', 'the title counts it, for a tab in the background');
  t.equal(await badge(bob).getAttribute('aria-label'), 'Missed calls not seen yet: 1', 'the badge says what it counts');
  t.ok(await bob.locator('.history li.missed', { hasText: 'From alice' }).count(), 'the call is listed as missed');
  // The summary MESSAGE is for SIP devices: the page, which lists the call, is not sent it, and
  // another device of bob's that registers after the page still is.
  const other = await startSipJs(t, { url: `ws://127.0.0.1:${node.config.httpPort}/bob-other`, user: 'bob', password: USERS.bob, domain: TEST_DOMAIN });
  const summaries: string[] = [];
  other.ua.delegate = {
    onMessage: (m) => {
      summaries.push(m.request.body);
      void m.accept();
    },
  };
  t.same(await other.register(), { registered: true });
  await until(() => summaries.length === 1, 'the summary at bob\'s other device');
  t.match(summaries[0], /You missed a call from alice/, 'bob\'s other device gets the summary');
  t.equal(await bob.locator('section.chat .people button').count(), 0, 'the page got none: no chat with the node');
  await bob.waitForTimeout(LONGER_THAN_SEEN_MS);
  t.equal(await badge(bob).textContent(), '1', 'while the list is below the fold it is not seen');
  t.equal(await bob.title(), '(1) trucada');
  await screenshots(bob, 'history-missed');

  await bob.locator('.history').scrollIntoViewIfNeeded();
  await badge(bob).waitFor({ state: 'hidden' });
  t.equal(await bob.title(), 'trucada', 'once the list was on screen the count goes, from the title too');
  t.ok(await bob.locator('.history li.missed').count(), 'the call is still listed as missed');

  const missedId = node.node.history.list('bob', { limit: 1 })[0]!.id;
  t.equal(await bob.evaluate(() => localStorage.getItem('trucada.missedSeen.bob')), String(missedId), 'this browser keeps the newest missed call seen');
  await bob.reload();
  // The badge is set in the same task that lists the calls.
  await bob.locator('.history li.missed').waitFor();
  t.equal(await badge(bob).isVisible(), false, 'after a reload, no badge for a call already seen');
  t.equal(await bob.title(), 'trucada');

  await bob.evaluate(() => window.scrollTo(0, 0));
  await missedCall(alice);
  await badge(bob).filter({ hasText: '1' }).waitFor();
  t.equal(await bob.title(), '(1) trucada', 'a new missed call, while bob\'s page is open, counts one: only the one not seen');
  t.equal(await bob.locator('.history li.missed').count(), 2, 'two missed calls listed');

  await bob.getByRole('button', { name: 'Log out' }).click();
  await bob.locator('form.login').waitFor();
  t.equal(await bob.title(), 'trucada', 'logging out takes the count out of the title');
});
