// One STUN load generator process: keeps WINDOW Binding requests (RFC 8489 §6.1) outstanding
// against HOST:PORT over UDP for SECONDS from START_AT (a Date.now() time, so that several
// generators start together), and prints one JSON line with what it counted.
//
//   node bench/lib/stun-load.mjs HOST PORT WINDOW SECONDS START_AT [TIMEOUT_MS]
//
// Each request sits in one of WINDOW slots. Its transaction id is this process's random prefix
// (4 bytes), the slot (4) and the slot's generation (4), so every request of the run is unique and
// an answer finds its slot without a table lookup. An answer with the slot's current generation
// counts and sends the slot's next request at once; one with an older generation came after its
// request was given up (counted as late). A request unanswered after TIMEOUT_MS is counted lost and
// replaced, so that lost datagrams do not shrink the window.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';

const [host, portArg, windowArg, secondsArg, startAtArg, timeoutArg] = process.argv.slice(2);
const port = Number(portArg);
const window = Number(windowArg);
const seconds = Number(secondsArg);
const startAt = Number(startAtArg);
const timeoutMs = Number(timeoutArg ?? 500);
if (!host || !(port > 0) || !(window > 0) || !(seconds > 0) || !(startAt > 0) || !(timeoutMs > 0)) {
  console.error('usage: node bench/lib/stun-load.mjs HOST PORT WINDOW SECONDS START_AT [TIMEOUT_MS]');
  process.exit(2);
}

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const prefix = randomBytes(4).readUInt32BE(0);

const generation = new Uint32Array(window);
const sentAt = new Float64Array(window);
const outstanding = new Uint8Array(window);
const counts = { sent: 0, answered: 0, lost: 0, late: 0, errors: 0, latencyMs: 0 };
let running = false;

const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });

function send(slot) {
  const request = Buffer.allocUnsafe(20);
  request.writeUInt16BE(BINDING_REQUEST, 0);
  request.writeUInt16BE(0, 2);
  request.writeUInt32BE(MAGIC_COOKIE, 4);
  request.writeUInt32BE(prefix, 8);
  request.writeUInt32BE(slot, 12);
  request.writeUInt32BE(generation[slot], 16);
  outstanding[slot] = 1;
  sentAt[slot] = performance.now();
  counts.sent += 1;
  socket.send(request);
}

socket.on('message', (msg) => {
  if (msg.length < 20 || msg.readUInt16BE(0) !== BINDING_SUCCESS || msg.readUInt32BE(4) !== MAGIC_COOKIE || msg.readUInt32BE(8) !== prefix) return;
  const slot = msg.readUInt32BE(12);
  if (slot >= window) return;
  if (outstanding[slot] === 0 || msg.readUInt32BE(16) !== generation[slot]) {
    counts.late += 1;
    return;
  }
  outstanding[slot] = 0;
  if (!running) return;
  counts.answered += 1;
  counts.latencyMs += performance.now() - sentAt[slot];
  generation[slot] += 1;
  send(slot);
});
// A connected UDP socket reports an ICMP port unreachable as an error on the next call; the target
// may be restarting, and the sweep below resends.
socket.on('error', () => {
  counts.errors += 1;
});

/** Gives up requests older than the timeout: counted lost, and replaced while the run lasts. */
function sweep(replace) {
  const now = performance.now();
  for (let slot = 0; slot < window; slot += 1) {
    if (outstanding[slot] === 0 || now - sentAt[slot] < timeoutMs) continue;
    counts.lost += 1;
    outstanding[slot] = 0;
    generation[slot] += 1;
    if (replace) send(slot);
  }
}

await new Promise((resolve, reject) => {
  socket.once('error', reject);
  socket.connect(port, host, () => {
    socket.off('error', reject);
    resolve();
  });
});
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));

running = true;
const started = performance.now();
for (let slot = 0; slot < window; slot += 1) send(slot);
const sweeper = setInterval(() => sweep(true), Math.min(50, timeoutMs / 2));
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
running = false;
const elapsed = (performance.now() - started) / 1000;
clearInterval(sweeper);
// Answers still on their way are not counted; those that never come are lost.
await new Promise((resolve) => setTimeout(resolve, timeoutMs));
sweep(false);
socket.close();
const { latencyMs, ...rest } = counts;
console.log(JSON.stringify({ ...rest, seconds: elapsed, meanLatencyMs: counts.answered ? latencyMs / counts.answered : null }));
