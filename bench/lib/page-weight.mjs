// What a first visit to the page transfers: a fresh browser context (empty cache, no service worker)
// opens the node's page, and every response it and its service worker receive is counted, first up
// to the login screen, then through a sign-up up to a registered phone.
import { onlyOrigin, signUp, waitQuiet } from './page-steps.mjs';

/**
 * @param {import('playwright-core').Browser} browser
 * @returns {Promise<{ files: { phase: string, by: string, path: string, encoding: string, status: number, bytes: number }[],
 *   phases: Record<string, number>, requests: number, serviceWorker: boolean, workerFetches: number, workerFromCache: number }>}
 */
export async function measureWeight(browser, origin) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const origins = onlyOrigin(context, origin);
    let phase = 'login screen';
    const sized = [];
    context.on('requestfinished', (request) => sized.push(sizeOf(request, phase)));
    const page = await context.newPage();
    const ws = { frames: 0, bytes: 0, phase: '', url: '' };
    page.on('websocket', (socket) => {
      ws.phase = phase;
      ws.url = socket.url();
      socket.on('framereceived', ({ payload }) => {
        ws.frames += 1;
        ws.bytes += Buffer.byteLength(payload);
      });
    });

    await page.goto(`${origin}/`);
    await page.locator('form.login').waitFor();
    // The service worker registers as the page starts and fetches its files meanwhile.
    await waitQuiet(origins);
    phase = 'sign-up to registered';
    await signUp(page, 'visitor', 'visitor-secret');
    const serviceWorker = await page.evaluate(() =>
      Promise.race([navigator.serviceWorker.ready.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]),
    );
    await waitQuiet(origins);
    origins.check();

    const files = await Promise.all(sized);
    const workerFromCache = await fromCacheInWorker(context, files);
    if (ws.url) files.push({ phase: ws.phase, by: 'page', path: `${new URL(ws.url).pathname} (WebSocket, ${ws.frames} frame${ws.frames === 1 ? '' : 's'} received)`, encoding: '', status: 101, bytes: ws.bytes });
    const phases = {};
    for (const f of files) phases[f.phase] = (phases[f.phase] ?? 0) + f.bytes;
    const workerFetches = files.filter((f) => f.by === 'service worker').length;
    return { files, phases, requests: origins.count(), serviceWorker, workerFetches, workerFromCache };
  } finally {
    await context.close();
  }
}

/**
 * One response's bytes as Chromium received them: raw headers plus the body as sent (compressed).
 * Chromium reports the service worker's own script with no body; for a 200 with none, the body's
 * Content-Length (the node sends one with every response) is taken instead.
 */
async function sizeOf(request, phase) {
  const response = await request.response();
  const sizes = await request.sizes();
  const headers = response ? await response.allHeaders() : {};
  const body = sizes.responseBodySize > 0 || response?.status() !== 200 ? sizes.responseBodySize : Number(headers['content-length'] ?? 0);
  return {
    phase,
    by: request.serviceWorker() ? 'service worker' : 'page',
    path: new URL(request.url()).pathname,
    encoding: headers['content-encoding'] ?? '',
    status: response?.status() ?? 0,
    bytes: sizes.responseHeadersSize + Math.max(0, body),
  };
}

/**
 * Playwright's sizes of the service worker's fetches do not say whether one came from the HTTP
 * cache; the worker's own Resource Timing does (transferSize 0). Those count nothing.
 * @returns {Promise<number>} how many there were
 */
async function fromCacheInWorker(context, files) {
  const [worker] = context.serviceWorkers();
  if (!worker) return 0;
  const cached = new Set(
    await worker.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.transferSize === 0)
        .map((e) => new URL(e.name).pathname),
    ),
  );
  const fromCache = files.filter((f) => f.by === 'service worker' && cached.has(f.path));
  for (const f of fromCache) {
    f.bytes = 0;
    f.encoding = '(HTTP cache)';
  }
  return fromCache.length;
}
