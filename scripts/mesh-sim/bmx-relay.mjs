// Plays bmx6 for the simulated mesh (Debian packages no bmx6): what node i writes to
// <run dir>/sms/sendSms/trucada reaches every other node j as rcvdSms/node<i>.<key id>:trucada, the
// way bmx6's sms plugin (lib/bmx6_sms/sms.c) carries it in i's node description, which bmx floods to
// the whole mesh; a changed file replaces the copies, a removed or emptied one removes them (bmx
// drops the sms from the description, and every node deletes its copy).
//
// Delay: in bmx6 a new description goes out hop by hop, each node passing it on with its next
// frames; bmx6 sends frames every txInterval (DEF_TX_INTERVAL 500 ms in bmx6's bmx.h) and queues a
// description request or reply with DEF_TX_DELAY, 2 to 3 txIntervals. So a copy reaches j after
// `hopDelayMs` × hops(i, j), 500 ms a hop by default: the low end, as on links that lose nothing (a
// lossy radio link adds retries). A line is slower than a ring of the same size. On top of that,
// bmx itself notices a change of sendSms at once (inotify), and so does trucada of rcvdSms. Files are
// written as bmx6 writes them (open with O_TRUNC, one write) and removed as it removes them (unlink).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How often the relay looks at every sendSms/trucada; bmx reacts at once, through inotify. */
const POLL_MS = 100;

/** bmx6's origin of node i's files: the node's host name and a key id (as bmx6 names them). */
export const originOf = (i) => `node${i}.${(0xa0000000 + i).toString(16).toUpperCase()}`;

/**
 * @param {{ runDirs: (string | null)[], hops: number[][], hopDelayMs: number }} o runDirs[i]: node i's
 *        bmx run dir (index 0 unused); hops from topology.shortestPaths
 * @returns {{ stop: () => void }}
 */
export function startBmxRelay({ runDirs, hops, hopDelayMs }) {
  const n = runDirs.length - 1;
  const sent = (i) => join(runDirs[i], 'sms', 'sendSms', 'trucada');
  const copy = (from, to) => join(runDirs[to], 'sms', 'rcvdSms', `${originOf(from)}:trucada`);
  /** What the relay last saw of each node's file: its text, or null when there is none or it is empty. */
  const last = new Array(n + 1).fill(null);
  const pending = new Set();

  const deliver = (from, to, text) => {
    try {
      if (text === null) rmSync(copy(from, to), { force: true });
      else {
        mkdirSync(join(runDirs[to], 'sms', 'rcvdSms'), { recursive: true });
        writeFileSync(copy(from, to), text);
      }
    } catch {
      // The sim is tearing the mesh down.
    }
  };
  const poll = () => {
    for (let i = 1; i <= n; i += 1) {
      let text = null;
      try {
        text = readFileSync(sent(i), 'utf8');
      } catch {
        // No beacon (yet, or any more).
      }
      if (text === '') text = null;
      if (text === last[i]) continue;
      last[i] = text;
      for (let j = 1; j <= n; j += 1) {
        if (j === i) continue;
        // Deliveries from i to j all wait the same time, so they arrive in the order they were sent.
        const timer = setTimeout(() => {
          pending.delete(timer);
          deliver(i, j, text);
        }, hopDelayMs * hops[i][j]);
        pending.add(timer);
      }
    }
  };
  const loop = setInterval(poll, POLL_MS);
  poll();
  return {
    stop: () => {
      clearInterval(loop);
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}
