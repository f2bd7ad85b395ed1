/**
 * A trucada node as a router runs it, on a test host of mesh-hosts.ts: the built bundle as a daemon
 * (`trucada serve` under `ip netns exec`), its own UCI file, data and run directories, the default
 * ports (each namespace has its own), accounts made with `trucada user add`, and what it knows of
 * the other nodes read with `trucada peers --json`, as an operator would. The control socket is a
 * file, so the test reaches it from outside the namespace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendControl } from '../../src/control/client.js';
import { CONTROL_SOCKET_NAME, type PeerSummary, type StatusReply } from '../../src/control/protocol.js';
import { bundleCommand, commandEnv, startDaemon, trucada, type Daemon } from './daemon.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const SIP_PORT = 5060;
export const HTTP_PORT = 8080;
export const HTTPS_PORT = 8443;

export interface MeshNodeOptions {
  readonly domain: string;
  /** The host's addresses: the node listens, announces and runs mDNS only there. */
  readonly listen: readonly string[];
  readonly users?: Readonly<Record<string, string>>;
  readonly mdns?: 'off' | 'browse' | 'announce';
  /** A bmx run dir the test plays bmx in (bmx is off without it). */
  readonly bmxRunDir?: string;
  /** Static peers, `HOST:PORT`. */
  readonly peers?: readonly string[];
  /** Peer exchange, off unless asked, as every channel is here. */
  readonly peerExchange?: 'on' | 'off';
  readonly peerInterval?: number;
  readonly peerTimeout?: number;
  /** Further UCI options by name (`idle_timeout`, `max_contacts`, ...). */
  readonly uci?: Readonly<Record<string, string | number>>;
}

export interface MeshNode {
  readonly domain: string;
  readonly configPath: string;
  readonly daemon: Daemon;
  /** `trucada peers --json`: the nodes this one has accepted. */
  peers(): Promise<PeerSummary[]>;
  /** The domains of those, sorted. */
  peerDomains(): Promise<string[]>;
  /**
   * What `trucada status --json` shows (the node's pid, its live bindings), asked on the control
   * socket the command uses: a test that polls it while the node is busy spares the two cores a
   * process for each look.
   */
  status(): Promise<StatusReply>;
}

function uci(dir: string, o: MeshNodeOptions): string {
  const lines = [
    `option domain '${o.domain}'`,
    ...o.listen.map((a) => `list listen '${a}'`),
    `option sip_port '${SIP_PORT}'`,
    `option http_port '${HTTP_PORT}'`,
    `option https_port '${HTTPS_PORT}'`,
    `option stun_port '0'`,
    `option data_dir '${join(dir, 'data')}'`,
    `option run_dir '${join(dir, 'run')}'`,
    `option log_level 'debug'`,
    `option mdns '${o.mdns ?? 'off'}'`,
    `option bmx '${o.bmxRunDir === undefined ? 'off' : 'auto'}'`,
    ...(o.bmxRunDir === undefined ? [] : [`list bmx_run_dir '${o.bmxRunDir}'`]),
    // LibreMesh's command is not on a Debian machine; off, so that the node does not look for it.
    `option shared_state 'off'`,
    `option peer_exchange '${o.peerExchange ?? 'off'}'`,
    ...(o.peers ?? []).map((p) => `list peer '${p}'`),
    ...(o.peerInterval === undefined ? [] : [`option peer_interval '${o.peerInterval}'`]),
    ...(o.peerTimeout === undefined ? [] : [`option peer_timeout '${o.peerTimeout}'`]),
    ...Object.entries(o.uci ?? {}).map(([name, value]) => `option ${name} '${value}'`),
  ];
  return `# written by a test\nconfig trucada 'main'\n${lines.map((l) => `\t${l}\n`).join('')}`;
}

export async function startMeshNode(t: Teardown, netns: string, options: MeshNodeOptions): Promise<MeshNode> {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-mesh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'trucada.uci');
  writeFileSync(configPath, uci(dir, options));
  for (const [user, password] of Object.entries(options.users ?? {})) {
    const added = trucada(['user', 'add', user, '--password', password, '--config', configPath]);
    if (added.status !== 0) throw new Error(`trucada user add ${user}: ${added.stderr}`);
  }
  const daemon = await startDaemon(t, configPath, process.execPath, { netns });
  const peers = () =>
    new Promise<PeerSummary[]>((resolve, reject) => {
      const [command, argv] = bundleCommand(process.execPath, ['peers', '--json', '--config', configPath]);
      execFile(command, argv, { env: commandEnv(), timeout: 10_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`trucada peers on ${options.domain}: ${err.message} ${stderr}`));
        else resolve(JSON.parse(stdout) as PeerSummary[]);
      });
    });
  return {
    domain: options.domain,
    configPath,
    daemon,
    peers,
    peerDomains: async () => (await peers()).map((p) => p.domain).sort(),
    status: async () => {
      const reply = await sendControl(join(dir, 'run', CONTROL_SOCKET_NAME), { cmd: 'status' }, 10_000);
      if (reply?.ok !== true || reply.status === undefined) throw new Error(`trucada status on ${options.domain}: ${reply === undefined ? 'no answer' : JSON.stringify(reply)}`);
      return reply.status;
    },
  };
}

/** Poll `check` every half second until it holds, failing after `ms` with what was last seen. */
export async function eventually<T>(check: () => Promise<T>, holds: (value: T) => boolean, what: string, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
