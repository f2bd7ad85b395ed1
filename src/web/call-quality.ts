/**
 * Call quality while talking, from the peer connection's statistics once a second (W3C
 * webrtc-stats: `inbound-rtp` for what arrives, the nominated `candidate-pair` for the round trip).
 * The numbers are written as text for people and as data attributes of the `<output>` for tools
 * (the browser tests read them; the quality chart of a later version will draw them).
 */
import { text } from './strings.js';

export interface QualitySample {
  packetsReceived: number;
  packetsLost: number;
  /** Seconds, as the statistics give it. */
  jitter: number;
  /** Seconds; undefined until a STUN check round trip has been measured. */
  roundTrip: number | undefined;
  /** Chromium counts it only while the remote track plays in a media element. */
  totalAudioEnergy: number;
}

type Stat = Record<string, unknown> & { type: string };

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

export function readQuality(report: RTCStatsReport): QualitySample | undefined {
  let inbound: Stat | undefined;
  let roundTrip: number | undefined;
  report.forEach((s: Stat) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
    if (s.type === 'candidate-pair' && s.nominated === true && typeof s.currentRoundTripTime === 'number') roundTrip = s.currentRoundTripTime;
  });
  if (inbound === undefined) return undefined;
  return {
    packetsReceived: num(inbound.packetsReceived),
    packetsLost: num(inbound.packetsLost),
    jitter: num(inbound.jitter),
    roundTrip,
    totalAudioEnergy: num(inbound.totalAudioEnergy),
  };
}

function show(output: HTMLOutputElement, q: QualitySample | undefined): void {
  if (q === undefined) {
    output.textContent = text('qualityWaiting');
    return;
  }
  const expected = q.packetsReceived + q.packetsLost;
  const loss = expected > 0 ? (100 * q.packetsLost) / expected : 0;
  output.textContent = text('qualityLine', {
    rtt: q.roundTrip === undefined ? '–' : Math.round(q.roundTrip * 1000),
    jitter: Math.round(q.jitter * 1000),
    loss: loss.toFixed(1),
  });
  output.dataset.packetsReceived = String(q.packetsReceived);
  output.dataset.packetsLost = String(q.packetsLost);
  output.dataset.totalAudioEnergy = String(q.totalAudioEnergy);
}

/** Samples `pc()` every second into `output` until the returned function is called. */
export function watchQuality(pc: () => RTCPeerConnection | undefined, output: HTMLOutputElement): () => void {
  let running = true;
  const sample = async () => {
    const connection = pc();
    if (connection === undefined) return;
    const report = await connection.getStats();
    if (running) show(output, readQuality(report));
  };
  void sample();
  const id = setInterval(() => void sample(), 1000);
  return () => {
    running = false;
    clearInterval(id);
  };
}
