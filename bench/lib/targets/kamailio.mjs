// Target (b): Kamailio from Debian with bench/kamailio/kamailio.cfg (one UDP worker, digest auth,
// contacts in memory), or another configuration of that directory (`config`: proxy.cfg for the call
// bench, which needs more shared memory, `sharedMb`). Its runtime directory is a fresh one under the
// bench's temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitForSip } from '../sip-probe.mjs';

/**
 * Kamailio as a stateful proxy, for the benches that place calls. tm keeps each finished transaction
 * (the INVITE's and the BYE's, each with a copy of its request) for its 5 s wait timer: at 2900 calls/s
 * its shared memory peaked at about 440 MB (64 MB runs out at once); only the pages it touches count.
 */
export const KAMAILIO_PROXY = { config: 'proxy.cfg', sharedMb: 1024 };

/** @param {import('../processes.mjs').ProcessGroups} groups */
export async function startKamailio(groups, { root, port, logDir, tmpDir, kamailio, config = 'kamailio.cfg', sharedMb = 64 }) {
  const runDir = mkdtempSync(join(tmpDir, 'kamailio-'));
  const args = [
    '-DD', '-E', // foreground, log to stderr
    '-f', join(root, 'bench/kamailio', config),
    '-l', `udp:127.0.0.1:${port}`,
    '-Y', runDir,
    '-w', runDir,
    '-P', join(runDir, 'kamailio.pid'),
    '-m', String(sharedMb), '-M', '8', // shared and private memory, MB
  ];
  const proc = groups.start(kamailio, args, { logFile: join(logDir, 'kamailio.log') });
  try {
    await Promise.race([waitForSip(port), proc.exited.then((code) => Promise.reject(new Error(`kamailio exited (${code}); see ${logDir}/kamailio.log`)))]);
  } catch (err) {
    await proc.stop();
    rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  return {
    pid: proc.pid,
    stop: async () => {
      await proc.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
