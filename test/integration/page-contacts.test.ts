/**
 * Contacts and presence on the page in headless Chromium (issue 10): alice adds bob and sees
 * nothing of him until he allows it; once he has her among his contacts the page shows him online,
 * by its own periodic check; when he closes his page she sees him offline; when he shows himself
 * to nobody she sees "not shared"; Call on a contact rings him. Screenshots at 360 and 1280 px.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { pageUser } from '../helpers/page-user.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');
/** The page asks every 15 s; a change must show within one round and some slack. */
const POLL_WAIT_MS = 25_000;


async function addContact(page: Page, name: string): Promise<void> {
  await page.fill('input[name=contact]', name);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator(`.contacts li[data-contact="${name}"]`).waitFor();
}

t.test('contacts show online only as far as each person allows', { skip, timeout: 150_000 }, async (t) => {
  const node = await startTestNode(t);
  const browser = await launchChromium(t);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const alice = await pageUser(browser, url, 'alice', { width: 360 });
  const bob = await pageUser(browser, url, 'bob', { width: 1280 });

  await alice.getByText('No contacts yet').waitFor();
  t.ok(await alice.isChecked('input[name=presence][value=contacts]'), 'a new account shows its presence to its contacts');
  await addContact(alice, 'bob');
  const bobSeen = alice.locator('.contacts li[data-contact=bob]');
  t.equal(await bobSeen.getAttribute('data-seen'), 'hidden', 'bob has not added alice: his presence is not shared with her');
  await bobSeen.getByText('not shared').waitFor();

  await addContact(bob, 'alice');
  await alice.locator('.contacts li[data-contact=bob][data-seen=online]').waitFor({ timeout: POLL_WAIT_MS });
  t.pass('alice sees bob online once he has her among his contacts, with no reload');
  mkdirSync(RESULTS, { recursive: true });
  await alice.screenshot({ path: `${RESULTS}contacts-360.png`, fullPage: true });
  await bob.screenshot({ path: `${RESULTS}contacts-1280.png`, fullPage: true });

  await bobSeen.getByRole('button', { name: 'Call' }).click();
  await bob.getByRole('button', { name: 'Answer' }).waitFor();
  t.pass("Call on a contact rings that contact's phone");
  await alice.getByRole('button', { name: 'Hang up' }).click();
  await alice.locator('form.dial').waitFor();

  await bob.getByText('Nobody', { exact: true }).click();
  await bob.getByText('Saved.').waitFor();
  await alice.reload();
  await alice.locator('.contacts li[data-contact=bob][data-seen=hidden]').waitFor();
  t.pass('bob shows himself to nobody: alice sees "not shared"');
  await bob.getByText('The people in my contacts').click();
  await bob.getByText('Saved.').waitFor();

  await bob.context().close();
  await alice.locator('.contacts li[data-contact=bob][data-seen=offline]').waitFor({ timeout: POLL_WAIT_MS + 35_000 });
  t.pass('bob closed his page: alice sees him offline');

  await alice.locator('.contacts li[data-contact=bob]').getByRole('button', { name: 'Remove' }).click();
  await alice.getByText('No contacts yet').waitFor();
  t.pass('a contact is removed');
});
