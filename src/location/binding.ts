/**
 * A binding (RFC 3261 §10): one contact of one address-of-record, with where its REGISTER came
 * from and where the device is reached (`flow`): the connection or WebSocket the REGISTER arrived
 * on, the NAT-facing address of a UDP device behind NAT, or the Contact of a UDP device that is
 * not (registrar/udp-reach.ts). A TCP device whose connection is gone is reached at its Contact
 * again (proxy/next-hop.ts).
 */
import type { FlowAddress } from '../sip/flow.js';
import { parseUri, uriEquals } from '../sip/uri.js';

export interface Binding {
  /** The account: the lower-cased user part of the To URI. */
  aor: string;
  /** The Contact URI as sent, formatted. */
  contact: string;
  /** Preference among the user's contacts, 0..1 (RFC 3261 §10.2.1.2). */
  q?: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** RFC 5626 `+sip.instance`, as written (`<urn:uuid:...>`). */
  instance?: string;
  /** RFC 5626 `reg-id`, only kept together with an instance. */
  regId?: number;
  /** The Flow id the REGISTER arrived on; requests for the contact go back on it while it leads to `flow`. */
  flowId: string;
  /** Where the device is reached. */
  flow: FlowAddress;
  userAgent?: string;
  registeredAt: number;
}

export type BindingEventType = 'added' | 'refreshed' | 'removed' | 'expired';

export interface BindingEvent {
  type: BindingEventType;
  binding: Binding;
}

/** What tells two bindings of one AOR apart. */
export type BindingIdentity = Pick<Binding, 'contact' | 'instance' | 'regId'>;

/**
 * RFC 5626 §6: with an instance and a reg-id on both sides, those two decide (one device may hold
 * several flows with the same Contact URI). Otherwise the Contact URIs are compared (RFC 3261
 * §10.3 step 7) with the URI equality of §19.1.4.
 */
export function sameBinding(a: BindingIdentity, b: BindingIdentity): boolean {
  if (a.instance !== undefined && a.regId !== undefined && b.instance !== undefined && b.regId !== undefined) {
    return a.instance === b.instance && a.regId === b.regId;
  }
  if (a.contact === b.contact) return true;
  try {
    return uriEquals(parseUri(a.contact), parseUri(b.contact));
  } catch {
    return false;
  }
}
