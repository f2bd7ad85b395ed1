/**
 * A person on the call page in their own browser context: signed up or logged in, registered
 * ("Ready for calls"), with the step timeout the page tests use.
 */
import type { Browser, Page } from 'playwright-core';

export interface PageUserOptions {
  /** Default `<name>-secret`. */
  readonly password?: string;
  readonly width?: number;
  /** Log in to an existing account instead of signing up. */
  readonly logIn?: boolean;
}

export async function pageUser(browser: Browser, url: string, name: string, opts: PageUserOptions = {}): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB', ...(opts.width ? { viewport: { width: opts.width, height: 900 } } : {}) });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', opts.password ?? `${name}-secret`);
  await page.click(opts.logIn ? 'button[value=login]' : 'button[value=signup]');
  await page.getByText('Ready for calls').waitFor();
  return page;
}
