/**
 * Every option of `config trucada 'main'`, in one table: UCI name, type, default, meaning, example.
 * The loader reads it, the docs test compares docs/config-options.md against it, and the OpenWrt init
 * script's validation list is checked against it.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import type { Config } from './config.js';

/** The Config fields that come from options (`source` is where they came from). */
export type Field = Exclude<keyof Config, 'source'>;

/** What defaults and values depend on. */
export interface LoadContext {
  /** The machine's host name, for the default domain. */
  hostname: string;
  /** A configuration file is in use (router layout) rather than the built-in defaults (a checkout). */
  withFile: boolean;
  /** Relative paths are resolved against it. */
  cwd: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; index: number; reason: string };

export interface ValueType<T> {
  /** The type as the docs name it. */
  readonly describe: string;
  /** A UCI list (several values) rather than an option. */
  readonly list: boolean;
  /** Reads the values as written (one for an option); on refusal, which one and why. */
  parse(values: readonly string[], ctx: LoadContext): Parsed<T>;
}

export interface OptionSpec<K extends Field = Field> {
  /** The UCI option name (snake_case). */
  readonly name: string;
  readonly field: K;
  readonly type: ValueType<Config[K]>;
  /** The value when the file leaves the option out, written as in a UCI file; absent: none. */
  readonly default?: string | ((ctx: LoadContext) => string);
  /** How the docs show the default, when it is not one constant. */
  readonly defaultDoc?: string;
  /** One line: what the option does. */
  readonly meaning: string;
  readonly example: string;
}

/** A value as it may be shown in one line of an error message. */
function show(raw: string): string {
  return `'${raw.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}'`;
}

function scalar<T>(describe: string, refusal: string, read: (raw: string, ctx: LoadContext) => T | undefined): ValueType<T> {
  return {
    describe,
    list: false,
    parse(values, ctx) {
      const raw = values[0] ?? '';
      const value = read(raw, ctx);
      return value === undefined ? { ok: false, index: 0, reason: `${show(raw)} is not ${refusal}` } : { ok: true, value };
    },
  };
}

function optional<T>(type: ValueType<T>): ValueType<T | undefined> {
  return { ...type, parse: (values, ctx) => (values.length === 0 ? { ok: true, value: undefined } : type.parse(values, ctx)) };
}

function listOf<T>(describe: string, item: ValueType<T>): ValueType<T[]> {
  return {
    describe,
    list: true,
    parse(values, ctx) {
      const out: T[] = [];
      for (const [index, raw] of values.entries()) {
        const r = item.parse([raw], ctx);
        if (!r.ok) return { ok: false, index, reason: r.reason };
        out.push(r.value);
      }
      return { ok: true, value: out };
    },
  };
}

