/**
 * Ringing for an incoming call, made here rather than loaded (the page fetches nothing it can
 * make): the European ring tone of ITU-T E.180, 425 Hz, one second on and four off, and a system
 * notification when the tab is hidden and the person allowed notifications.
 */
import { text } from './strings.js';

const TONE_HZ = 425;
const ON_S = 1;
const CYCLE_S = 5;
const VOLUME = 0.2;

/** Rings until the returned function is called. */
export function startRinging(peer: string): () => void {
  const stops: Array<() => void> = [];
  try {
    const ctx = new AudioContext();
    const gain = ctx.createGain();
    gain.gain.value = 0;
    gain.connect(ctx.destination);
    const tone = ctx.createOscillator();
    tone.frequency.value = TONE_HZ;
    tone.connect(gain);
    tone.start();
    const cadence = () => {
      const t = ctx.currentTime;
      gain.gain.setValueAtTime(VOLUME, t);
      gain.gain.setValueAtTime(0, t + ON_S);
    };
    cadence();
    const timer = setInterval(cadence, CYCLE_S * 1000);
    document.documentElement.dataset.ringing = 'true';
    stops.push(() => {
      clearInterval(timer);
      tone.stop();
      void ctx.close();
      delete document.documentElement.dataset.ringing;
    });
  } catch {
    // No Web Audio: the call still shows on the page.
  }
  if (document.hidden && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    const n = new Notification(text('incoming', { peer }), { tag: 'trucada-call', requireInteraction: true });
    n.onclick = () => window.focus();
    stops.push(() => n.close());
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const stop of stops) stop();
  };
}

/** Asks once, after the person logged in (a gesture of theirs), whether calls may notify. */
export function askToNotify(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => {});
}
