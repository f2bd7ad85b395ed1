/**
 * Power cuts, as near as a test gets: the daemon is killed with SIGKILL again and again while it
 * stores MESSAGEs for an offline user, and accounts are added by the `trucada` command between
 * the kills (issue 12, durability). After every kill the node starts again, finds its database
 * sound, and every change it acknowledged is there: each MESSAGE answered 202 (stored with
 * synchronous=FULL before the answer) and each account `trucada user add` reported. A MESSAGE in
 * flight when the node died may or may not be there; nothing else may be missing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon, trucada, writeDaemonConfig } from '../helpers/daemon.js';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { openDatabase } from '../../src/store/database.js';

const CYCLES = 6;

t.test('kill -9 while writing, six times over: the database stays sound and keeps what it acknowledged', async (t) => {
  const setup = await writeDaemonConfig(t, "\toption message_max_stored '5000'\n");
  const c = ['--config', setup.configPath];
  for (const [name, password] of [['alice', 'alice-secret'], ['bob', 'bob-secret']]) {
    t.equal(trucada(['user', 'add', name!, '--password', password!, ...c]).status, 0);
  }
  const acknowledged: string[] = [];
  const accounts = ['alice', 'bob'];
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const daemon = await startDaemon(t, setup.configPath);
    t.notOk(/damaged/.test(daemon.log()), `start ${cycle + 1}: no damage found`);
    const alice = await rawSipPeer(t, { transport: 'udp', nodePort: setup.sipPort, user: 'alice', password: 'alice-secret' });
    const killAt = Date.now() + 300 + random() * 600;
    let killed = false;
    const writer = (async () => {
      for (let i = 0; !killed; i++) {
        const body = `m-${cycle}-${i}`;
        const res = await alice.send({ method: 'MESSAGE', to: 'bob', ruri: `sip:bob@${setup.domain}`, body, extra: ['Content-Type: text/plain'] }, 1500).catch(() => undefined);
        if (res?.status === 202) acknowledged.push(body);
        else if (!killed) throw new Error(`MESSAGE ${body}: ${res ? `${res.status} ${res.reason}` : 'no answer'} while the node was up`);
      }
    })();
    await new Promise((r) => setTimeout(r, killAt - Date.now()));
    killed = true;
    await daemon.kill9();
    await writer;
    await alice.close();
    const name = `user${cycle}`;
    if (trucada(['user', 'add', name, '--password', `${name}-secret`, ...c]).status === 0) accounts.push(name);
  }

  const last = await startDaemon(t, setup.configPath);
  t.notOk(/damaged/.test(last.log()), 'the last start found no damage either');
  await last.stop();
  const db = openDatabase(join(setup.dir, 'data', 'trucada.db'));
  t.teardown(() => db.close());
  t.same(db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }], 'integrity_check: ok');
  const stored = new Set(db.all("SELECT body FROM stored_messages WHERE recipient = 'bob'").map((r) => Buffer.from(r.body as Uint8Array).toString()));
  const lost = acknowledged.filter((b) => !stored.has(b));
  t.ok(acknowledged.length > CYCLES * 5, `${acknowledged.length} MESSAGEs acknowledged across the kills`);
  t.same(lost, [], 'every acknowledged MESSAGE is stored');
  const names = db.all('SELECT name FROM accounts ORDER BY name').map((r) => r.name);
  t.same(names, [...accounts].sort(), 'every account the command reported added is there');
  t.same(readdirSync(join(setup.dir, 'data')).filter((f) => f.includes('damaged')), [], 'nothing was moved aside');
});