function readInteger(raw: string, min: number, max: number): number | undefined {
  if (!/^[0-9]{1,9}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= min && n <= max ? n : undefined;
}

export function integer(min: number, max: number): ValueType<number> {
  return scalar(`integer (${min}-${max})`, `an integer from ${min} to ${max}`, (raw) => readInteger(raw, min, max));
}

export const PORT = scalar('port (0-65535)', 'a port (0-65535)', (raw) => readInteger(raw, 0, 65535));

/** The spellings OpenWrt's validation (`bool`) accepts. */
const BOOLEANS = new Map<string, boolean>([
  ['1', true], ['yes', true], ['on', true], ['true', true], ['enabled', true],
  ['0', false], ['no', false], ['off', false], ['false', false], ['disabled', false],
]);
export const BOOLEAN = scalar('boolean', 'a boolean (1/0, yes/no, on/off, true/false, enabled/disabled)', (raw) => BOOLEANS.get(raw));

export function oneOf<T extends string>(choices: readonly T[]): ValueType<T> {
  const text = choices.join(', ');
  return scalar(`one of ${text}`, `one of ${text}`, (raw) => choices.find((c) => c === raw));
}

export const IP_ADDRESS = scalar('IP address', 'an IPv4 or IPv6 address', (raw) => (isIP(raw) === 0 ? undefined : raw));

/** A file or directory; relative paths are taken from the working directory. */
export const PATH = scalar('path', 'a path (no control characters)', (raw, ctx) =>
  raw === '' || /[\x00-\x1f\x7f]/.test(raw) ? undefined : resolve(ctx.cwd, raw),
);

/** RFC 1123 §2.1 host names: dot-separated labels of letters, digits and inner hyphens, 63 bytes each. */
export function isDomain(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}

export const DOMAIN = scalar('domain name', 'a domain name (dot-separated labels of letters, digits and inner -)', (raw) => {
  const name = raw.toLowerCase();
  return isDomain(name) ? name : undefined;
});

/** The default domain: the host name made into valid labels, plus `.mesh`. */
export function defaultDomain(hostname: string): string {
  const labels = hostname
    .toLowerCase()
    .split('.')
    .map((l) => l.replace(/[^a-z0-9-]+/g, '-').slice(0, 63).replace(/^-+|-+$/g, ''))
    .filter((l) => l !== '');
  const name = labels.join('.');
  return `${name !== '' && name.length <= 248 ? name : 'trucada'}.mesh`;
}

/** A firewall zone as OpenWrt names it (`uciname`: letters, digits, `_`). */
export const ZONE = scalar('zone name', 'a firewall zone name (letters, digits and _)', (raw) =>
  /^[A-Za-z0-9_]{1,32}$/.test(raw) ? raw : undefined,
);

const EXPIRY = integer(1, 86400);

/**
 * A TURN server URI as RTCPeerConnection takes it (RFC 7065 §3.1): `turn:` or `turns:`, a host name,
 * IPv4 address or bracketed IPv6 address, an optional port, and optionally `?transport=udp|tcp`.
 */
export const TURN_URL = scalar('TURN URL', 'a TURN URL (turn:HOST[:PORT][?transport=udp|tcp])', (raw) => {
  const m = /^turns?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(?:\?transport=(?:udp|tcp))?$/.exec(raw);
  if (!m) return undefined;
  const host = m[1]!;
  const hostOk = host.startsWith('[') ? isIP(host.slice(1, -1)) === 6 : isIP(host) === 4 || isDomain(host.toLowerCase());
  const port = m[2] === undefined ? 1 : Number(m[2]);
  return hostOk && port >= 1 && port <= 65535 ? raw : undefined;
});

/**
 * rtpengine's ng control socket as Kamailio's `rtpengine_sock` names it: `udp:ADDRESS:PORT`, the
 * address IPv4 or bracketed IPv6 (the node resolves no names, and the relay is on the router or next to it).
 */
export const NG_SOCKET = scalar('ng control socket', 'an ng control socket (udp:ADDRESS:PORT)', (raw) => {
  const m = /^udp:(\[[0-9A-Fa-f:.]+\]|[0-9.]+):([0-9]{1,5})$/.exec(raw);
  if (!m) return undefined;
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  const port = Number(m[2]);
  const ok = (m[1]!.startsWith('[') ? isIP(host) === 6 : isIP(host) === 4) && port >= 1 && port <= 65535;
  return ok ? { host, port } : undefined;
});

/**
 * A static peer node's HTTPS endpoint, `HOST:PORT`: a host name, IPv4 address or bracketed IPv6
 * address, and the port its descriptor is served on (its `https_port`).
 */
export const PEER = scalar('peer (HOST:PORT)', 'a peer HOST:PORT (name, IPv4 or [IPv6], and its HTTPS port)', (raw) => {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(raw);
  if (!m) return undefined;
  const bracketed = m[1]!.startsWith('[');
  const host = bracketed ? m[1]!.slice(1, -1) : m[1]!.toLowerCase();
  const port = Number(m[2]);
  const hostOk = bracketed ? isIP(host) === 6 : isIP(host) === 4 || isDomain(host);
  return hostOk && port >= 1 && port <= 65535 ? { host, port } : undefined;
});

/** A shared secret: printable, no spaces (coturn reads it from its command line or config file). */
export const SECRET = scalar('secret', 'a secret of printable characters without spaces', (raw) =>
  /^[\x21-\x7e]{1,256}$/.test(raw) ? raw : undefined,
);

const SPECS: { readonly [K in Field]: OptionSpec<K> } = {
  domain: {
    name: 'domain', field: 'domain', type: DOMAIN, default: (c) => defaultDomain(c.hostname), defaultDoc: 'host name + `.mesh`',
    meaning: "SIP domain of this node's users (`alice@domain`)", example: 'node7.mesh',
  },
  listen: {
    name: 'listen', field: 'listen', type: listOf('list of IP addresses', IP_ADDRESS), defaultDoc: '(every address)',
    meaning: 'addresses to listen on; none means every IPv4 and IPv6 address', example: '10.1.2.3',
  },
  sipPort: { name: 'sip_port', field: 'sipPort', type: PORT, default: '5060', meaning: 'UDP and TCP port for SIP', example: '5062' },
  httpPort: {
    name: 'http_port', field: 'httpPort', type: PORT, default: '8080',
    meaning: '`ws://` for clients that are not browsers, and a page pointing to HTTPS', example: '80',
  },
  httpsPort: {
    name: 'https_port', field: 'httpsPort', type: PORT, default: '8443',
    meaning: 'HTTPS: the page, and `wss://` for browsers', example: '443',
  },
  stunPort: {
    name: 'stun_port', field: 'stunPort', type: PORT, default: '3478',
    meaning: 'UDP port of the STUN responder; 0 turns it off', example: '0',
  },
  dataDir: {
    name: 'data_dir', field: 'dataDir', type: PATH, default: (c) => (c.withFile ? '/etc/trucada' : './data'),
    defaultDoc: '`/etc/trucada` (`./data` without a config file)',
    meaning: 'persistent state (flash): accounts, realm, certificate, node key', example: '/srv/trucada',
  },
  runDir: {
    name: 'run_dir', field: 'runDir', type: PATH, default: (c) => (c.withFile ? '/tmp/trucada' : './run'),
    defaultDoc: '`/tmp/trucada` (`./run` without a config file)',
    meaning: 'volatile state (RAM): registrations, control socket', example: '/var/run/trucada',
  },
  firewallZones: {
    name: 'firewall_zone', field: 'firewallZones', type: listOf('list of firewall zones', ZONE), default: 'lan',
    meaning: 'OpenWrt firewall zones whose devices may reach the ports above (the init script opens them)', example: 'mesh',
  },
  cert: {
    name: 'cert', field: 'cert', type: optional(PATH), defaultDoc: '(self-signed, made in `data_dir`)',
    meaning: 'PEM certificate for HTTPS and `wss://`; needs `key`', example: '/etc/ssl/node7.crt',
  },
  key: {
    name: 'key', field: 'key', type: optional(PATH), defaultDoc: '(self-signed, made in `data_dir`)',
    meaning: 'PEM private key of `cert`', example: '/etc/ssl/node7.key',
  },
  logLevel: {
    name: 'log_level', field: 'logLevel', type: oneOf<LogLevel>(LOG_LEVELS), default: 'info',
    meaning: 'most detailed level written to the log', example: 'debug',
  },
  minExpires: {
    name: 'min_expires', field: 'minExpires', type: EXPIRY, default: '60',
    meaning: 'shortest registration accepted in seconds; shorter ones get 423 (RFC 3261 §10.3)', example: '120',
  },
  maxExpires: {
    name: 'max_expires', field: 'maxExpires', type: EXPIRY, default: '3600',
    meaning: 'longest registration granted in seconds; longer ones are shortened', example: '7200',
  },
  defaultExpires: {
    name: 'default_expires', field: 'defaultExpires', type: EXPIRY, default: '3600',
    meaning: 'registration length in seconds when the request names none', example: '600',
  },
  maxContacts: {
    name: 'max_contacts', field: 'maxContacts', type: integer(1, 100), default: '10',
    meaning: 'devices one user may have registered at once', example: '5',
  },
  maxMessageSize: {
    name: 'max_message_size', field: 'maxMessageSize', type: integer(1024, 1048576), default: '65535',
    meaning: 'largest SIP message accepted, in bytes', example: '16384',
  },
  maxConnectionsPerAddress: {
    name: 'max_connections_per_address', field: 'maxConnectionsPerAddress', type: integer(1, 10000), default: '32',
    meaning: 'TCP and WebSocket connections accepted at once from one address', example: '64',
  },
  maxConnections: {
    name: 'max_connections', field: 'maxConnections', type: integer(16, 100000), default: '2000',
    meaning: 'TCP, WebSocket and web connections the node accepts at once from everyone (each holds a file descriptor); further ones are closed at once',
    example: '500',
  },
  requestRate: {
    name: 'request_rate', field: 'requestRate', type: integer(0, 100000), default: '200',
    meaning: 'SIP requests per second taken from one address (twice that in a burst; loopback exempt), the rest dropped unread; 0: no limit',
    example: '50',
  },
  maxRequestsInProgress: {
    name: 'max_requests_in_progress', field: 'maxRequestsInProgress', type: integer(10, 100000), default: '300',
    meaning: 'SIP requests the node works on at once (calls ringing, requests forwarded and not yet answered); further new ones get 503 with Retry-After, at most that many a second (the rest are dropped unanswered), while CANCEL and requests within a call still pass',
    example: '100',
  },
  idleTimeout: {
    name: 'idle_timeout', field: 'idleTimeout', type: integer(10, 86400), default: '120',
    meaning: 'seconds a connection may stay silent before a WebSocket ping, then closing', example: '300',
  },
  tcpMessageTimeout: {
    name: 'tcp_message_timeout', field: 'tcpMessageTimeout', type: integer(1, 300), default: '20',
    meaning: 'seconds a TCP peer may take to send one whole SIP message once it has begun; then the connection is closed', example: '10',
  },
  turnUrls: {
    name: 'turn_url', field: 'turnUrls', type: listOf('list of TURN URLs', TURN_URL), defaultDoc: '(none)',
    meaning: 'TURN servers (a coturn) given to browsers with fresh credentials; needs `turn_secret`',
    example: 'turn:10.1.2.3:3478?transport=udp',
  },
  turnSecret: {
    name: 'turn_secret', field: 'turnSecret', type: optional(SECRET), defaultDoc: '(none)',
    meaning: "coturn's `static-auth-secret` (`use-auth-secret`), which signs the TURN credentials", example: 'b9f3c2e1d0a7',
  },
  turnTtl: {
    name: 'turn_ttl', field: 'turnTtl', type: integer(60, 604800), default: '43200',
    meaning: 'seconds the TURN credentials stay valid', example: '3600',
  },
  rtpengine: {
    name: 'rtpengine', field: 'rtpengine', type: optional(NG_SOCKET), defaultDoc: '(none)',
    meaning: "rtpengine's ng control socket, the media relay for calls between browsers and plain RTP phones; none: no relay",
    example: 'udp:127.0.0.1:2223',
  },
  rtpengineRelay: {
    name: 'rtpengine_relay', field: 'rtpengineRelay', type: oneOf<'mixed' | 'all'>(['mixed', 'all']), default: 'mixed',
    meaning: 'which calls to local devices go through rtpengine: those between a browser and a plain RTP phone (`mixed`), or every call with SDP (`all`, which also hides the ends\' addresses from each other)',
    example: 'all',
  },
  signup: {
    name: 'signup', field: 'signup', type: oneOf<'open' | 'approval' | 'closed'>(['open', 'approval', 'closed']), default: 'open',
    meaning: 'whether people on the mesh may make their own account on the page (`open`), may ask for one that an admin approves on the page or with `trucada user approve` (`approval`), or only the admin makes them with `trucada user add` (`closed`)',
    example: 'closed',
  },
  ringTimeout: {
    name: 'ring_timeout', field: 'ringTimeout', type: integer(1, 600), default: '45',
    meaning: 'seconds a call may ring unanswered; then it ends as a missed call', example: '30',
  },
  natPingInterval: {
    name: 'nat_ping_interval', field: 'natPingInterval', type: integer(0, 3600), default: '20',
    meaning: 'seconds between OPTIONS pings that keep NAT pinholes of UDP registrations open; 0 turns them off', example: '30',
  },
  messageMaxBody: {
    name: 'message_max_body', field: 'messageMaxBody', type: integer(1, 65536), default: '8192',
    meaning: 'largest MESSAGE body accepted, in bytes', example: '4096',
  },
  messageMaxStored: {
    name: 'message_max_stored', field: 'messageMaxStored', type: integer(0, 10000), default: '100',
    meaning: 'messages kept for one user while offline; further ones are refused; 0 stores none', example: '20',
  },
  messageMaxAge: {
    name: 'message_max_age', field: 'messageMaxAge', type: integer(60, 31536000), default: '604800',
    meaning: 'seconds a stored message waits for its user before it is dropped', example: '86400',
  },
  historyMaxCalls: {
    name: 'history_max_calls', field: 'historyMaxCalls', type: integer(0, 100000), default: '200',
    meaning: 'calls kept in the history of one user; older ones are dropped; 0 keeps none (and sends no missed-call notice)', example: '50',
  },
  historyMaxAge: {
    name: 'history_max_age', field: 'historyMaxAge', type: integer(3600, 315360000), default: '7776000',
    meaning: 'seconds a call stays in the history', example: '2592000',
  },
  peers: {
    name: 'peer', field: 'peers', type: listOf('list of peers (HOST:PORT)', PEER), defaultDoc: '(none)',
    meaning: 'other nodes to federate with that no discovery reaches (routed zones): HOST and its `https_port`', example: '10.1.7.1:8443',
  },
  peerInterval: {
    name: 'peer_interval', field: 'peerInterval', type: integer(5, 3600), default: '30',
    meaning: "seconds between fetches of each static peer's signed descriptor, and between tries of one that could not be fetched", example: '60',
  },
  peerTimeout: {
    name: 'peer_timeout', field: 'peerTimeout', type: integer(10, 86400), default: '180',
    meaning: 'seconds a peer stays known once no channel announces it and its descriptor cannot be fetched; then it leaves the directory and its users are unreachable', example: '600',
  },
  mdns: {
    name: 'mdns', field: 'mdns', type: oneOf<'off' | 'browse' | 'announce'>(['off', 'browse', 'announce']), default: 'announce',
    meaning: 'mDNS on the local link (`_trucada._tcp`): `browse` finds other nodes, `announce` also answers for this one and its `_sip._udp`/`_sip._tcp`, beside umdns or avahi on port 5353',
    example: 'browse',
  },
  bmx: {
    name: 'bmx', field: 'bmx', type: oneOf<'auto' | 'off'>(['auto', 'off']), default: 'auto',
    meaning: 'bmx6/bmx7 `sms` (qMp): `auto` announces this node and finds the others through every bmx daemon whose run dir exists, across the whole routed mesh',
    example: 'off',
  },
  bmxRunDirs: {
    name: 'bmx_run_dir', field: 'bmxRunDirs', type: listOf('list of paths', PATH), defaultDoc: '`/var/run/bmx6`, `/var/run/bmx7`',
    meaning: "the run dirs of the bmx daemons (their `runtimeDir`), one line each", example: '/var/run/bmx7',
  },
  sharedState: {
    name: 'shared_state', field: 'sharedState', type: oneOf<'auto' | 'off'>(['auto', 'off']), default: 'auto',
    meaning: 'LibreMesh `shared-state-async`: `auto` announces this node and finds the others as the data type `trucada` wherever the command is installed',
    example: 'off',
  },
  peerExchange: {
    name: 'peer_exchange', field: 'peerExchange', type: oneOf<'on' | 'off'>(['on', 'off']), default: 'on',
    meaning: 'peer exchange: `on` tells the verified peers of the nodes this one knows, and hears theirs, so that a whole routed zone is found through one static peer and news crosses the mesh faster than bmx floods it; every node heard so is still verified by its own signed descriptor',
    example: 'off',
  },
};

/** The options in the order the docs list them. */
export const OPTIONS: readonly OptionSpec[] = Object.values(SPECS);

/** The Default column of the docs table. */
export function defaultText(spec: OptionSpec): string {
  return spec.defaultDoc ?? (typeof spec.default === 'string' ? `\`${spec.default}\`` : '');
}

/** Values each allowed alone that cannot go together; `options` are the UCI names involved, the first one named. */
export interface Conflict {
  options: readonly string[];
  reason: string;
}

export function findConflict(c: Config): Conflict | undefined {
  if (c.minExpires > c.defaultExpires) {
    const reason = `min_expires (${c.minExpires}) is greater than default_expires (${c.defaultExpires})`;
    return { options: ['min_expires', 'default_expires'], reason };
  }
  if (c.defaultExpires > c.maxExpires) {
    const reason = `default_expires (${c.defaultExpires}) is greater than max_expires (${c.maxExpires})`;
    return { options: ['default_expires', 'max_expires'], reason };
  }
  // SIP is UDP and TCP, HTTP(S) TCP, STUN UDP: these pairs would share a socket.
  const pairs: [string, number, string, number][] = [
    ['sip_port', c.sipPort, 'http_port', c.httpPort],
    ['sip_port', c.sipPort, 'https_port', c.httpsPort],
    ['http_port', c.httpPort, 'https_port', c.httpsPort],
    ['sip_port', c.sipPort, 'stun_port', c.stunPort],
  ];
  for (const [a, pa, b, pb] of pairs) {
    if (pa !== 0 && pa === pb) return { options: [a, b], reason: `${a} and ${b} are both ${pa}` };
  }
  if (c.turnUrls.length > 0 && c.turnSecret === undefined) {
    return { options: ['turn_url'], reason: 'turn_url is set but turn_secret is not (the node signs TURN credentials with it)' };
  }
  if (c.peerTimeout <= c.peerInterval) {
    // Every peer would leave between two fetches and come back at the next.
    return { options: ['peer_timeout', 'peer_interval'], reason: `peer_timeout (${c.peerTimeout}) is not longer than peer_interval (${c.peerInterval})` };
  }
  if ((c.cert === undefined) !== (c.key === undefined)) {
    const [set, unset] = c.cert === undefined ? ['key', 'cert'] : ['cert', 'key'];
    return { options: [set], reason: `${set} is set but ${unset} is not (give both or neither)` };
  }
  return undefined;
}
