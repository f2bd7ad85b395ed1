// The time from a click on Call to a connected call: two browser contexts signed up as two users,
// the callee's page answering by itself the moment it rings, the caller's page timing each call
// with performance.now() from its click to the state "connected", then hanging up.
import { onlyOrigin, signUp } from './page-steps.mjs';

const STEP_MS = 15_000;

/**
 * @param {import('playwright-core').Browser} browser
 * @returns {Promise<number[]>} each call's milliseconds, in order
 */
export async function measureCalls(browser, origin, calls) {
  const contexts = [];
  try {
    const pages = [];
    const watches = [];
    for (const name of ['caller', 'callee']) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      contexts.push(context);
      watches.push(onlyOrigin(context, origin));
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_MS);
      await page.goto(`${origin}/`);
      await signUp(page, name, `${name}-secret`);
      pages.push(page);
    }
    const [caller, callee] = pages;
    await callee.evaluate(answerWhenRinging);
    const times = [];
    for (let i = 0; i < calls; i += 1) {
      await caller.fill('input[name=target]', 'callee');
      times.push(await caller.evaluate(timeCall, STEP_MS));
      await caller.click('button.hang-up:visible');
      for (const page of pages) await page.locator('form.dial').waitFor({ state: 'visible' });
    }
    for (const watch of watches) watch.check();
    return times;
  } finally {
    for (const context of contexts) await context.close();
  }
}

/**
 * In the callee's page: clicks Answer as soon as the call panel shows it (its buttons no longer
 * hidden), once per call, in the same task as the page's own update: no test-side round trip.
 */
function answerWhenRinging() {
  new MutationObserver(() => {
    const answer = document.querySelector('section.call button.answer');
    if (answer === null || answer.parentElement.hidden || answer.dataset.clicked) return;
    answer.dataset.clicked = 'yes';
    answer.click();
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'] });
}

/**
 * In the caller's page: clicks Call and resolves with the milliseconds until the call panel shows
 * the call connected (src/web/call-panel.ts shows its timer in that state only); rejects when the
 * call ends first or takes over `limitMs`.
 */
function timeCall(limitMs) {
  return new Promise((resolve, reject) => {
    let seen = false;
    const observer = new MutationObserver(() => {
      const panel = document.querySelector('section.call');
      if (panel !== null) seen = true;
      if (panel?.querySelector('.call-timer')?.hidden === false) finish(() => resolve(performance.now() - start));
      else if (seen && panel === null) finish(() => reject(new Error(`the call ended before it connected: ${document.querySelector('p.message')?.textContent}`)));
    });
    const timer = setTimeout(() => finish(() => reject(new Error(`not connected after ${limitMs} ms`))), limitMs);
    const finish = (settle) => {
      observer.disconnect();
      clearTimeout(timer);
      settle();
    };
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'] });
    const start = performance.now();
    document.querySelector('form.dial button[type=submit]').click();
  });
}
