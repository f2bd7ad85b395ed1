import t from 'tap';
import {
  bitrateKbps,
  delayVerdict,
  lossPercent,
  lossVerdict,
  oneWayDelayMs,
  PACKETISATION_MS,
  verdict,
  type QualitySample,
} from '../../src/web/g114.js';

function sample(over: Partial<QualitySample> = {}): QualitySample {
  return {
    at: 10_000,
    packetsReceived: 500,
    packetsLost: 0,
    jitter: 0.004,
    roundTrip: 0.1,
    jitterBufferDelay: undefined,
    jitterBufferEmittedCount: undefined,
    bytesReceived: 50_000,
    totalAudioEnergy: 0,
    ...over,
  };
}

t.test('one-way delay: half the round trip, the jitter buffer, one packet', async (t) => {
  t.equal(oneWayDelayMs(sample({ roundTrip: undefined })), undefined, 'no round trip yet, no estimate');
  t.equal(oneWayDelayMs(sample({ roundTrip: 0.1, jitter: 0.004 })), 50 + 4 + PACKETISATION_MS, 'without buffer figures the jitter stands in');
  t.equal(
    oneWayDelayMs(sample({ roundTrip: 0.1, jitterBufferDelay: 48_000 * 0.06, jitterBufferEmittedCount: 48_000 })),
    50 + 60 + PACKETISATION_MS,
    'one reading: the mean buffer delay since the call began',
  );
  const before = sample({ jitterBufferDelay: 48_000 * 0.02, jitterBufferEmittedCount: 48_000 });
  const now = sample({ jitterBufferDelay: 48_000 * 0.02 + 48_000 * 0.1, jitterBufferEmittedCount: 96_000 });
  t.equal(Math.round(oneWayDelayMs(now, before)!), 50 + 100 + PACKETISATION_MS, 'two readings: the buffer delay of the last interval');
  t.equal(Math.round(oneWayDelayMs(now, now)!), 50 + 60 + PACKETISATION_MS, 'nothing emitted in between (on hold): the mean again');
  t.equal(oneWayDelayMs(sample({ roundTrip: 0, jitterBufferDelay: 0, jitterBufferEmittedCount: 0 })), 4 + PACKETISATION_MS, 'no sample emitted yet: the jitter');
});

t.test('loss between readings, or since the call began', async (t) => {
  t.equal(lossPercent(sample({ packetsReceived: 95, packetsLost: 5 })), 5);
  t.equal(lossPercent(sample({ packetsReceived: 590, packetsLost: 10 }), sample({ packetsReceived: 500, packetsLost: 0 })), 10, '10 of the last 100');
  t.equal(lossPercent(sample({ packetsLost: 3 }), sample({ packetsLost: 5 })), 0, 'duplicates make the count go down: no negative loss');
  t.equal(lossPercent(sample({ packetsReceived: 0 })), 0, 'nothing expected, nothing lost');
});

t.test('bitrate from the bytes received between readings', async (t) => {
  t.equal(bitrateKbps(sample({ at: 11_000, bytesReceived: 56_000 }), sample()), 48, '6000 bytes in a second is 48 kbit/s');
  t.equal(bitrateKbps(sample(), sample()), undefined, 'no time between them');
});

t.test('the G.114 delay bands and the loss limits', async (t) => {
  t.same([0, 150, 150.5, 400, 401].map(delayVerdict), ['good', 'good', 'acceptable', 'acceptable', 'poor']);
  t.same([0, 1, 1.1, 3, 3.1].map(lossVerdict), ['good', 'good', 'acceptable', 'acceptable', 'poor']);
  t.equal(verdict(40, 0), 'good');
  t.equal(verdict(40, 2), 'acceptable', 'loss lowers a short delay');
  t.equal(verdict(40, 8), 'poor');
  t.equal(verdict(200, 0), 'acceptable');
  t.equal(verdict(500, 0.5), 'poor', 'no loss does not make up for a long delay');
});
