// Target (c): the floor of one Node event loop, bench/floor-responder.mjs.
import { join } from 'node:path';
import { waitForSip } from '../sip-probe.mjs';

/** @param {import('../processes.mjs').ProcessGroups} groups */
export async function startFloor(groups, { root, port, logDir }) {
  const proc = groups.start(process.execPath, [join(root, 'bench/floor-responder.mjs'), String(port)], {
    logFile: join(logDir, 'floor.log'),
  });
  try {
    await Promise.race([waitForSip(port), proc.exited.then((code) => Promise.reject(new Error(`floor responder exited (${code})`)))]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { pid: proc.pid, stop: proc.stop };
}
