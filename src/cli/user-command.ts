/** `trucada user add|del|list|passwd`: writes the accounts database, then tells a running daemon. */
import type { Config } from '../config/config.js';
import { sendControl } from '../control/client.js';
import { controlSocketPath, databasePath } from '../paths.js';
import { AccountStore } from '../store/accounts.js';
import { openDatabase } from '../store/database.js';
import { realmFor } from '../store/realm.js';
import { normalizeUserName } from '../store/user-name.js';
import { promptPassword } from './password-prompt.js';
import { EXIT, UsageError } from './usage.js';
import { makeDataDir } from '../store/data-dir.js';

export interface UserCommandIo {
  out: (line: string) => void;
  password?: string;
}

export async function userCommand(config: Config, words: string[], io: UserCommandIo): Promise<number> {
  const [action, rawName, ...rest] = words;
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (action === 'list') {
    if (rawName !== undefined) throw new UsageError('user list takes no name');
  } else if (action === 'add' || action === 'del' || action === 'passwd') {
    if (rawName === undefined) throw new UsageError(`user ${action} needs a NAME`);
  } else {
    throw new UsageError(action === undefined ? 'user needs add, del, list or passwd' : `unknown user action '${action}'`);
  }
  // Check the name before asking for a password, so a typo fails at once.
  const name = rawName === undefined ? '' : normalizeUserName(rawName);
  const password = action === 'add' || action === 'passwd' ? io.password ?? (await promptPassword()) : '';

  makeDataDir(config.dataDir);
  const db = openDatabase(databasePath(config));
  try {
    const accounts = new AccountStore(db, realmFor(db, config.domain));
    switch (action) {
      case 'list':
        for (const account of accounts.list()) io.out(account.name);
        return EXIT.ok;
      case 'add':
        accounts.add(name, password);
        io.out(`user ${name} added`);
        break;
      case 'passwd':
        accounts.setPassword(name, password);
        io.out(`password of ${name} changed`);
        break;
      case 'del':
        accounts.remove(name);
        io.out(`user ${name} deleted`);
        break;
    }
  } finally {
    db.close();
  }
  // A daemon that is not running reads the accounts when it starts; nothing more to do then.
  await sendControl(controlSocketPath(config), { cmd: 'account-changed', user: name, dropBindings: action !== 'add' });
  return EXIT.ok;
}
