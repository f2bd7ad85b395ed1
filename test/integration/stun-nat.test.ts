/**
 * STUN through a real NAT, as a phone behind a qMp node in roaming mode meets it: the node runs on
 * a server test host, the clients on a host behind a router that masquerades (nftables), each in a
 * network namespace of the test's own. The reflexive address the node reports must be the router's,
 * not the client's own; coturn's turnutils_stunclient and headless Chromium both learn it.
 *
 * On loopback or a flat mesh the reflexive address equals the host address, and a Chromium page
 * with media permission drops such a candidate (ice-chromium.test.ts): here it must keep it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { startDaemon } from '../helpers/daemon.js';
import { gather, hostOf, relatedOf, typ } from '../helpers/ice-gather.js';
import { inHost, natHosts, natHostsMissing, type NatHosts } from '../helpers/nat-hosts.js';

const run = promisify(execFile);
const stunclientMissing = await run('sh', ['-c', 'command -v turnutils_stunclient']).then(
  () => false as const,
  () => 'turnutils_stunclient missing (apt-get install coturn)',
);
const STUN_PORT = 3478;
const HTTPS_PORT = 8443;

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The hosts, and the node serving STUN on the server host. */
async function natAndNode(t: Teardown): Promise<NatHosts> {
  const hosts = natHosts(t);
  const dir = mkdtempSync(join(tmpdir(), 'trucada-nat-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'trucada.uci');
  writeFileSync(
    config,
    `config trucada 'main'\n\toption domain 'server.mesh'\n\tlist listen '${hosts.serverAddress}'\n` +
      `\toption stun_port '${STUN_PORT}'\n\toption https_port '${HTTPS_PORT}'\n\toption data_dir '${join(dir, 'data')}'\n\toption run_dir '${join(dir, 'run')}'\n`,
  );
  await startDaemon(t, config, process.execPath, { netns: hosts.server });
  return hosts;
}

t.test('turnutils_stunclient behind the NAT learns the router\'s address', { skip: natHostsMissing || stunclientMissing }, async (t) => {
  const hosts = await natAndNode(t);
  const [command, argv] = inHost(hosts.client, ['turnutils_stunclient', '-p', String(STUN_PORT), hosts.serverAddress]);
  const { stdout, stderr } = await run(command, argv, { timeout: 10_000 });
  const reflexive = /UDP reflexive addr: ([\d.]+):(\d+)/.exec(stdout + stderr);
  t.ok(reflexive, stdout + stderr);
  t.equal(reflexive?.[1], hosts.publicAddress, 'the address the NAT gave the client');
  t.not(reflexive?.[1], hosts.clientAddress, 'not the client\'s own');
});

for (const mediaPermission of [false, true]) {
  const page = mediaPermission ? 'a page with media permission' : 'an ordinary page';
  t.test(`Chromium behind the NAT, ${page}: a srflx candidate at the router's address within a second`, { skip: natHostsMissing || chromiumMissing }, async (t) => {
    const hosts = await natAndNode(t);
    const browser = await launchChromium(t, { mediaPermission, netns: hosts.client });
    // The node's own page through the NAT: a secure origin, where a page can be given the microphone.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    t.teardown(() => context.close());
    const tab = await context.newPage();
    await tab.goto(`https://${hosts.serverAddress}:${HTTPS_PORT}/`, { timeout: 5000 });
    // Once a page has media permission, Chromium shows it raw host addresses (no mDNS names).
    if (mediaPermission) {
      await tab.evaluate(async () => {
        for (const track of (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks()) track.stop();
      });
    }
    const gathered = await gather(tab, [{ urls: `stun:${hosts.serverAddress}:${STUN_PORT}` }]);
    t.equal(gathered.state, 'complete', 'gathering complete');
    t.ok(gathered.gatheringMs < 1000, `in ${gathered.gatheringMs.toFixed(0)} ms`);
    const srflx = gathered.candidates.filter((c) => typ(c) === 'srflx');
    t.equal(srflx.length, 1, `one srflx among: ${gathered.candidates.join(' | ')}`);
    t.equal(hostOf(srflx[0] ?? ''), hosts.publicAddress, 'the address the NAT gave it');
    if (mediaPermission) {
      t.ok(gathered.candidates.some((c) => typ(c) === 'host' && hostOf(c) === hosts.clientAddress), 'its own address as a host candidate');
      t.equal(relatedOf(srflx[0] ?? ''), hosts.clientAddress, 'related to it');
    }
  });
}
