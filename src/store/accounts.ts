/**
 * The node's own users. A password is never stored: only its HA1 for each digest algorithm
 * (RFC 3261 §22.4, RFC 8760 §2), which is all the registrar needs, and a slow scrypt hash for the
 * web login. HA1 covers the lower-case name, so SIP clients authenticate with the lower-case name.
 */
import { ha1 } from '../sip/digest-hash.js';
import type { Db, Row } from './database.js';
import { checkPassword, checkPasswordAsync, hashPassword, hashPasswordAsync } from './password-hash.js';
import { StoreError } from './store-error.js';
import { normalizeUserName } from './user-name.js';

export const PASSWORD_MAX = 128;

/** Who may see that a user is online: everyone on the mesh, the user's own contacts, or nobody. */
export type PresenceSetting = 'mesh' | 'contacts' | 'nobody';
export const PRESENCE_SETTINGS: readonly PresenceSetting[] = ['mesh', 'contacts', 'nobody'];

/** An account in use: waiting ones are not (no SIP, no login) until an admin approves them. */
export interface Account {
  name: string;
  ha1Md5: string;
  ha1Sha256: string;
  /** Approves sign-ups and removes users on the page. */
  admin: boolean;
  presence: PresenceSetting;
}

export interface AccountSummary {
  name: string;
  /** ms since 1970 */
  createdAt: number;
  admin: boolean;
  /** Signed up on a node with `signup approval`, not approved yet. */
  pending: boolean;
}

export interface NewAccount {
  admin?: boolean;
  pending?: boolean;
}

/**
 * Checked against when the user is unknown, so a login takes as long whether or not the name exists;
 * it has the same cost as a real hash and matches nothing.
 */
const UNKNOWN_USER_HASH = `scrypt$16384$8$1$${'A'.repeat(22)}==$${'A'.repeat(43)}=`;

export class AccountStore {
  constructor(
    private readonly db: Db,
    readonly realm: string,
    private readonly now: () => number = Date.now,
  ) {}

  add(rawName: string, password: string, kind: NewAccount = {}): void {
    const name = normalizeUserName(rawName);
    // Hash before taking the lock: scrypt takes a while on a router, and the daemon waits for the lock.
    this.insert(name, this.hashes(name, password, hashPassword(password)), kind);
  }

  /** `add` with the slow hash made off the event loop, for the daemon (a sign-up on the page). */
  async addAsync(rawName: string, password: string, kind: NewAccount = {}): Promise<void> {
    const name = normalizeUserName(rawName);
    checkPasswordLength(password);
    this.insert(name, this.hashes(name, password, await hashPasswordAsync(password)), kind);
  }

  private insert(name: string, hashes: { md5: string; sha256: string; slow: string }, kind: NewAccount): void {
    const time = this.now();
    this.db.transaction(() => {
      if (this.db.get('SELECT 1 FROM accounts WHERE name = ?', [name])) {
        throw new StoreError('USER_EXISTS', `user ${name} already exists`);
      }
      this.db.run(
        'INSERT INTO accounts (name, ha1_md5, ha1_sha256, password_hash, created_at, updated_at, pending, admin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [name, hashes.md5, hashes.sha256, hashes.slow, time, time, kind.pending ? 1 : 0, kind.admin ? 1 : 0],
      );
    });
  }

  /** Lets a waiting account in. False when it was in already. */
  approve(rawName: string): boolean {
    const name = normalizeUserName(rawName);
    if (this.db.run('UPDATE accounts SET pending = 0, updated_at = ? WHERE name = ? AND pending = 1', [this.now(), name]) > 0) return true;
    if (!this.db.get('SELECT 1 FROM accounts WHERE name = ?', [name])) throw noSuchUser(name);
    return false;
  }

  setAdmin(rawName: string, admin: boolean): void {
    const name = normalizeUserName(rawName);
    if (this.db.run('UPDATE accounts SET admin = ?, updated_at = ? WHERE name = ?', [admin ? 1 : 0, this.now(), name]) === 0) throw noSuchUser(name);
  }

  setPresence(rawName: string, presence: PresenceSetting): void {
    const name = normalizeUserName(rawName);
    if (this.db.run('UPDATE accounts SET presence = ?, updated_at = ? WHERE name = ?', [presence, this.now(), name]) === 0) throw noSuchUser(name);
  }

  /** How many accounts wait for approval: the page's sign-ups are capped by it. */
  pendingCount(): number {
    return Number(this.db.get('SELECT count(*) AS n FROM accounts WHERE pending = 1')?.n ?? 0);
  }

