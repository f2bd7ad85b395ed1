/** `trucada status`: what a running daemon reports, or what the files say when none runs. */
import type { Config } from '../config/config.js';
import { sendControl } from '../control/client.js';
import type { NodeSummary, StatusReply } from '../control/protocol.js';
import { loadOrCreateIdentity } from '../federation/node-identity.js';
import { createLogger } from '../log.js';
import { controlSocketPath, databasePath } from '../paths.js';
import { AccountStore } from '../store/accounts.js';
import { openDatabase } from '../store/database.js';
import { realmFor } from '../store/realm.js';
import { VERSION } from '../version.js';
import { EXIT } from './usage.js';
import { makeDataDir } from '../store/data-dir.js';

export async function statusCommand(config: Config, json: boolean, out: (line: string) => void): Promise<number> {
  const reply = await sendControl(controlSocketPath(config), { cmd: 'status' });
  if (reply?.ok && reply.status) {
    if (json) out(JSON.stringify({ running: true, ...reply.status }));
    else printStatus(reply.status, config, out);
    return EXIT.ok;
  }
  makeDataDir(config.dataDir);
  const db = openDatabase(databasePath(config));
  try {
    const realm = realmFor(db, config.domain);
    const users = new AccountStore(db, realm).list().length;
    const ports = { sip: config.sipPort, http: config.httpPort, https: config.httpsPort };
    // The key the daemon will load: made now if the node never started, as the daemon would.
    const identity = loadOrCreateIdentity(config.dataDir, createLogger('warn'));
    const node = { id: identity.id, fingerprint: identity.fingerprint };
    if (json) out(JSON.stringify({ running: false, version: VERSION, domain: config.domain, realm, node, ports, users }));
    else {
      out(`trucada ${VERSION}: not running (config: ${config.source})`);
      out(`domain ${config.domain}, realm ${realm}`);
      printNode(node, out);
      out(`ports: sip ${ports.sip} udp/tcp, ws ${ports.http}, wss ${ports.https}`);
      out(`users: ${users}`);
    }
  } finally {
    db.close();
  }
  return EXIT.ok;
}

function printStatus(s: StatusReply, config: Config, out: (line: string) => void): void {
  out(`trucada ${s.version}: running, pid ${s.pid}, up ${Math.round(s.uptime)} s (config: ${config.source})`);
  out(`domain ${s.domain}, realm ${s.realm}`);
  printNode(s.node, out);
  out(`ports: sip ${s.ports.sip} udp/tcp, ws ${s.ports.http}, wss ${s.ports.https}`);
  out(`users: ${s.users}`);
  if (s.mediaRelay) out(`media relay: rtpengine at ${s.mediaRelay.name}, ${s.mediaRelay.state}`);
  out(`peer nodes: ${s.peers.length}`);
  for (const p of s.peers) out(`  ${p.domain}  ${p.id}  ${p.sip}  (trucada peers for more)`);
  out(`registrations: ${s.bindings.length}`);
  for (const b of s.bindings) {
    const agent = b.userAgent ? ` (${b.userAgent})` : '';
    out(`  ${b.user}  ${b.transport} ${b.source}  ${b.contact}  expires in ${b.expiresIn} s${agent}`);
  }
}

function printNode(node: NodeSummary, out: (line: string) => void): void {
  out(`node id ${node.id}, key ${node.fingerprint}`);
}
