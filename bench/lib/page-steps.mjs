// Steps the page bench takes on the page, with the selectors the page tests use
// (test/integration/page-call.test.ts), and the watch it keeps on a context's requests.

/**
 * Records every request of `context` (its pages, their WebSockets and its service worker) and
 * which are still in flight; `check()` throws when any went elsewhere than the node's origin.
 * @param {import('playwright-core').BrowserContext} context
 */
export function onlyOrigin(context, origin) {
  const { host } = new URL(origin);
  const foreign = [];
  const pending = new Set();
  let count = 0;
  const seen = (url, protocols) => {
    count += 1;
    const u = new URL(url);
    if (u.host !== host || !protocols.includes(u.protocol)) foreign.push(url);
  };
  context.on('request', (request) => {
    pending.add(request);
    seen(request.url(), ['https:']);
  });
  context.on('requestfinished', (request) => pending.delete(request));
  context.on('requestfailed', (request) => pending.delete(request));
  context.on('page', (page) => page.on('websocket', (ws) => seen(ws.url(), ['wss:'])));
  return {
    pending,
    count: () => count,
    check() {
      if (foreign.length > 0) throw new Error(`requests left the node's origin ${origin}: ${foreign.join(', ')}`);
    },
  };
}

/** Resolves once no request of the context has been in flight for 300 ms (15 s at most). */
export async function waitQuiet({ pending }) {
  const deadline = Date.now() + 15_000;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 300) {
    if (Date.now() > deadline) throw new Error(`requests still in flight after 15 s: ${[...pending].map((r) => r.url()).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (pending.size > 0) quietSince = Date.now();
  }
}

/** Signs up through the login form and waits for the phone to register (its Call button enabled). */
export async function signUp(page, name, password) {
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[value=signup]');
  await page.locator('form.dial button[type=submit]:enabled').waitFor();
}
