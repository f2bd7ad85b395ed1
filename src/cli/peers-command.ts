/**
 * `trucada peers`: the other nodes the running daemon knows (issue 11), each with where its SIP
 * goes, the channels that found it, when it was last heard, its users and its key fingerprint to
 * compare with what its operator reads out from their `trucada status`.
 */
import type { Config } from '../config/config.js';
import { sendControl } from '../control/client.js';
import type { PeerSummary } from '../control/protocol.js';
import { controlSocketPath } from '../paths.js';
import { EXIT } from './usage.js';

export async function peersCommand(config: Config, json: boolean, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const reply = await sendControl(controlSocketPath(config), { cmd: 'status' });
  if (!reply?.ok || reply.status === undefined) {
    err('trucada is not running: the peer nodes are known only to a running node (trucada serve, or /etc/init.d/trucada start)');
    return EXIT.failed;
  }
  const peers = reply.status.peers;
  if (json) {
    out(JSON.stringify(peers));
    return EXIT.ok;
  }
  out(peers.length === 0 ? 'no peer nodes known yet' : `${peers.length} peer node${peers.length === 1 ? '' : 's'}:`);
  for (const p of peers) printPeer(p, out);
  return EXIT.ok;
}

function printPeer(p: PeerSummary, out: (line: string) => void): void {
  out(`${p.domain}  node ${p.id}`);
  out(`  sip ${p.sip}, ${p.users} user${p.users === 1 ? '' : 's'} (${p.online} shown online)`);
  out(`  found by ${p.channels.join(', ') || '(none since last accepted)'}; last heard ${p.lastSeen} s ago`);
  out(`  key ${p.fingerprint}`);
}
