/** Raw REGISTER requests for the registrar tests, parsed by the real SIP parser, and a digest client. */
import { digestResponse, ha1, type DigestAlgorithm } from '../../src/sip/digest-hash.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.js';
import { createLogger } from '../../src/log.js';
import { Location } from '../../src/location/location.js';
import { Registrar } from '../../src/registrar/registrar.js';
import type { Config } from '../../src/config/config.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeFlow } from '../helpers/fake-flow.js';
import { sipRequest } from '../helpers/sip-request.js';
import type { Credentials } from '../../src/store/credentials.js';

export const DOMAIN = 'node1.mesh';
export const REALM = 'trucada-test-realm';

export interface RegisterOptions {
  user?: string;
  ruri?: string;
  toHost?: string;
  callId?: string;
  cseq?: number;
  contacts?: string[];
  expires?: number | string;
  authorization?: string;
  extra?: string[];
  branch?: string;
}

export function register(o: RegisterOptions = {}): SipRequest {
  const user = o.user ?? 'alice';
  const aor = `<sip:${user}@${o.toHost ?? DOMAIN}>`;
  return sipRequest({
    method: 'REGISTER',
    ruri: o.ruri ?? `sip:${DOMAIN}`,
    vias: [`SIP/2.0/UDP 192.168.1.20:5062;branch=${o.branch ?? 'z9hG4bK776asdhds'};rport`],
    from: `${aor};tag=456248`,
    to: aor,
    callId: o.callId ?? '843817637684230@998sdasdh09',
    cseq: o.cseq ?? 1,
    extra: [
      ...(o.contacts ?? [`<sip:${user}@192.168.1.20:5062>`]).map((c) => `Contact: ${c}`),
      ...(o.expires === undefined ? [] : [`Expires: ${o.expires}`]),
      ...(o.authorization === undefined ? [] : [`Authorization: ${o.authorization}`]),
      ...(o.extra ?? []),
      'User-Agent: fixture/1.0',
    ],
  });
}

/** In-memory accounts: user -> password. */
export function credentialsOf(accounts: Record<string, string>): Credentials {
  return {
    realm: REALM,
    ha1(user: string, algorithm: DigestAlgorithm) {
      const name = user.toLowerCase();
      const password = accounts[name];
      return password === undefined ? undefined : ha1(algorithm, name, REALM, password);
    },
  };
}

export interface Challenge {
  realm: string;
  nonce: string;
  algorithm: string;
  qop?: string;
  stale?: string;
}

/** The challenges of a 401, in order, read with a simple regex (the client side of the test). */
export function challengesOf(res: SipMessage): Challenge[] {
  return res.headers.getAll('www-authenticate').map((v) => {
    const out: Record<string, string> = {};
    for (const m of v.matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)) out[m[1]!] = m[2] ?? m[3]!;
    return out as unknown as Challenge;
  });
}

export interface AuthorizeOptions {
  user?: string;
  password: string;
  uri?: string;
  nc?: number;
  cnonce?: string;
  qop?: boolean;
  algorithmParam?: boolean;
}

/** The Authorization value a client computes for a challenge. */
export function authorize(ch: Challenge, o: AuthorizeOptions): string {
  const user = o.user ?? 'alice';
  const uri = o.uri ?? `sip:${DOMAIN}`;
  const algorithm = ch.algorithm as DigestAlgorithm;
  const nc = (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = o.cnonce ?? '0a4f113b';
  const qop = o.qop ?? true;
  const response = digestResponse({
    algorithm,
    ha1: ha1(algorithm, user, ch.realm, o.password),
    method: 'REGISTER',
    uri,
    nonce: ch.nonce,
    ...(qop && { qop: 'auth' as const, nc, cnonce }),
  });
  const parts = [`username="${user}"`, `realm="${ch.realm}"`, `nonce="${ch.nonce}"`, `uri="${uri}"`, `response="${response}"`];
  if (o.algorithmParam ?? true) parts.push(`algorithm=${algorithm}`);
  if (qop) parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}

export const POLICY: Pick<Config, 'domain' | 'minExpires' | 'maxExpires' | 'defaultExpires' | 'maxContacts'> = {
  domain: DOMAIN,
  minExpires: 60,
  maxExpires: 3600,
  defaultExpires: 600,
  maxContacts: 3,
};

/** A registrar over a fresh location, a fake clock and a UDP flow; log lines are collected. */
export function setup(config: Partial<typeof POLICY> = {}, interfaceAddresses: readonly string[] = []) {
  const clock = new FakeClock();
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trim()));
  const location = new Location({ clock, logger });
  const registrar = new Registrar({
    config: { ...POLICY, ...config },
    credentials: credentialsOf({ alice: 'secret', bob: 'hunter2' }),
    location,
    logger,
    now: clock.now,
    hosts: { isOurHost: (host) => host === DOMAIN || interfaceAddresses.includes(host) },
  });
  const flow = new FakeFlow({ remoteAddress: '203.0.113.7', remotePort: 40000 });
  let cseq = 1;
  /** Challenge then authenticate, as a client does; returns the final response. */
  const registerAuthed = (o: RegisterOptions & { password?: string; via?: FakeFlow } = {}): SipResponse => {
    const f = o.via ?? flow;
    const first = registrar.handle(register({ ...o, cseq: o.cseq ?? cseq++ }), f);
    if (first.status !== 401) return first;
    const [md5] = challengesOf(first);
    const authorization = authorize(md5!, { user: o.user, password: o.password ?? 'secret' });
    return registrar.handle(register({ ...o, cseq: o.cseq === undefined ? cseq++ : o.cseq + 1, authorization }), f);
  };
  return { clock, logs, location, registrar, flow, registerAuthed };
}
