/** The validated settings every part of the node reads. Built by `load.ts` from UCI and defaults. */
import type { LogLevel } from '../log.js';

export interface Config {
  /** SIP domain of this node's users (`alice@domain`). */
  domain: string;
  /** Addresses to listen on; empty means every address (IPv4 and IPv6). */
  listen: string[];
  /** UDP and TCP SIP port. */
  sipPort: number;
  /** Plain HTTP port: ws:// for non-browser clients, and a page pointing to HTTPS. */
  httpPort: number;
  /** HTTPS port: the page and wss:// for browsers. */
  httpsPort: number;
  /** STUN responder port; 0 turns it off. */
  stunPort: number;
  /** Persistent state (flash on a router): accounts, realm, certificate, node key. */
  dataDir: string;
  /** Volatile state (RAM on a router): bindings, control socket. */
  runDir: string;
  /** OpenWrt firewall zones the init script opens the ports to (LibreMesh puts its mesh in `lan`). */
  firewallZones: string[];
  /** PEM certificate and key; when unset a self-signed pair is made in dataDir. */
  cert?: string;
  key?: string;
  logLevel: LogLevel;
  /** Registrar: lowest accepted expiry, answered with 423 below it (RFC 3261 §10.3 step 7). */
  minExpires: number;
  /** Registrar: highest granted expiry; longer requests are shortened. */
  maxExpires: number;
  /** Registrar: expiry when the request names none. */
  defaultExpires: number;
  /** Registrar: bindings one user may hold at once. */
  maxContacts: number;
  /** Largest SIP message accepted, in bytes. */
  maxMessageSize: number;
  /** Concurrent TCP/WebSocket connections accepted from one remote address. */
  maxConnectionsPerAddress: number;
  /** Connections accepted at once in all, on the SIP TCP port and the web ports. */
  maxConnections: number;
  /** Requests per second from one address before they are dropped unread; 0 for no limit. */
  requestRate: number;
  /** Requests in progress at once (no final response yet) before new ones get 503. */
  maxRequestsInProgress: number;
  /** Seconds a connection may stay silent before a WebSocket ping / it is closed. */
  idleTimeout: number;
  /** Seconds a begun SIP message may take to arrive whole over TCP (slow senders, slowloris). */
  tcpMessageTimeout: number;
  /** TURN servers handed to browsers (`turn:host:port?transport=udp`); none without a coturn. */
  turnUrls: string[];
  /** coturn's `static-auth-secret`: signs the TURN REST credentials the node hands out. */
  turnSecret?: string;
  /** Lifetime of those credentials, in seconds. */
  turnTtl: number;
  /** rtpengine's ng control socket (`udp:127.0.0.1:2223`); none: no media relay. */
  rtpengine?: { host: string; port: number };
  /** Which calls the relay carries: `mixed` (browser to plain phone) or `all`. */
  rtpengineRelay: 'mixed' | 'all';
  /** Seconds an unanswered call rings before it ends (CANCEL to the branches, 480, a missed call). */
  ringTimeout: number;
  /** `open`: the page takes sign-ups; `closed`: only `trucada user add` makes accounts. */
  signup: 'open' | 'approval' | 'closed';
  /** Seconds between OPTIONS pings to UDP bindings behind NAT, keeping their pinholes open; 0: none. */
  natPingInterval: number;
  /** Largest MESSAGE body accepted, in bytes. */
  messageMaxBody: number;
  /** Messages stored for one offline user; beyond it new ones are refused; 0: none stored. */
  messageMaxStored: number;
  /** Seconds a stored message is kept for delivery. */
  messageMaxAge: number;
  /** Calls kept in one user's history; 0: none. */
  historyMaxCalls: number;
  /** Seconds a call stays in the history. */
  historyMaxAge: number;
  /** Static peer nodes: where their descriptors are served (`https_port`). */
  peers: { host: string; port: number }[];
  /** Seconds between fetches of a peer's descriptor. */
  peerInterval: number;
  /** Seconds a peer stays known without a fetched descriptor. */
  peerTimeout: number;
  /** mDNS discovery: `browse` for other nodes, `announce` also answers for this one. */
  mdns: 'off' | 'browse' | 'announce';
  /** bmx6/bmx7 sms discovery, through the daemons whose run dir exists. */
  bmx: 'auto' | 'off';
  /** The bmx run dirs; empty: /var/run/bmx6 and /var/run/bmx7. */
  bmxRunDirs: string[];
  /** LibreMesh shared-state discovery, where `shared-state-async` is installed. */
  sharedState: 'auto' | 'off';
  /** Peer exchange: tell verified peers of the nodes this one knows, and hear theirs (peer-exchange.ts). */
  peerExchange: 'on' | 'off';
  /** Where the settings came from: a file path, or `defaults`. */
  source: string;
}
