/** The peer nodes as an operator sees them (`trucada peers`, `trucada status`). */
import type { PeerSummary } from '../control/protocol.js';
import { hostPort } from '../net/addresses.js';
import type { Directory } from './directory.js';
import { fingerprintOf } from './node-identity.js';
import type { PeerNodes } from './peer-nodes.js';

export function peerSummaries(peers: PeerNodes, directory: Directory, now: number): PeerSummary[] {
  return peers
    .nodes()
    .map((p) => {
      const seen = directory.seenOf(p.id);
      return {
        id: p.id,
        domain: p.domain,
        sip: `${p.sip.transport}:${hostPort(p.sip.remoteAddress, p.sip.remotePort)}`,
        fingerprint: fingerprintOf(p.publicKey),
        channels: [...(seen?.channels ?? [])],
        lastSeen: seen === undefined ? 0 : Math.max(0, Math.round((now - seen.heardAt) / 1000)),
        users: p.users.length,
        online: p.online.size,
      };
    })
    .sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
}
