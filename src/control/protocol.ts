/**
 * The local control channel between the `trucada` command and a running daemon: one JSON request
 * line, one JSON reply line, over a Unix socket in run_dir (file permissions keep it local to root).
 * The command writes accounts to SQLite itself; this channel only tells the daemon to re-read them,
 * so an account change takes effect at once, and lets `trucada status` show live bindings.
 */
export type ControlRequest =
  | { cmd: 'account-changed'; user: string; /** password changed or user deleted: drop bindings */ dropBindings: boolean }
  | { cmd: 'status' };

export interface BindingSummary {
  user: string;
  contact: string;
  transport: string;
  source: string;
  expiresIn: number;
  userAgent?: string;
}

export interface NodeSummary {
  id: string;
  fingerprint: string;
}

export interface PeerSummary {
  id: string;
  domain: string;
  /** Where its SIP goes, `udp:host:port`. */
  sip: string;
  /** Its key's SHA-256, as `trucada status` shows each node's own. */
  fingerprint: string;
  /** The discovery channels that heard it since it was last accepted (mdns, bmx, static HOST:PORT, ...). */
  channels: string[];
  /** Seconds since its descriptor was last accepted. */
  lastSeen: number;
  users: number;
  /** Of its users, those it shows online to the mesh. */
  online: number;
}

export interface StatusReply {
  version: string;
  pid: number;
  domain: string;
  realm: string;
  ports: { sip: number; http: number; https: number };
  users: number;
  bindings: BindingSummary[];
  uptime: number;
  /** This node's federation identity (DESIGN.md §5). */
  node: NodeSummary;
  /** The verified peer nodes (`trucada peers`). */
  peers: PeerSummary[];
  /** The media relay (rtpengine) and whether it answers; absent when none is configured. */
  mediaRelay?: { name: string; state: 'unknown' | 'up' | 'down' };
}

export type ControlReply = { ok: true; status?: StatusReply } | { ok: false; error: string };

/** Longest request line the daemon reads; anything longer is refused. */
export const MAX_CONTROL_LINE = 4096;

export const CONTROL_SOCKET_NAME = 'control.sock';
