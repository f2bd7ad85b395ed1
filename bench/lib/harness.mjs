// The frame every bench runs in: a fresh work directory for its logs, the processes it starts in one
// group (their pids in bench/out/NAME.pids for run.sh's trap), a temporary root for the targets' data,
// and the same end however the bench stops: every process stopped, the temporary root removed, and
// SIGINT/SIGTERM ending the run with 130.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessGroups } from './processes.mjs';

/**
 * @param {{ outDir: string, workDir: string, name: string, label: string, log: (line: string) => void }} o
 * @returns {{ groups: ProcessGroups, tmpRoot: string, run: (main: (abort: AbortSignal) => Promise<void>) => Promise<void> }}
 */
export function startHarness({ outDir, workDir, name, label, log }) {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const groups = new ProcessGroups(join(outDir, `${name}.pids`));
  const tmpRoot = mkdtempSync(join(tmpdir(), `trucada-${name}-bench-`));
  const interrupted = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping the targets`);
      interrupted.abort();
      groups.stopAll().finally(() => {
        rmSync(tmpRoot, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  const run = async (main) => {
    try {
      await main(interrupted.signal);
    } catch (err) {
      if (!interrupted.signal.aborted) console.error(`${label} bench failed: ${err.message}`);
      process.exitCode = 1;
    } finally {
      await groups.stopAll();
      rmSync(tmpRoot, { recursive: true, force: true });
    }
  };
  return { groups, tmpRoot, run };
}
