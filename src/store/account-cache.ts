/**
 * The daemon's copy of the accounts, so a REGISTER never touches the database (or the flash). The
 * `trucada user` command writes the database and then tells the daemon to `reload` the name.
 */
import type { DigestAlgorithm } from '../sip/digest-hash.js';
import type { Account, AccountStore, PresenceSetting } from './accounts.js';
import type { Credentials } from './credentials.js';

export class AccountCache implements Credentials {
  private accounts = new Map<string, Account>();

  constructor(private readonly store: AccountStore) {
    this.reload();
  }

  get realm(): string {
    return this.store.realm;
  }

  /** Re-reads one account (added, changed or removed), or all of them. */
  reload(name?: string): void {
    if (name === undefined) {
      this.accounts = new Map(this.store.all().map((a) => [a.name, a]));
      return;
    }
    const key = name.toLowerCase();
    const account = this.store.get(key);
    if (account === undefined) this.accounts.delete(key);
    else this.accounts.set(key, account);
  }

  ha1(user: string, algorithm: DigestAlgorithm): string | undefined {
    const account = this.accounts.get(user.toLowerCase());
    if (account === undefined) return undefined;
    return algorithm === 'MD5' ? account.ha1Md5 : account.ha1Sha256;
  }

  /** An admin of the node, who approves sign-ups and removes users on the page. */
  isAdmin(user: string): boolean {
    return this.accounts.get(user.toLowerCase())?.admin === true;
  }

  /** Who may see that `user` is online; undefined for no such user. */
  presence(user: string): PresenceSetting | undefined {
    return this.accounts.get(user.toLowerCase())?.presence;
  }

  /** The local user names, sorted. */
  names(): string[] {
    return [...this.accounts.keys()].sort();
  }
}