  /** Whether `rawName` is an account that waits for approval (false for an unknown or bad name). */
  isPending(rawName: string): boolean {
    const name = validName(rawName);
    return name !== undefined && this.db.get('SELECT 1 FROM accounts WHERE name = ? AND pending = 1', [name]) !== undefined;
  }

  remove(rawName: string): void {
    const name = normalizeUserName(rawName);
    if (this.db.run('DELETE FROM accounts WHERE name = ?', [name]) === 0) throw noSuchUser(name);
  }

  setPassword(rawName: string, password: string): void {
    const name = normalizeUserName(rawName);
    this.update(name, this.hashes(name, password, hashPassword(password)));
  }

  private update(name: string, hashes: { md5: string; sha256: string; slow: string }): void {
    const changed = this.db.run(
      'UPDATE accounts SET ha1_md5 = ?, ha1_sha256 = ?, password_hash = ?, updated_at = ? WHERE name = ?',
      [hashes.md5, hashes.sha256, hashes.slow, this.now(), name],
    );
    if (changed === 0) throw noSuchUser(name);
  }

  /** `setPassword` with the slow hash made off the event loop, for the daemon (the page). */
  async setPasswordAsync(rawName: string, password: string): Promise<void> {
    const name = normalizeUserName(rawName);
    checkPasswordLength(password);
    this.update(name, this.hashes(name, password, await hashPasswordAsync(password)));
  }

  list(): AccountSummary[] {
    return this.db.all('SELECT name, created_at, admin, pending FROM accounts ORDER BY name').map((row) => ({
      name: String(row.name),
      createdAt: Number(row.created_at),
      admin: Number(row.admin) === 1,
      pending: Number(row.pending) === 1,
    }));
  }

  /**
   * Undefined for an unknown user, one waiting for approval, and a name that could not be one
   * (input from the network).
   */
  get(rawName: string): Account | undefined {
    const name = validName(rawName);
    if (name === undefined) return undefined;
    const row = this.db.get('SELECT name, ha1_md5, ha1_sha256, admin, presence FROM accounts WHERE name = ? AND pending = 0', [name]);
    return row === undefined ? undefined : toAccount(row);
  }

  /** Every account in use with its HA1s, for the daemon's cache. */
  all(): Account[] {
    return this.db.all('SELECT name, ha1_md5, ha1_sha256, admin, presence FROM accounts WHERE pending = 0').map(toAccount);
  }

  verifyPassword(rawName: string, password: string): boolean {
    const stored = this.passwordHash(rawName);
    const matches = checkPassword(password, stored ?? UNKNOWN_USER_HASH);
    return stored !== undefined && matches;
  }

  /** `verifyPassword` off the event loop, for the daemon's web login. */
  async verifyPasswordAsync(rawName: string, password: string): Promise<boolean> {
    const stored = this.passwordHash(rawName);
    const matches = await checkPasswordAsync(password, stored ?? UNKNOWN_USER_HASH);
    return stored !== undefined && matches;
  }

  private passwordHash(rawName: string): string | undefined {
    const name = validName(rawName);
    const row = name === undefined ? undefined : this.db.get('SELECT password_hash FROM accounts WHERE name = ?', [name]);
    return row === undefined ? undefined : String(row.password_hash);
  }

  /** The HA1s of `password` beside its slow hash `slow`. */
  private hashes(name: string, password: string, slow: string): { md5: string; sha256: string; slow: string } {
    checkPasswordLength(password);
    return { md5: ha1('MD5', name, this.realm, password), sha256: ha1('SHA-256', name, this.realm, password), slow };
  }
}

function checkPasswordLength(password: string): void {
  if (password.length === 0 || password.length > PASSWORD_MAX) {
    throw new StoreError('BAD_PASSWORD', `a password needs 1 to ${PASSWORD_MAX} characters`);
  }
}

function toAccount(row: Row): Account {
  return { name: String(row.name), ha1Md5: String(row.ha1_md5), ha1Sha256: String(row.ha1_sha256), admin: Number(row.admin) === 1, presence: String(row.presence) as PresenceSetting };
}

function noSuchUser(name: string): StoreError {
  return new StoreError('NO_SUCH_USER', `no user ${name}`);
}

function validName(rawName: string): string | undefined {
  try {
    return normalizeUserName(rawName);
  } catch {
    return undefined;
  }
}
