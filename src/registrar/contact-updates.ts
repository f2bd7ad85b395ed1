/**
 * Reads the Contact and Expires header fields of a REGISTER into the binding changes it asks for
 * (RFC 3261 §10.3 steps 6 and 7, RFC 5626 §6), or the refusal it deserves. Nothing here touches
 * the location service.
 */
import type { Config } from '../config/config.js';
import type { SipRequest } from '../sip/message.js';
import { parseContact, type NameAddr } from '../sip/name-addr.js';
import { unquote } from '../sip/params.js';
import { formatUri } from '../sip/uri.js';
import type { RefusalName } from './refusal.js';

export interface ContactUpdate {
  /** The Contact URI, formatted. */
  contact: string;
  /** Granted expiry in seconds; 0 removes the binding. */
  expires: number;
  q?: number;
  instance?: string;
  regId?: number;
}

export type ContactsRequest =
  | { kind: 'fetch' }
  | { kind: 'remove-all' }
  | { kind: 'update'; updates: ContactUpdate[] }
  | { kind: 'refuse'; refusal: RefusalName };

export type ExpiryPolicy = Pick<Config, 'minExpires' | 'maxExpires' | 'defaultExpires'>;

/** A REGISTER has no business naming more; a bound on the work one request can cause. */
const MAX_CONTACTS_PER_REQUEST = 32;
/** RFC 3261 §25.1 delta-seconds; values past 2**32-1 are taken as that (§20.19 allows capping). */
const DELTA_SECONDS = /^\d{1,20}$/;
const MAX_DELTA = 2 ** 32 - 1;
const Q_VALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

export function readContacts(req: SipRequest, policy: ExpiryPolicy): ContactsRequest {
  const values = req.headers.getAll('contact');
  if (values.length === 0) return { kind: 'fetch' };
  if (values.length > MAX_CONTACTS_PER_REQUEST) return refuse('BAD_CONTACT');
  const headerValue = req.headers.get('expires');
  const headerExpires = headerValue === undefined ? undefined : deltaSeconds(headerValue);
  if (headerExpires === null) return refuse('BAD_EXPIRES');

  let contacts: (NameAddr | '*')[];
  try {
    contacts = values.map((v) => parseContact(v));
  } catch {
    return refuse('BAD_CONTACT');
  }
  // §10.3 step 6: `*` must stand alone and come with an Expires header of 0.
  if (contacts.includes('*')) {
    if (contacts.length > 1) return refuse('STAR_NOT_ALONE');
    if (headerExpires !== 0) return refuse('STAR_WITH_EXPIRES');
    return { kind: 'remove-all' };
  }

  const updates: ContactUpdate[] = [];
  for (const c of contacts as NameAddr[]) {
    const read = readOne(c, headerExpires, policy);
    if (typeof read === 'string') return refuse(read);
    updates.push(read);
  }
  // RFC 5626 §6: more than one Contact with a reg-id is refused with 400.
  if (updates.filter((u) => u.regId !== undefined).length > 1) return refuse('MULTIPLE_REG_ID');
  return { kind: 'update', updates };
}

function readOne(c: NameAddr, headerExpires: number | undefined, policy: ExpiryPolicy): ContactUpdate | RefusalName {
  if (c.uri.scheme === 'tel') return 'BAD_CONTACT';
  // §10.3 step 7: the contact's expires parameter, else the Expires header, else the default.
  const param = c.params.get('expires');
  let requested: number;
  if (param !== undefined) {
    const v = param === null ? null : deltaSeconds(param);
    if (v === null) return 'BAD_EXPIRES';
    requested = v;
  } else requested = headerExpires ?? policy.defaultExpires;
  // §10.3 step 7: 423 only for an interval above zero and below the minimum.
  if (requested > 0 && requested < policy.minExpires) return 'INTERVAL_TOO_BRIEF';
  const update: ContactUpdate = { contact: formatUri(c.uri), expires: Math.min(requested, policy.maxExpires) };

  const q = c.params.get('q');
  if (q !== undefined) {
    if (q === null || !Q_VALUE.test(q)) return 'BAD_Q';
    update.q = Number(q);
  }
  const instance = c.params.get('+sip.instance');
  if (instance !== undefined && instance !== null) update.instance = unquote(instance);
  const regId = c.params.get('reg-id');
  // RFC 5626 §6: reg-id only means something together with +sip.instance; alone it is ignored.
  if (regId !== undefined && update.instance !== undefined) {
    if (regId === null || !/^\d{1,10}$/.test(regId) || Number(regId) < 1 || Number(regId) > 2 ** 31 - 1) return 'BAD_REG_ID';
    update.regId = Number(regId);
  }
  return update;
}

/** delta-seconds, or null when malformed. */
function deltaSeconds(text: string): number | null {
  const t = text.trim();
  if (!DELTA_SECONDS.test(t)) return null;
  return Math.min(Number(t), MAX_DELTA);
}

function refuse(refusal: RefusalName): ContactsRequest {
  return { kind: 'refuse', refusal };
}
