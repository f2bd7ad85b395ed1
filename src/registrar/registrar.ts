/**
 * The REGISTER rules of RFC 3261 §10.3 (with RFC 5626 §6 for instance and reg-id), and nothing
 * else: the caller has already absorbed retransmissions (server transaction table) and sends the
 * response this returns. Bindings are written through `Location`; sockets are never touched.
 *
 * Whose AOR: the account is the user part of the To URI. Its host, and the Request-URI's host,
 * must be the node's domain or the address the request arrived at (a desk phone configured with
 * the router's IP as its domain); anything else is 404 "Not our domain", as the node relays no
 * REGISTER to other registrars.
 */
import { isIP } from 'node:net';
import { unmapAddress } from '../net/addresses.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Binding } from '../location/binding.js';
import type { Location } from '../location/location.js';
import { parseCSeq } from '../sip/cseq.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { parseNameAddr } from '../sip/name-addr.js';
import { createResponse } from '../sip/response.js';
import { bareHost, parseUri } from '../sip/uri.js';
import { topVia } from '../sip/via.js';
import type { Credentials } from '../store/credentials.js';
import { normalizeUserName } from '../store/user-name.js';
import type { Flow } from '../sip/flow.js';
import type { OurHosts } from '../core/our-host.js';
import { DigestGate } from '../auth/digest-gate.js';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import type { FailureThrottle } from '../auth/throttle.js';
import { readContacts } from './contact-updates.js';
import { refuse, type RefusalName } from './refusal.js';
import { applyUpdates, bindingContacts, type RegisterContext } from './bindings-update.js';

export interface RegistrarDeps {
  config: Pick<Config, 'minExpires' | 'maxExpires' | 'defaultExpires' | 'maxContacts'>;
  credentials: Credentials;
  location: Location;
  logger: Logger;
  now: () => number;
  /**
   * The node's names: its domain and every address of its interfaces (a UDP socket on the wildcard
   * cannot tell which address a request came to).
   */
  hosts: Pick<OurHosts, 'isOurHost'>;
  /** Failed password checks, shared by every path that checks passwords (one budget per guesser); a fresh one when absent. */
  authFailures?: FailureThrottle;
}

/** Option tags this registrar understands in Require (§8.2.2.3). */
const SUPPORTED_OPTIONS = new Set(['outbound']);

export class Registrar {
  private readonly gate: DigestGate;
  /** max_contacts refusals: one user's devices, and so the branches a call to them forks to. */
  private readonly limitLog: RateLimitedLog;

  constructor(private readonly deps: RegistrarDeps) {
    const { credentials, logger, now, authFailures } = deps;
    this.gate = new DigestGate({ credentials, logger, now, by: 'registrar', authFailures });
    this.limitLog = new RateLimitedLog(logger, now);
  }

  handle(req: SipRequest, flow: Flow): SipResponse {
    const head = this.readHead(req, flow);
    if (typeof head === 'string') return refuse(req, head);
    const { aor, callId, cseq } = head;

    // §10.3 step 2: refuse extensions the node does not implement.
    const unsupported = req.headers.getAll('require').filter((o) => !SUPPORTED_OPTIONS.has(o.toLowerCase()));
    if (unsupported.length > 0) return refuse(req, 'BAD_EXTENSION', { Unsupported: unsupported.join(', ') });

    const refused = this.authorize(req, flow, aor);
    if (refused) return refused;

    const contacts = readContacts(req, this.deps.config);
    if (contacts.kind === 'refuse') {
      const extra: Record<string, string> =
        contacts.refusal === 'INTERVAL_TOO_BRIEF' ? { 'Min-Expires': String(this.deps.config.minExpires) } : {};
      return refuse(req, contacts.refusal, extra);
    }
    const ctx: RegisterContext = {
      location: this.deps.location,
      logger: this.deps.logger,
      now: this.deps.now(),
      maxContacts: this.deps.config.maxContacts,
      aor,
      callId,
      cseq,
      flow,
      viaHost: topVia(req)?.host,
      userAgent: req.headers.get('user-agent')?.slice(0, 200),
    };
    const failed = applyUpdates(ctx, contacts);
    if (failed === 'TOO_MANY_CONTACTS') {
      const { maxContacts } = this.deps.config;
      this.limitLog.warn(`${aor} has max_contacts (${maxContacts}) devices registered: another from ${flow.transport} ${flow.remoteAddress}:${flow.remotePort} refused with 503`);
    }
    if (failed) return refuse(req, failed);
    return this.ok(req, aor, ctx.now, ctx.outbound === true);
  }

  /** To, Request-URI, Call-ID and CSeq: who is registering, and whether it is ours to answer. */
  private readHead(req: SipRequest, flow: Flow): { aor: string; callId: string; cseq: number } | RefusalName {
    let to;
    try {
      to = parseNameAddr(req.headers.get('to') ?? '').uri;
    } catch {
      return 'BAD_TO';
    }
    if (to.scheme === 'tel') return 'BAD_TO';
    if (!to.user) return 'NO_TO_USER';
    let ruri;
    try {
      ruri = parseUri(req.uri);
    } catch {
      return 'BAD_REQUEST_URI';
    }
    if (!this.isOurHost(ruri.host, flow) || !this.isOurHost(to.host, flow)) return 'NOT_OUR_DOMAIN';
    const callId = req.headers.get('call-id')?.trim();
    if (!callId) return 'BAD_CALL_ID';
    let cseq;
    try {
      cseq = parseCSeq(req.headers.get('cseq') ?? '');
    } catch {
      return 'BAD_CSEQ';
    }
    let aor;
    try {
      aor = normalizeUserName(to.user);
    } catch {
      return 'NOT_AN_ACCOUNT';
    }
    return { aor, callId, cseq: cseq.seq };
  }

  private isOurHost(host: string, flow: Flow): boolean {
    const h = bareHost(host).toLowerCase();
    if (this.deps.hosts.isOurHost(h)) return true;
    // A dual-stack socket reports IPv4 peers and itself as IPv4-mapped IPv6.
    const local = unmapAddress(flow.localAddress).toLowerCase();
    return isIP(h) !== 0 && h === local;
  }

  /** §10.3 steps 3 and 4: throttle, digest, and the authenticated user must be the AOR's. */
  private authorize(req: SipRequest, flow: Flow, aor: string): SipResponse | undefined {
    const result = this.gate.check(req, flow, aor);
    if (result.kind === 'refuse') return result.response;
    if (result.user.toLowerCase() !== aor) {
      this.deps.logger.warn(`${JSON.stringify(result.user)} tried to register ${aor} from ${flow.transport} ${flow.remoteAddress}:${flow.remotePort}`);
      return refuse(req, 'USER_MISMATCH');
    }
    return undefined;
  }

  /** §10.3 step 8: every current binding with its remaining expiry, and a Date. */
  private ok(req: SipRequest, aor: string, now: number, outbound: boolean): SipResponse {
    const res = createResponse(req, 200, 'OK');
    const bindings: Binding[] = this.deps.location.lookup(aor);
    for (const contact of bindingContacts(bindings, now)) res.headers.append('Contact', contact);
    // RFC 5626 §6: a registrar that applied outbound to the binding says so.
    if (outbound && req.headers.getAll('supported').some((o) => o.toLowerCase() === 'outbound')) {
      res.headers.append('Require', 'outbound');
    }
    res.headers.append('Date', new Date(now).toUTCString());
    return res;
  }
}
