/**
 * The media side of a plain G.711 desk phone, for tests whose signalling is sipp's: a UDP socket on
 * 127.0.0.1 that, once told where the other end's SDP says to send, sends a 440 Hz tone as PCMU
 * RTP (RFC 3550 §5.1 header, RFC 3551 §4.5.14 μ-law, 20 ms per packet, payload type 0), and counts
 * what arrives: packets by payload type, and the energy of the G.711 audio in them, so a test can
 * tell sound from silence. RTCP goes to the next port (RFC 3550 §11), which nobody here listens on.
 */
import dgram from 'node:dgram';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface RtpPhone {
  readonly port: number;
  /** Starts sending the tone to `host:port` (the c= and m= lines of the SDP the phone received). */
  sendTo(host: string, port: number): void;
  /** RTP packets received, by payload type. */
  packets(payloadType: number): number;
  /** Mean square of the received G.711 samples (full scale 1), 0 for silence. */
  energy(): number;
  close(): void;
}

const SAMPLES_PER_PACKET = 160;
const RTP_HEADER = 12;

/** ITU-T G.711 μ-law: a 16-bit linear sample in, one byte out. */
function muLaw(sample: number): number {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(Math.abs(sample), 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** μ-law back to linear (full scale 32124). */
function muLawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** A-law back to linear (G.711 §A). */
function aLawDecode(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = exponent === 0 ? t + 8 : (t + 0x108) << (exponent - 1);
  return a & 0x80 ? t : -t;
}

export async function startRtpPhone(t: Teardown): Promise<RtpPhone> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const byType = new Map<number, number>();
  let squares = 0;
  let samples = 0;
  socket.on('message', (data) => {
    if (data.length < RTP_HEADER || data[0]! >> 6 !== 2) return;
    const pt = data[1]! & 0x7f;
    byType.set(pt, (byType.get(pt) ?? 0) + 1);
    const decode = pt === 0 ? muLawDecode : pt === 8 ? aLawDecode : undefined;
    if (!decode) return;
    for (let i = RTP_HEADER; i < data.length; i++) {
      const v = decode(data[i]!) / 32768;
      squares += v * v;
      samples++;
    }
  });

  let timer: NodeJS.Timeout | undefined;
  const ssrc = Math.floor(Math.random() * 0xffffffff);
  const sendTo = (host: string, port: number) => {
    clearInterval(timer);
    let seq = 0;
    let timestamp = 0;
    timer = setInterval(() => {
      const packet = Buffer.alloc(RTP_HEADER + SAMPLES_PER_PACKET);
      packet[0] = 0x80;
      packet[1] = 0;
      packet.writeUInt16BE(seq++ & 0xffff, 2);
      packet.writeUInt32BE(timestamp >>> 0, 4);
      packet.writeUInt32BE(ssrc, 8);
      for (let i = 0; i < SAMPLES_PER_PACKET; i++) {
        packet[RTP_HEADER + i] = muLaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * (timestamp + i)) / 8000)));
      }
      timestamp += SAMPLES_PER_PACKET;
      socket.send(packet, port, host);
    }, 20);
  };
  const close = () => {
    clearInterval(timer);
    try {
      socket.close();
    } catch {
      // closed already
    }
  };
  t.teardown(close);
  return {
    port: socket.address().port,
    sendTo,
    packets: (pt) => byType.get(pt) ?? 0,
    energy: () => (samples === 0 ? 0 : squares / samples),
    close,
  };
}
