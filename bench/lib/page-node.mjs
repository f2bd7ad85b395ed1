// The node the page bench opens in the browser: `trucada serve` from the bundle, with a config and a
// fresh data dir of its own under the bench's temporary root (no account yet; sign-up is open by
// default), on free ports of 127.0.0.1, and mDNS, bmx and shared state off so that nothing it does
// leaves loopback.
import { request } from 'node:https';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeTcpPort } from './ports.mjs';

const HOST = '127.0.0.1';

/** @param {import('./processes.mjs').ProcessGroups} groups */
export async function startPageNode(groups, { root, tmpRoot, logFile }) {
  const dir = mkdtempSync(join(tmpRoot, 'node-'));
  const config = join(dir, 'trucada.uci');
  const httpsPort = await freeTcpPort();
  writeFileSync(
    config,
    [
      "config trucada 'main'",
      "\toption domain 'bench.mesh'",
      `\tlist listen '${HOST}'`,
      `\toption sip_port '${await freeTcpPort()}'`,
      `\toption http_port '${await freeTcpPort()}'`,
      `\toption https_port '${httpsPort}'`,
      "\toption stun_port '0'",
      `\toption data_dir '${join(dir, 'data')}'`,
      `\toption run_dir '${join(dir, 'run')}'`,
      "\toption log_level 'warn'",
      "\toption mdns 'off'",
      "\toption bmx 'off'",
      "\toption shared_state 'off'",
      '',
    ].join('\n'),
  );
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const proc = groups.start(process.execPath, [join(root, 'dist/trucada.cjs'), 'serve', '--config', config], { env, logFile });
  const exited = proc.exited.then((code) => Promise.reject(new Error(`trucada serve exited (${code}); see ${logFile}`)));
  try {
    await Promise.race([pageServed(httpsPort), exited]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  exited.catch(() => {});
  // Stopped with the bench's other processes (bench/lib/harness.mjs).
  return { origin: `https://${HOST}:${httpsPort}` };
}

/** Resolves once GET / over HTTPS answers 200 (the certificate is the node's own, unchecked); 20 s at most. */
async function pageServed(port) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await new Promise((resolve) => {
      const req = request({ host: HOST, port, path: '/', rejectUnauthorized: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the page is not served on ${HOST}:${port} after 20 s (last status ${status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
