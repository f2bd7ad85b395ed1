/**
 * `trucada user add|del|list|passwd|admin|approve`: writes the accounts database, then tells a
 * running daemon.
 */
import type { Config } from '../config/config.js';
import { sendControl } from '../control/client.js';
import { controlSocketPath, databasePath } from '../paths.js';
import { AccountStore, type AccountSummary } from '../store/accounts.js';
import { openDatabase } from '../store/database.js';
import { realmFor } from '../store/realm.js';
import { normalizeUserName } from '../store/user-name.js';
import { promptPassword } from './password-prompt.js';
import { EXIT, UsageError } from './usage.js';
import { makeDataDir } from '../store/data-dir.js';

export interface UserCommandIo {
  out: (line: string) => void;
  password?: string;
  /** `user add --admin`: the new account is an admin. */
  admin?: boolean;
  /** `user admin NAME --revoke`: the account stops being an admin. */
  revoke?: boolean;
}

const NEEDS_NAME = ['add', 'del', 'passwd', 'admin', 'approve'];

export async function userCommand(config: Config, words: string[], io: UserCommandIo): Promise<number> {
  const [action, rawName, ...rest] = words;
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (action === 'list') {
    if (rawName !== undefined) throw new UsageError('user list takes no name');
  } else if (action !== undefined && NEEDS_NAME.includes(action)) {
    if (rawName === undefined) throw new UsageError(`user ${action} needs a NAME`);
  } else {
    throw new UsageError(action === undefined ? `user needs list, ${NEEDS_NAME.join(', ')}` : `unknown user action '${action}'`);
  }
  if (io.admin && action !== 'add') throw new UsageError('--admin goes with user add; for an account that exists, use user admin NAME');
  if (io.revoke && action !== 'admin') throw new UsageError('--revoke goes with user admin NAME');
  // Check the name before asking for a password, so a typo fails at once.
  const name = rawName === undefined ? '' : normalizeUserName(rawName);
  const password = action === 'add' || action === 'passwd' ? io.password ?? (await promptPassword()) : '';

  makeDataDir(config.dataDir);
  const db = openDatabase(databasePath(config));
  try {
    const accounts = new AccountStore(db, realmFor(db, config.domain));
    if (action === 'list') {
      for (const account of accounts.list()) io.out(listed(account));
      return EXIT.ok;
    }
    io.out(change(accounts, action!, name, password, io));
  } finally {
    db.close();
  }
  // A daemon that is not running reads the accounts when it starts; nothing more to do then.
  await sendControl(controlSocketPath(config), { cmd: 'account-changed', user: name, dropBindings: action === 'passwd' || action === 'del' });
  return EXIT.ok;
}

/** Makes the change and says what it did. */
function change(accounts: AccountStore, action: string, name: string, password: string, io: UserCommandIo): string {
  switch (action) {
    case 'add':
      accounts.add(name, password, { admin: io.admin === true });
      return io.admin ? `user ${name} added, an admin` : `user ${name} added`;
    case 'passwd':
      accounts.setPassword(name, password);
      return `password of ${name} changed`;
    case 'admin':
      accounts.setAdmin(name, io.revoke !== true);
      return io.revoke ? `${name} is no longer an admin` : `${name} is an admin`;
    case 'approve':
      return accounts.approve(name) ? `user ${name} approved` : `user ${name} was approved already`;
    default:
      accounts.remove(name);
      return `user ${name} deleted`;
  }
}

function listed(a: AccountSummary): string {
  const marks = [...(a.admin ? ['admin'] : []), ...(a.pending ? ['waiting for approval'] : [])];
  return marks.length === 0 ? a.name : `${a.name} (${marks.join(', ')})`;
}
