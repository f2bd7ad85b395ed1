// Waits until something answers SIP on a UDP port: an OPTIONS (RFC 3261 §11) every 100 ms until
// any response comes back. Used to know that a target is ready before sipp starts.
import { createSocket } from 'node:dgram';

export function waitForSip(port, { host = '127.0.0.1', timeoutMs = 15000, domain = 'bench.mesh' } = {}) {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    let attempt = 0;
    let interval;
    const finish = (err) => {
      clearInterval(interval);
      clearTimeout(deadline);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    const deadline = setTimeout(() => finish(new Error(`nothing answers SIP on ${host}:${port} after ${timeoutMs} ms`)), timeoutMs);
    socket.on('message', (data) => {
      if (data.toString('latin1', 0, 8) === 'SIP/2.0 ') finish();
    });
    socket.on('error', () => {
      // ICMP port unreachable while the target is still starting: keep trying.
    });
    socket.bind(0, host, () => {
      const local = socket.address().port;
      const send = () => {
        attempt += 1;
        const request =
          `OPTIONS sip:${domain} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP ${host}:${local};branch=z9hG4bK-probe-${attempt};rport\r\n` +
          'Max-Forwards: 70\r\n' +
          `From: <sip:probe@${domain}>;tag=probe${attempt}\r\n` +
          `To: <sip:${domain}>\r\n` +
          `Call-ID: probe-${attempt}-${local}@${host}\r\n` +
          `CSeq: ${attempt} OPTIONS\r\n` +
          'Content-Length: 0\r\n\r\n';
        socket.send(request, port, host);
      };
      send();
      interval = setInterval(send, 100);
    });
  });
}

/** A UDP port that was free a moment ago (for sipp's local socket). */
export function freeUdpPort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
