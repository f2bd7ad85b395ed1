// Debian's headless Chromium (package `chromium`) driven by playwright-core, launched as the page
// tests launch it (test/helpers/chromium.ts, which plain node cannot import): no GPU, no QUIC,
// nothing fetched in the background, fake microphone and camera with permission granted.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function haveChromium() {
  return existsSync(CHROMIUM);
}

/**
 * The node's self-signed certificate is taken as trusted (--ignore-certificate-errors), as one the
 * operator installed would be: Chromium registers a service worker only from a trusted origin, and
 * the page's service worker fetches files of its own on a first visit.
 */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--ignore-certificate-errors',
    ],
    timeout: 15_000,
  });
}
