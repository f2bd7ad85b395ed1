/**
 * Debian's headless Chromium (package `chromium`) driven by playwright-core, for tests of what a real
 * browser does against the node. playwright-core brings no browser of its own: it launches
 * /usr/bin/chromium with a fresh user-data directory it removes on close.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A skip reason when the browser is missing, else false (for `t.test(name, { skip }, ...)`). */
export const chromiumMissing: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} missing (apt-get install chromium)`;

/**
 * No GPU, no QUIC, nothing fetched in the background, and fake capture devices. The fake media UI
 * answers permission prompts with "allow", and a page with camera and microphone permission is
 * shown its raw host addresses instead of mDNS names: a test that wants a browser as an ordinary
 * page meets it (no permission asked yet) passes `mediaPermission: false`.
 */
function launchArgs(mediaPermission: boolean): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    ...(mediaPermission ? ['--use-fake-ui-for-media-stream'] : []),
  ];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A browser closed (and its profile removed) when the test ends; with `netns`, on that test host. */
/**
 * `trustCertificate`: the node's self-signed certificate is taken as trusted by the whole browser,
 * as one the operator installed would be; a context's ignoreHTTPSErrors is not enough for what
 * Chromium allows only on trusted certificates (service workers).
 */
export async function launchChromium(t: Teardown, opts: { mediaPermission?: boolean; netns?: string; trustCertificate?: boolean } = {}): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: opts.netns === undefined ? CHROMIUM : inNamespace(t, opts.netns),
    args: [...launchArgs(opts.mediaPermission ?? true), ...(opts.trustCertificate ? ['--ignore-certificate-errors'] : [])],
    timeout: 15_000,
  });
  t.teardown(() => browser.close());
  return browser;
}

/** A launcher that starts Chromium on the test host `netns`; playwright's pipes pass through `ip netns exec`. */
function inNamespace(t: Teardown, netns: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-chromium-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const launcher = join(dir, 'chromium');
  writeFileSync(launcher, `#!/bin/sh
exec ip netns exec '${netns}' ${CHROMIUM} "$@"
`);
  chmodSync(launcher, 0o755);
  return launcher;
}
