/**
 * A UDP socket bound to one of the node's addresses, as the SIP transport and the STUN responder
 * both need it: of the address's family, IPv6-only where the bind says so, exclusive (no port
 * shared with another process), and with the lookup that spares every datagram a DNS tick.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { BindAddress } from '../net/addresses.js';
import { literalLookup } from './literal-lookup.js';

export function bindUdpSocket(bind: BindAddress, port: number, options: { recvBufferSize?: number } = {}): Promise<dgram.Socket> {
  const socket = dgram.createSocket({
    type: isIP(bind.host) === 6 ? 'udp6' : 'udp4',
    ipv6Only: bind.ipv6Only,
    lookup: literalLookup,
    ...options,
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address: bind.host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
