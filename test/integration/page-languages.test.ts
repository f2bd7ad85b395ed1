/**
 * The page speaks Catalan, Spanish or English (DESIGN.md §6), the first of the browser's languages
 * it has: headless Chromium with each locale opens the login screen and finds its words.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');

t.test('the login screen in the browser\'s language', { skip, timeout: 60_000 }, async (t) => {
  const node = await startTestNode(t);
  const browser = await launchChromium(t);
  const cases: Array<[string, string, string]> = [
    ['ca-ES', 'ca', 'Registra’t'],
    ['es-ES', 'es', 'Crear cuenta'],
    ['de-DE', 'en', 'Sign up'],
    ['en-GB', 'en', 'Sign up'],
  ];
  for (const [locale, lang, signUp] of cases) {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true, locale })).newPage();
    await page.goto(`https://127.0.0.1:${node.config.httpsPort}/`);
    await page.locator('button[value=signup]', { hasText: signUp }).waitFor({ timeout: 15_000 });
    t.equal(await page.getAttribute('html', 'lang'), lang, `${locale}: the page says it is in ${lang}`);
    await page.context().close();
  }
});

t.test('another language picked on the page, kept by this browser', { skip, timeout: 60_000 }, async (t) => {
  const node = await startTestNode(t);
  const browser = await launchChromium(t);
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`https://127.0.0.1:${node.config.httpsPort}/`);
  await page.locator('button[value=signup]', { hasText: 'Sign up' }).waitFor({ timeout: 15_000 });
  await page.getByLabel('Language').selectOption('ca');
  await page.locator('button[value=signup]', { hasText: 'Registra’t' }).waitFor({ timeout: 15_000 });
  t.equal(await page.getAttribute('html', 'lang'), 'ca', 'the page reloads in Catalan');
  const again = await context.newPage();
  await again.goto(`https://127.0.0.1:${node.config.httpsPort}/`);
  await again.locator('button[value=signup]', { hasText: 'Registra’t' }).waitFor({ timeout: 15_000 });
  t.equal(await again.inputValue('select[name=language]'), 'ca', 'and stays in it, though the browser asks for English');
});
