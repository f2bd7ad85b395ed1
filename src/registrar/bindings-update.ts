/**
 * Applies the binding changes of one authorised REGISTER to the location service, all or nothing
 * (RFC 3261 §10.3 steps 6-8): every check runs against the current bindings first, and only when
 * all pass is anything written.
 */
import type { Logger } from '../log.js';
import { sameBinding, type Binding } from '../location/binding.js';
import type { Location } from '../location/location.js';
import { quote } from '../sip/params.js';
import type { Flow, FlowAddress } from '../sip/flow.js';
import type { ContactsRequest, ContactUpdate } from './contact-updates.js';
import type { RefusalName } from './refusal.js';
import { udpReach } from './udp-reach.js';
import { TRANSPORT_TRAITS } from '../sip/transport-traits.js';

export interface RegisterContext {
  location: Location;
  logger: Logger;
  now: number;
  maxContacts: number;
  aor: string;
  callId: string;
  cseq: number;
  flow: Flow;
  /** The top Via's sent-by host, which tells a NAT (udp-reach.ts). */
  viaHost?: string;
  userAgent?: string;
  /** Set when a binding was keyed by instance and reg-id (RFC 5626 outbound). */
  outbound?: boolean;
}

export function applyUpdates(ctx: RegisterContext, request: Exclude<ContactsRequest, { kind: 'refuse' }>): RefusalName | undefined {
  if (request.kind === 'fetch') return undefined;
  const current = ctx.location.lookup(ctx.aor);
  if (request.kind === 'remove-all') {
    // §10.3 step 6: with `*`, a binding of the same Call-ID and a CSeq not lower fails the request.
    if (current.some((b) => outOfOrder(ctx, b))) return 'OUT_OF_ORDER';
    for (const b of ctx.location.removeUser(ctx.aor)) logChange(ctx, 'unregister', b.contact);
    return undefined;
  }

  // The same request again, each binding it stored still carrying its Call-ID and CSeq: its
  // transaction, which would have absorbed it (§17.2.3), was dropped for room under load. It gets
  // the answer the first copy got, the current bindings, where §10.3 step 7 would fail it with 500.
  const stored = (u: ContactUpdate) => current.find((b) => sameBinding(b, u) && b.callId === ctx.callId && b.cseq === ctx.cseq);
  if (request.updates.every((u) => u.expires > 0 && stored(u) !== undefined)) return undefined;

  // §10.3 step 7: check every contact against the binding it would update before changing any.
  const after = [...current];
  let adds = false;
  for (const u of request.updates) {
    const existing = current.find((b) => sameBinding(b, u));
    if (existing && outOfOrder(ctx, existing)) return 'OUT_OF_ORDER';
    const at = after.findIndex((b) => sameBinding(b, u));
    if (at >= 0) after.splice(at, 1);
    if (u.expires > 0) {
      after.push(toBinding(ctx, u, existing));
      adds ||= !existing;
    }
  }
  // Refreshes always pass, so lowering max_contacts does not cut off users already over it.
  if (adds && after.length > ctx.maxContacts) return 'TOO_MANY_CONTACTS';

  for (const u of request.updates) {
    if (u.expires === 0) {
      const removed = ctx.location.remove(ctx.aor, u);
      if (removed) logChange(ctx, 'unregister', removed.contact);
      continue;
    }
    const existing = current.find((b) => sameBinding(b, u));
    const binding = toBinding(ctx, u, existing);
    const type = ctx.location.save(binding);
    if (u.regId !== undefined) ctx.outbound = true;
    logChange(ctx, type === 'added' ? 'register' : 'refresh', binding.contact, u.expires);
  }
  return undefined;
}

/** The Contact values of a 200: each binding with its remaining `expires` (SIP.js requires it). */
export function bindingContacts(bindings: Binding[], now: number): string[] {
  return bindings.map((b) => {
    let v = `<${b.contact}>;expires=${Math.max(0, Math.ceil((b.expiresAt - now) / 1000))}`;
    if (b.q !== undefined) v += `;q=${b.q}`;
    if (b.instance !== undefined) v += `;+sip.instance=${quote(b.instance)}`;
    if (b.regId !== undefined) v += `;reg-id=${b.regId}`;
    return v;
  });
}

/** §10.3 step 7: same Call-ID and a CSeq that is not higher than the stored one. */
function outOfOrder(ctx: RegisterContext, b: Binding): boolean {
  return b.callId === ctx.callId && ctx.cseq <= b.cseq;
}

function toBinding(ctx: RegisterContext, u: ContactUpdate, existing: Binding | undefined): Binding {
  const { flow } = ctx;
  return {
    aor: ctx.aor,
    contact: u.contact,
    ...(u.q !== undefined && { q: u.q }),
    expiresAt: ctx.now + u.expires * 1000,
    callId: ctx.callId,
    cseq: ctx.cseq,
    ...(u.instance !== undefined && { instance: u.instance }),
    ...(u.regId !== undefined && { regId: u.regId }),
    flowId: flow.id,
    flow: reachedAt(ctx, u),
    ...(ctx.userAgent !== undefined && { userAgent: ctx.userAgent }),
    registeredAt: existing?.registeredAt ?? ctx.now,
  };
}

/**
 * Where later requests go: where this REGISTER came from (the WebSocket or TCP connection, a UDP
 * device behind NAT), or the Contact of a UDP device that is not (udp-reach.ts).
 */
function reachedAt(ctx: RegisterContext, u: ContactUpdate): FlowAddress {
  const { flow } = ctx;
  const source: FlowAddress = { transport: flow.transport, remoteAddress: flow.remoteAddress, remotePort: flow.remotePort };
  if (TRANSPORT_TRAITS[flow.transport].reliable) return source;
  return udpReach({ contact: u.contact, viaHost: ctx.viaHost, source, outbound: u.regId !== undefined });
}

function logChange(ctx: RegisterContext, what: string, contact: string, expires?: number): void {
  const { flow } = ctx;
  const exp = expires === undefined ? '' : ` expires ${expires}`;
  ctx.logger.info(`${what} ${ctx.aor} ${contact} via ${flow.transport} ${flow.remoteAddress}:${flow.remotePort}${exp}`);
}
