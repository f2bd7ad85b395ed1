/** Plain TCP connections to a node's port, for tests of what the node accepts and closes. */
import { once } from 'node:events';
import net from 'node:net';

/** A connection to 127.0.0.1:`port`, once connected. */
export function openTcp(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  return once(socket, 'connect').then(() => socket);
}

/** Whether `socket` closes within `ms`. */
export function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
