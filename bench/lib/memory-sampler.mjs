// A target's memory over time: `read` every `intervalMs` from start() until stop(), each sample with
// its time in ms since start(). A peak between two samples is missed; the node's own VmHWM, read at
// the end, does not miss it.
import { performance } from 'node:perf_hooks';

/**
 * @param {() => Record<string, number | null>} read the figures of one sample, in kB (null: unreadable)
 * @returns {{ elapsedMs: () => number, stop: () => { ms: number, [figure: string]: number | null }[] }}
 */
export function sampleMemory(read, intervalMs = 250) {
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  const samples = [{ ms: 0, ...read() }];
  const timer = setInterval(() => samples.push({ ms: elapsedMs(), ...read() }), intervalMs);
  return {
    elapsedMs,
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/** The largest value of `figure` among `samples`, with when it was taken; null if none was read. */
export function peakOf(samples, figure) {
  let peak = null;
  for (const s of samples) if (s[figure] !== null && (peak === null || s[figure] > peak.kb)) peak = { kb: s[figure], ms: s.ms };
  return peak;
}

/** `figure` in the first sample taken at or after `ms`; null if there is none. */
export function valueAt(samples, figure, ms) {
  return samples.find((s) => s.ms >= ms && s[figure] !== null)?.[figure] ?? null;
}
