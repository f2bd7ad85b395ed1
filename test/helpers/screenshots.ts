/**
 * Screenshots of a screen of the page at a phone's width and a laptop's, for a person to look at
 * (issue 10): test-results/<screen>-<width>.png (gitignored), the whole page each. The viewport is
 * put back afterwards, so a test goes on at the size it chose.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const SIZES = [
  { width: 360, height: 740 },
  { width: 1280, height: 800 },
] as const;

export async function screenshots(page: Page, screen: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const before = page.viewportSize();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `${RESULTS}${screen}-${size.width}.png`, fullPage: true });
  }
  if (before !== null) await page.setViewportSize(before);
}
