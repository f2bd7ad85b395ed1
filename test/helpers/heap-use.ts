/**
 * A daemon's JavaScript heap after a full garbage collection, which RSS cannot show: V8 keeps the
 * pages it grew into, so memory freed and memory leaked look alike from outside. The daemon's Node
 * inspector is opened with SIGUSR1 (as `node inspect -p PID` does), on the loopback of its own test
 * host, and heap-probe.ts run there asks it for the collection and for `process.memoryUsage()`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./heap-probe.ts', import.meta.url));

export interface HeapUse {
  /** `heapUsed` after the collection, in MiB. */
  heapMiB: number;
  /** ArrayBuffers and Buffers outside the heap (socket buffers among them), in MiB. */
  externalMiB: number;
}

const mib = (bytes: number) => Math.round(bytes / 104857.6) / 10;

export async function heapAfterGc(netns: string, pid: number): Promise<HeapUse> {
  process.kill(pid, 'SIGUSR1');
  const out = await new Promise<string>((resolve, reject) => {
    execFile('ip', ['netns', 'exec', netns, process.execPath, ...process.execArgv, PROBE], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`heap probe of process ${pid}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
  const use = JSON.parse(out) as { heapUsed: number; external: number };
  return { heapMiB: mib(use.heapUsed), externalMiB: mib(use.external) };
}
