/**
 * The page as an installed web app (issue 10 item 9) in headless Chromium: the manifest and its
 * icons are served and well-formed, the service worker takes the page, and while the node is down
 * a reload still shows the page, which says the node cannot be reached and comes back by itself
 * once the node is up again. Chromium registers a service worker only for a trusted certificate,
 * so the browser here trusts the node's, as it would one the operator installed (`cert`, `key`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { startTestNode, startTestNodeWith } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');

interface Manifest {
  start_url: string;
  display: string;
  icons: { src: string; sizes: string; type: string }[];
}

t.test('installable, and kept by its service worker while the node restarts', { skip, timeout: 90_000 }, async (t) => {
  const first = await startTestNode(t);
  const url = `https://127.0.0.1:${first.config.httpsPort}/`;
  const browser = await launchChromium(t, { trustCertificate: true });
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' })).newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  await page.locator('button[value=signup]').waitFor();

  const href = await page.getAttribute('link[rel=manifest]', 'href');
  const manifest = await page.evaluate(async (h) => {
    const res = await fetch(h!);
    return { type: res.headers.get('content-type'), body: (await res.json()) as unknown };
  }, href);
  t.equal(manifest.type, 'application/manifest+json');
  const m = manifest.body as Manifest;
  t.match(m, { start_url: '/', display: 'standalone' });
  for (const size of [192, 512]) {
    const icon = m.icons.find((i) => i.sizes === `${size}x${size}` && i.type === 'image/png');
    t.ok(icon, `a ${size} px PNG icon is named`);
    const dims = await page.evaluate(async (src) => {
      const bitmap = await createImageBitmap(await (await fetch(src)).blob());
      return [bitmap.width, bitmap.height];
    }, icon!.src);
    t.same(dims, [size, size], `and the browser decodes it at ${size} × ${size}`);
  }

  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  t.equal(scope, url, 'the service worker is active for the whole page');
  await page.reload();
  t.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'and controls it');

  await first.stop();
  await page.reload();
  await page.getByText('The node cannot be reached right now').waitFor();
  t.pass('with the node down, a reload shows the page saying why it waits');

  const again = await startTestNodeWith(t, first.config);
  t.equal(again.config.httpsPort, first.config.httpsPort);
  await page.locator('button[value=signup]').waitFor({ timeout: 20_000 });
  t.pass('the node is back: the page goes on to the login screen by itself');
});
