/**
 * Adds the bench users to a node's accounts database in one process and one transaction, with the
 * same store calls as `trucada user add` (src/cli/user-command.ts). One `trucada user add` process
 * per user costs about a second each (Node start, SQLite WebAssembly, scrypt), so 500 users would
 * take most of the bench's time budget; here it is one scrypt per user.
 *
 * Bundled and run by bench/lib/targets/node.mjs:
 *   node seed-accounts.cjs CONFIG USERS_CSV   (the sipp injection file: SEQUENTIAL, then user;password;…)
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load.js';
import { databasePath } from '../../src/paths.js';
import { AccountStore } from '../../src/store/accounts.js';
import { openDatabase } from '../../src/store/database.js';
import { realmFor } from '../../src/store/realm.js';

const [configPath, usersCsv] = process.argv.slice(2);
if (configPath === undefined || usersCsv === undefined) {
  console.error('usage: node seed-accounts.cjs CONFIG USERS_CSV');
  process.exit(2);
}

const users = readFileSync(usersCsv, 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line !== '')
  .map((line) => {
    const [name, password] = line.split(';');
    if (name === undefined || password === undefined) throw new Error(`${usersCsv}: bad line '${line}'`);
    return { name, password };
  });

const config = loadConfig({ path: configPath });
mkdirSync(config.dataDir, { recursive: true });
const db = openDatabase(databasePath(config));
try {
  const accounts = new AccountStore(db, realmFor(db, config.domain));
  db.transaction(() => {
    for (const user of users) accounts.add(user.name, user.password);
  });
  console.log(`${users.length} users added`);
} finally {
  db.close();
}
