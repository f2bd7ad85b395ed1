/**
 * The address lookup for the node's UDP sockets. Node's default sends every datagram through
 * `dns.lookup`, which for an IP literal answers on the next tick: a closure and a tick per packet,
 * on the busiest path of the STUN responder and the SIP proxy. The node only ever sends to
 * addresses (peers, bindings, flows), so an IP literal is answered at once; a name, should one come,
 * still goes to the resolver.
 */
import { lookup } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

export function literalLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  // Node 18 passes the family as a number, later versions an options object.
  const wanted = typeof options === 'number' ? options : ((options as { family?: number } | undefined)?.family ?? 0);
  lookup(hostname, { family: wanted }, (err, address, resolvedFamily) => callback(err, address, resolvedFamily));
}
