/**
 * Call quality while talking, from the peer connection's statistics once a second (W3C
 * webrtc-stats: `inbound-rtp` for what arrives, `remote-inbound-rtp` or else the nominated
 * `candidate-pair` for the round trip). The numbers are written as text for people, drawn as a
 * chart of the last minute (quality-chart.ts) and set as data attributes of the `<output>` for
 * tools (the browser tests read them).
 */
import { el } from './dom.js';
import { bitrateKbps, lossPercent, oneWayDelayMs, verdict, type QualitySample } from './g114.js';
import { SECONDS, type ChartPoint, type QualityChart } from './quality-chart.js';
import { text } from './strings.js';

/** Loss is judged over the last 10 s: the 50 packets of one second are too few for a percentage. */
const LOSS_WINDOW = 10;

type Stat = Record<string, unknown> & { type: string };

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const maybe = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The readout's figures, each kept on one line: a narrow screen breaks between them, never inside "0.0 %". */
function figures(line: string): Array<Node | string> {
  return line.split(' · ').flatMap((part, i) => [...(i > 0 ? [' · '] : []), el('span', { class: 'figure' }, part)]);
}

export function readQuality(report: RTCStatsReport): QualitySample | undefined {
  let inbound: Stat | undefined;
  let rtcpRoundTrip: number | undefined;
  let iceRoundTrip: number | undefined;
  let bytesReceived = 0;
  report.forEach((s: Stat) => {
    if (s.type === 'inbound-rtp') bytesReceived += num(s.bytesReceived);
    if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
    // RTCP receiver reports (RFC 3550 §6.4.1) measure the whole media path, through a relay too.
    if (s.type === 'remote-inbound-rtp' && s.kind === 'audio') rtcpRoundTrip = maybe(s.roundTripTime);
    // STUN checks measure only to the other ICE end, which may be a relay; used until RTCP has a figure.
    if (s.type === 'candidate-pair' && s.nominated === true) iceRoundTrip ??= maybe(s.currentRoundTripTime);
  });
  if (inbound === undefined) return undefined;
  return {
    at: num(inbound.timestamp),
    packetsReceived: num(inbound.packetsReceived),
    packetsLost: num(inbound.packetsLost),
    jitter: num(inbound.jitter),
    roundTrip: rtcpRoundTrip ?? iceRoundTrip,
    jitterBufferDelay: maybe(inbound.jitterBufferDelay),
    jitterBufferEmittedCount: maybe(inbound.jitterBufferEmittedCount),
    bytesReceived,
    totalAudioEnergy: num(inbound.totalAudioEnergy),
  };
}

const ms = (seconds: number | undefined) => (seconds === undefined ? '–' : Math.round(seconds * 1000));
const rounded = (n: number | undefined) => (n === undefined ? '–' : Math.round(n));

/** Samples `pc()` every second into `output` and `chart` until the returned function is called. */
export function watchQuality(pc: () => RTCPeerConnection | undefined, output: HTMLOutputElement, chart: QualityChart): () => void {
  let running = true;
  const samples: QualitySample[] = [];
  const points: ChartPoint[] = [];

  const show = (q: QualitySample | undefined) => {
    if (q === undefined) {
      output.textContent = text('qualityWaiting');
      chart.draw(points, text('qualityWaiting'));
      return;
    }
    samples.push(q);
    if (samples.length > LOSS_WINDOW + 1) samples.shift();
    const before = samples.length > 1 ? samples[samples.length - 2] : undefined;
    const oldest = samples.length > 1 ? samples[0] : undefined;
    const delay = oneWayDelayMs(q, before);
    const loss = lossPercent(q, oldest);
    const kbps = before === undefined ? undefined : bitrateKbps(q, before);
    const values = { rtt: ms(q.roundTrip), jitter: ms(q.jitter), loss: loss.toFixed(1), kbps: rounded(kbps), delay: rounded(delay) };
    const line = figures([text('qualityLine', values), text('qualityRate', values), text('qualityDelay', values)].join(' · '));

    output.dataset.packetsReceived = String(q.packetsReceived);
    output.dataset.packetsLost = String(q.packetsLost);
    output.dataset.totalAudioEnergy = String(q.totalAudioEnergy);
    if (delay === undefined) {
      delete output.dataset.verdict;
      output.replaceChildren(...line);
      chart.draw(points, text('qualityWaiting'));
      return;
    }
    const v = verdict(delay, loss);
    points.push({ delayMs: delay, verdict: v });
    if (points.length > SECONDS) points.shift();
    output.dataset.verdict = v;
    output.dataset.oneWayDelay = String(Math.round(delay));
    // The verdict in words as well as in colour (WCAG 2.1 success criterion 1.4.1, Use of Color).
    output.replaceChildren(...line, ' · ', el('strong', { class: `verdict ${v}` }, text(`verdict_${v}`)));
    chart.draw(points, text('qualityChart', { ...values, verdict: text(`verdict_${v}`) }));
  };

  const sample = async () => {
    const connection = pc();
    if (connection === undefined) return;
    const report = await connection.getStats();
    if (running) show(readQuality(report));
  };
  void sample();
  const id = setInterval(() => void sample(), 1000);
  return () => {
    running = false;
    clearInterval(id);
  };
}
