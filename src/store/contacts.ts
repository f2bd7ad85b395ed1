/**
 * Each user's contacts (issue 10): people of this node by name, people of other nodes as
 * `name@domain`. A list is capped so one user cannot fill the flash; the rows of an account that is
 * deleted go with it (a trigger of migration 5).
 */
import type { Db } from './database.js';
import { StoreError } from './store-error.js';
import { normalizeUserName } from './user-name.js';

export const CONTACTS_MAX = 500;

/** A host name as RFC 1123 §2.1 allows, lower-case. */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `bob` or `bob@node3.mesh`, lower-cased; this node's own domain is dropped, so one person has one name. */
export function normalizeContact(raw: string, ownDomain: string): string {
  const at = raw.indexOf('@');
  if (at < 0) return normalizeUserName(raw);
  const user = normalizeUserName(raw.slice(0, at));
  const domain = raw.slice(at + 1).toLowerCase();
  if (!DOMAIN.test(domain)) throw new StoreError('BAD_CONTACT', `bad domain ${JSON.stringify(domain.slice(0, 60))} in a contact`);
  return domain === ownDomain.toLowerCase() ? user : `${user}@${domain}`;
}

export class ContactStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** The contacts of `owner`, sorted. */
  list(owner: string): string[] {
    return this.db.all('SELECT contact FROM contacts WHERE owner = ? ORDER BY contact', [owner]).map((r) => String(r.contact));
  }

  /** False when it was there already. */
  add(owner: string, contact: string): boolean {
    return this.db.transaction(() => {
      if (this.has(owner, contact)) return false;
      const held = Number(this.db.get('SELECT count(*) AS n FROM contacts WHERE owner = ?', [owner])?.n);
      if (held >= CONTACTS_MAX) throw new StoreError('TOO_MANY_CONTACTS', `a list holds at most ${CONTACTS_MAX} contacts`);
      this.db.run('INSERT INTO contacts (owner, contact, added_at) VALUES (?, ?, ?)', [owner, contact, this.now()]);
      return true;
    });
  }

  /** False when it was not there. */
  remove(owner: string, contact: string): boolean {
    return this.db.run('DELETE FROM contacts WHERE owner = ? AND contact = ?', [owner, contact]) > 0;
  }

  /** Everyone who has `contact` among their contacts. */
  ownersOf(contact: string): Set<string> {
    return new Set(this.db.all('SELECT owner FROM contacts WHERE contact = ?', [contact]).map((r) => String(r.owner)));
  }

  /** `owner` has `contact` among their contacts. */
  has(owner: string, contact: string): boolean {
    return this.db.get('SELECT 1 FROM contacts WHERE owner = ? AND contact = ?', [owner, contact]) !== undefined;
  }
}
