/**
 * `GET /api/ice-servers`: the `iceServers` an RTCPeerConnection of this node's page takes (W3C
 * WebRTC §4.2.1 RTCIceServer), and how long they stay good:
 *
 *   {"iceServers": [{"urls": ["stun:10.1.2.3:3478"]}, {"urls": [...turn], "username": "...", "credential": "..."}], "ttl": 43200}
 *
 * The node's own STUN at the address the request arrived on (a browser that reached the node there
 * reaches its STUN there too), never a public server: on a mesh without internet an unreachable
 * STUN server stalls ICE gathering. TURN, with fresh coturn REST credentials, only for a caller
 * who is someone: the page's login session (its cookie), or HTTP Digest for other clients, where
 * `?turn` asks for it (401 with a challenge until the credentials are right); anyone else gets
 * STUN only. The credentials name the user, so coturn's logs say whose relay it was.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Config } from '../../config/config.js';
import { turnCredentials } from '../../auth/turn-credentials.js';
import { unmapAddress } from '../../net/addresses.js';
import type { HttpDigest } from './http-digest.js';
import { sendError, sendJson } from './json-reply.js';

export const ICE_SERVERS_PATH = '/api/ice-servers';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface IceServersOptions {
  readonly config: Pick<Config, 'stunPort' | 'turnUrls' | 'turnSecret' | 'turnTtl'>;
  readonly digest: HttpDigest;
  /** The user of the request's live login session, if it has one. */
  readonly sessionUser?: (req: IncomingMessage) => string | undefined;
  readonly now: () => number;
}


const withPort = (host: string, port: number) => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * STUN where the node answers it; with `stun_port 0` a coturn on the router owns the STUN port and
 * its TURN hosts answer STUN too.
 */
function stunServer(opts: IceServersOptions, localAddress: string): IceServer | undefined {
  const { stunPort, turnUrls } = opts.config;
  if (stunPort !== 0) return { urls: [`stun:${withPort(unmapAddress(localAddress), stunPort)}`] };
  const hosts = [...new Set(turnUrls.map((u) => /^turns?:([^?]+)/.exec(u)![1]!))];
  return hosts.length > 0 ? { urls: hosts.map((h) => `stun:${h}`) } : undefined;
}

/** Answers the request and returns true when it is for this API path; false leaves it to others. */
export function createIceServersHandler(opts: IceServersOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://node.invalid');
    if (url.pathname !== ICE_SERVERS_PATH) return false;
    if (req.method !== 'GET') {
      sendError(res, 405, 'only GET', { Allow: 'GET' });
      return true;
    }
    const { config } = opts;
    const servers: IceServer[] = [];
    const stun = stunServer(opts, req.socket.localAddress ?? '127.0.0.1');
    if (stun) servers.push(stun);
    let user = opts.sessionUser?.(req);
    if (user === undefined) {
      const auth = opts.digest.authenticate(req);
      const wantsTurn = url.searchParams.has('turn') || auth.kind !== 'anonymous';
      if (wantsTurn && auth.kind !== 'ok') {
        sendError(res, 401, 'authentication required for TURN', { 'WWW-Authenticate': opts.digest.challenge(auth.kind === 'refused' && auth.stale) });
        return true;
      }
      if (auth.kind === 'ok') user = auth.user;
    }
    if (user !== undefined && config.turnUrls.length > 0 && config.turnSecret !== undefined) {
      const { username, credential } = turnCredentials(config.turnSecret, user, config.turnTtl, opts.now());
      servers.push({ urls: [...config.turnUrls], username, credential });
    }
    sendJson(res, 200, { iceServers: servers, ttl: config.turnTtl });
    return true;
  };
}
