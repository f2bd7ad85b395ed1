/**
 * How good a call is while it lasts, from two successive readings of the peer connection's
 * statistics (W3C webrtc-stats). Pure arithmetic, no DOM: the page draws it, the unit tests check it.
 *
 * ITU-T G.114 (05/2003) is about mouth-to-ear delay: §3 and its Figure 1 show the E-model's rating
 * (G.107) against one-way delay up to 500 ms, nearly flat to 150 ms and falling beyond it, and §4
 * recommends that 400 ms not be exceeded in network planning. Hence the three bands below.
 */

/** What one getStats() gives, summed over the inbound streams where it says so. */
export interface QualitySample {
  /** Milliseconds, the report's own timestamp (webrtc-stats `timestamp`). */
  at: number;
  /** Audio `inbound-rtp`. */
  packetsReceived: number;
  /** Audio `inbound-rtp`; RFC 3550 §6.4.1 cumulative loss, so it can go down when duplicates arrive. */
  packetsLost: number;
  /** Seconds, audio `inbound-rtp` (RFC 3550 §6.4.1 interarrival jitter). */
  jitter: number;
  /** Seconds; undefined until a round trip has been measured. */
  roundTrip: number | undefined;
  /** Seconds summed over every emitted sample, audio `inbound-rtp`; undefined where the browser lacks it. */
  jitterBufferDelay: number | undefined;
  jitterBufferEmittedCount: number | undefined;
  /** Every `inbound-rtp`, audio and video. */
  bytesReceived: number;
  /** Chromium counts it only while the remote track plays in a media element. */
  totalAudioEnergy: number;
}

export type Verdict = 'good' | 'acceptable' | 'poor';

/** G.114 Figure 1: up to this, delay alone leaves most conversations unaffected. */
export const GOOD_DELAY_MS = 150;
/** G.114 §4: the upper bound for network planning; beyond it the delay is unacceptable. */
export const POOR_DELAY_MS = 400;

/**
 * The sender waits for a whole frame before it can send it: browsers send Opus in 20 ms frames, and
 * 20 ms is the default packetisation interval of RFC 3551 §4.2 for G.711. G.114 Annex A counts it
 * among the delays of a packet terminal.
 */
export const PACKETISATION_MS = 20;

/**
 * Loss, in percent of the packets sent, past which the call is no longer good, and past which it is
 * poor. 3 % is the packet loss target of ITU-T G.1010 (11/2001) Table 1 for conversational voice,
 * the table that also gives 150 ms preferred and 400 ms limit for its delay; 1 % is this page's
 * margin below that target, not a number of a standard.
 */
export const ACCEPTABLE_LOSS_PERCENT = 1;
export const POOR_LOSS_PERCENT = 3;

/**
 * Estimated mouth-to-ear delay in milliseconds: half the round trip for the way here, the time the
 * receiver's jitter buffer holds the audio before it plays (webrtc-stats: jitterBufferDelay over
 * jitterBufferEmittedCount is the mean per sample; between two readings, of the last interval), and
 * the packetisation. Without jitter-buffer figures, the jitter itself stands in for the buffer,
 * which must hold at least that much to play smoothly. Capture, playout and codec look-ahead are not
 * in the statistics, so this is a lower bound of what G.114 measures. Undefined until a round trip
 * is known.
 */
export function oneWayDelayMs(now: QualitySample, before?: QualitySample): number | undefined {
  if (now.roundTrip === undefined) return undefined;
  return (now.roundTrip / 2 + bufferSeconds(now, before)) * 1000 + PACKETISATION_MS;
}

function bufferSeconds(now: QualitySample, before: QualitySample | undefined): number {
  const delay = now.jitterBufferDelay;
  const count = now.jitterBufferEmittedCount;
  if (delay === undefined || count === undefined || count === 0) return now.jitter;
  const emitted = count - (before?.jitterBufferEmittedCount ?? 0);
  if (before?.jitterBufferDelay === undefined || emitted <= 0) return delay / count;
  return (delay - before.jitterBufferDelay) / emitted;
}

/** Percent of the audio packets lost between two readings, or since the call began without `before`. */
export function lossPercent(now: QualitySample, before?: QualitySample): number {
  const lost = now.packetsLost - (before?.packetsLost ?? 0);
  const expected = now.packetsReceived - (before?.packetsReceived ?? 0) + lost;
  return expected > 0 && lost > 0 ? (100 * lost) / expected : 0;
}

/** Kilobits a second received between two readings, audio and video; bytes per millisecond × 8 is kbit/s. */
export function bitrateKbps(now: QualitySample, before: QualitySample): number | undefined {
  const ms = now.at - before.at;
  return ms > 0 ? ((now.bytesReceived - before.bytesReceived) * 8) / ms : undefined;
}

export function delayVerdict(ms: number): Verdict {
  return ms <= GOOD_DELAY_MS ? 'good' : ms <= POOR_DELAY_MS ? 'acceptable' : 'poor';
}

export function lossVerdict(percent: number): Verdict {
  return percent <= ACCEPTABLE_LOSS_PERCENT ? 'good' : percent <= POOR_LOSS_PERCENT ? 'acceptable' : 'poor';
}

const RANK: Record<Verdict, number> = { good: 0, acceptable: 1, poor: 2 };

/** The worse of what the delay and the loss say: a short delay does not make up for lost speech. */
export function verdict(delayMs: number, lossPct: number): Verdict {
  const d = delayVerdict(delayMs);
  const l = lossVerdict(lossPct);
  return RANK[l] > RANK[d] ? l : d;
}
