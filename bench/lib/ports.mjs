// Ports for the targets: checked free before a target starts, so the readiness probe can never be
// answered by some other program that already holds the port.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export function assertUdpPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => reject(new Error(`UDP port ${host}:${port} is taken (${err.code}); set BENCH_PORT_BASE`)));
    socket.bind(port, host, () => socket.close(() => resolve()));
  });
}

/** A TCP port that was free a moment ago (trucada's HTTP and HTTPS listeners). */
export function freeTcpPort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
