/** The call timer: time since the call was answered, as m:ss (h:mm:ss past an hour), once a second. */

export function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const s = String(total % 60).padStart(2, '0');
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Shows the running time in `target` until the returned function is called. */
export function startTimer(target: HTMLElement): () => void {
  const started = performance.now();
  const tick = () => (target.textContent = formatDuration(performance.now() - started));
  tick();
  const id = setInterval(tick, 1000);
  return () => clearInterval(id);
}
