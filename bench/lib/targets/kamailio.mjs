// Target (b): Kamailio from Debian with bench/kamailio/kamailio.cfg (one UDP worker, digest auth,
// contacts in memory). Its runtime directory is a fresh one under the bench's temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitForSip } from '../sip-probe.mjs';

/** @param {import('../processes.mjs').ProcessGroups} groups */
export async function startKamailio(groups, { root, port, logDir, tmpDir, kamailio }) {
  const runDir = mkdtempSync(join(tmpDir, 'kamailio-'));
  const args = [
    '-DD', '-E', // foreground, log to stderr
    '-f', join(root, 'bench/kamailio/kamailio.cfg'),
    '-l', `udp:127.0.0.1:${port}`,
    '-Y', runDir,
    '-w', runDir,
    '-P', join(runDir, 'kamailio.pid'),
    '-m', '64', '-M', '8', // shared and private memory, MB
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
