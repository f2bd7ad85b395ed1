// The floor of the STUN bench: the least work one Node event loop can do per Binding request and
// still answer it correctly. It copies the transaction id and writes one XOR-MAPPED-ADDRESS
// (RFC 8489 §14.2) for the IPv4 source; it checks nothing, adds neither SOFTWARE nor FINGERPRINT
// and keeps no state. No responder on Node's dgram can be faster, so the node's rate over this one
// says what its STUN code costs, and this one's rate over coturn's what Node's UDP path costs.
//
// Usage: node bench/stun-floor-responder.mjs PORT [HOST]   (prints `listening HOST:PORT` when ready)
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
const host = process.argv[3] ?? '127.0.0.1';
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node bench/stun-floor-responder.mjs PORT [HOST]');
  process.exit(2);
}

const MAGIC_COOKIE = 0x2112a442;
// The sender's address as a number, read again only when the sender changes (one, in the bench).
let lastAddress = '';
let lastNumber = 0;
function addressNumber(address) {
  if (address !== lastAddress) {
    const [a, b, c, d] = address.split('.').map(Number);
    lastAddress = address;
    lastNumber = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  }
  return lastNumber;
}
// The kernel's default receive buffer, as the node's STUN socket has.
const socket = createSocket('udp4');
socket.on('message', (request, from) => {
  if (request.length < 20) return;
  const answer = Buffer.allocUnsafe(32);
  answer.writeUInt16BE(0x0101, 0); // Binding success response
  answer.writeUInt16BE(12, 2);
  request.copy(answer, 4, 4, 20); // magic cookie and transaction id
  answer.writeUInt16BE(0x0020, 20); // XOR-MAPPED-ADDRESS
  answer.writeUInt16BE(8, 22);
  answer.writeUInt16BE(0x0001, 24); // IPv4
  answer.writeUInt16BE(from.port ^ (MAGIC_COOKIE >>> 16), 26);
  answer.writeUInt32BE((addressNumber(from.address) ^ MAGIC_COOKIE) >>> 0, 28);
  socket.send(answer, from.port, from.address);
});
socket.on('error', (err) => {
  console.error(`STUN floor responder: ${err.message}`);
  process.exit(1);
});
socket.bind(port, host, () => console.log(`listening ${host}:${port}`));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
