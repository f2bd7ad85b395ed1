// The floor of the register bench: the least work one Node event loop can do per registration
// and still satisfy sipp's register-auth scenario. It answers a REGISTER without credentials with
// 401 and a fixed MD5 challenge, and one with credentials with 200 after exactly one MD5 over the
// Authorization line; it copies the headers a response must echo (RFC 3261 §8.2.6.2) by scanning
// lines, checks nothing and keeps no state. A real registrar cannot be faster than this on one
// event loop, so trucada's rate divided by this one says how much of the loop the SIP work costs.
//
// Usage: node bench/floor-responder.mjs PORT [HOST]   (prints `listening HOST:PORT` when ready)
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
const host = process.argv[3] ?? '127.0.0.1';
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node bench/floor-responder.mjs PORT [HOST]');
  process.exit(2);
}

// Same challenge shape as Kamailio's (qop=auth, MD5), so sipp does the same work for every target.
const CHALLENGE = 'WWW-Authenticate: Digest realm="bench.mesh", nonce="floor0123456789abcdef", qop="auth", algorithm=MD5\r\n';
// Header names exactly as sipp writes them: a floor does not case-fold.
const ECHOED = ['Via:', 'From:', 'To:', 'Call-ID:', 'CSeq:'];

/** The lines of `text` that a response echoes, and the Authorization line if there is one. */
function scan(text) {
  let echoed = '';
  let authorization = '';
  let start = text.indexOf('\n') + 1;
  while (start > 0 && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    if (line === '') break;
    if (line.startsWith('Authorization:')) authorization = line;
    else if (ECHOED.some((name) => line.startsWith(name))) {
      // The To of a final response carries a tag (RFC 3261 §8.2.6.2).
      echoed += (line.startsWith('To:') && !line.includes(';tag=') ? `${line};tag=floor` : line) + '\r\n';
    }
    start = end + 1;
  }
  return { echoed, authorization };
}

// A receive buffer that holds a burst of sipp's outstanding requests (the default 208 KiB holds
// about 90 datagrams, and each one dropped costs a 500 ms retransmission). The kernel caps it at
// net.core.rmem_max.
const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
socket.on('message', (datagram, from) => {
  const { echoed, authorization } = scan(datagram.toString('latin1'));
  let response;
  if (authorization === '') {
    response = `SIP/2.0 401 Unauthorized\r\n${echoed}${CHALLENGE}Content-Length: 0\r\n\r\n`;
  } else {
    const digest = createHash('md5').update(authorization).digest('hex');
    response = `SIP/2.0 200 OK\r\n${echoed}X-Floor: ${digest}\r\nContent-Length: 0\r\n\r\n`;
  }
  socket.send(response, from.port, from.address);
});
socket.on('error', (err) => {
  console.error(`floor responder: ${err.message}`);
  process.exit(1);
});
socket.bind(port, host, () => console.log(`listening ${host}:${port}`));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
