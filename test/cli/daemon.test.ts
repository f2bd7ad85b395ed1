// `trucada serve` as procd runs it: account changes reach the running node at once, one daemon per
// data_dir, UDP bindings survive a restart, and a kill -9 leaves nothing that stops the next start.
import t from 'tap';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE18, startDaemon, trucada, writeDaemonConfig, type DaemonSetup } from '../helpers/daemon.js';
import { httpsRequest } from '../helpers/https-client.js';
import { runSipp } from '../helpers/sipp.js';

interface StatusJson {
  running: boolean;
  users: number;
  bindings?: { user: string; transport: string }[];
  node: { id: string; fingerprint: string };
}

function status(s: DaemonSetup): StatusJson {
  const r = trucada(['status', '--json', '--config', s.configPath]);
  if (r.status !== 0) throw new Error(`status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}

function register(s: DaemonSetup, user: string, password: string, transport: 'udp' | 'tcp' = 'udp') {
  return runSipp({ scenario: 'register.xml', transport, port: s.sipPort, domain: s.domain, user, password });
}

t.test('accounts changed by the command take effect in the running node', async (t) => {
  const s = await writeDaemonConfig(t);
  const daemon = await startDaemon(t, s.configPath);
  t.equal(trucada(['user', 'add', 'alice', '--password', 'one', '--config', s.configPath]).status, 0);
  const first = await register(s, 'alice', 'one');
  t.equal(first.code, 0, `alice registers with the new account:\n${first.output}`);
  t.match(status(s), { running: true, users: 1, bindings: [{ user: 'alice', transport: 'udp' }] });

  t.equal(trucada(['user', 'passwd', 'alice', '--password', 'two', '--config', s.configPath]).status, 0);
  t.same(status(s).bindings, [], 'a changed password drops the bindings');
  const old = await runSipp({ scenario: 'register-wrong-password.xml', transport: 'udp', port: s.sipPort, domain: s.domain, user: 'alice', password: 'one' });
  t.equal(old.code, 0, `the old password is refused:\n${old.output}`);
  t.equal((await register(s, 'alice', 'two')).code, 0, 'the new password works');

  t.equal(trucada(['user', 'del', 'alice', '--config', s.configPath]).status, 0);
  t.match(status(s), { users: 0, bindings: [] });
  t.equal(await daemon.stop(), 0, 'SIGTERM stops it cleanly');
  t.match(daemon.log(), /unregister alice/);
});

t.test('a sign-up on the page waits until the command approves it, then registers', async (t) => {
  const s = await writeDaemonConfig(t, "\toption signup 'approval'\n");
  await startDaemon(t, s.configPath);
  const signup = await httpsRequest(s.httpsPort, 'POST', '/api/signup', { json: { name: 'eva', password: 'eva-secret' } });
  t.equal(signup.status, 202);
  t.equal(trucada(['user', 'list', '--config', s.configPath]).stdout, 'eva (waiting for approval)\n');
  const refused = await register(s, 'eva', 'eva-secret');
  t.not(refused.code, 0, 'a waiting account cannot register');
  const approve = trucada(['user', 'approve', 'eva', '--config', s.configPath]);
  t.same([approve.status, approve.stdout], [0, 'user eva approved\n']);
  const registered = await register(s, 'eva', 'eva-secret');
  t.equal(registered.code, 0, `once approved it registers, with no restart:\n${registered.output}`);
  const login = await httpsRequest(s.httpsPort, 'POST', '/api/login', { json: { name: 'eva', password: 'eva-secret' } });
  t.equal(login.status, 200, 'and logs in on the page');
});

t.test('trucada peers: the nodes a running node knows, with the channel, last heard and key', async (t) => {
  const s1 = await writeDaemonConfig(t, "\toption peer_interval '5'\n");
  const s2 = await writeDaemonConfig(t, "\toption peer_interval '5'\n");
  const domain2 = 'cli2.mesh';
  writeFileSync(s2.configPath, readFileSync(s2.configPath, 'utf8').replace(`option domain '${s2.domain}'`, `option domain '${domain2}'`));
  appendFileSync(s1.configPath, `\tlist peer '127.0.0.1:${s2.httpsPort}'\n`);
  appendFileSync(s2.configPath, `\tlist peer '127.0.0.1:${s1.httpsPort}'\n`);
  const stopped = trucada(['peers', '--config', s1.configPath]);
  t.equal(stopped.status, 1);
  t.match(stopped.stderr, /not running/);
  await startDaemon(t, s1.configPath);
  await startDaemon(t, s2.configPath);
  t.equal(trucada(['user', 'add', 'bob', '--password', 'pw', '--config', s2.configPath]).status, 0);
  const node2 = status(s2).node;
  const deadline = Date.now() + 20_000;
  let peers: { domain: string; id: string; fingerprint: string; channels: string[]; lastSeen: number; users: number }[] = [];
  while (Date.now() < deadline) {
    peers = JSON.parse(trucada(['peers', '--json', '--config', s1.configPath]).stdout) as typeof peers;
    if (peers[0]?.users === 1) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  t.match(peers, [{ domain: domain2, id: node2.id, fingerprint: node2.fingerprint, users: 1 }], "node1 knows node2 by the key node2's own status shows");
  // Static, and (peer exchange being on by default) from node2's exchanges once node2 polls node1.
  t.ok(peers[0]!.channels.includes(`static 127.0.0.1:${s2.httpsPort}`), `channels: ${peers[0]!.channels.join(', ')}`);
  t.ok(peers[0]!.channels.every((c) => c === 'exchange' || c.startsWith('static ')), 'no channel but the static peer and the exchange');
  t.ok(peers[0]!.lastSeen <= 5, 'heard within a few seconds');
  const text = trucada(['peers', '--config', s1.configPath]).stdout;
  t.match(text, new RegExp(`^1 peer node:\n${domain2.replace(/\./g, '\\.')}  node ${node2.id}\n`));
  t.match(text, /1 user \(0 shown online\)/);
  t.ok(text.includes(`key ${node2.fingerprint}`));
});

t.test('a configuration torn by a power cut: the node starts from the copy it last started from', async (t) => {
  const s = await writeDaemonConfig(t, "\toption signup 'closed'\n");
  const first = await startDaemon(t, s.configPath);
  t.equal(await first.stop(), 0);
  const kept = readFileSync(join(s.dir, 'data', 'config.last-good'), 'utf8');
  t.equal(kept, readFileSync(s.configPath, 'utf8'), 'the node keeps the file it started from');

  // uci commit cut short: the file ends inside a quote, after data_dir was written.
  const whole = readFileSync(s.configPath, 'utf8');
  writeFileSync(s.configPath, whole.slice(0, whole.indexOf("'closed'") + 4));
  const status = trucada(['status', '--config', s.configPath]);
  t.equal(status.status, 78, 'the commands still say the file is broken');
  t.match(status.stderr, /unterminated single quote/);
  const again = await startDaemon(t, s.configPath);
  t.match(again.log(), /unterminated single quote: starting from the last good copy .*config\.last-good; fix .* \(uci\) and restart the node/);
  const node = await httpsRequest(s.httpsPort, 'GET', '/api/node');
  t.same(node.json, { domain: s.domain, signup: 'closed' }, 'serving on its ports, with the settings that last worked, sign-ups still closed');
  t.equal(readFileSync(join(s.dir, 'data', 'config.last-good'), 'utf8'), kept, 'and the good copy is not replaced by the torn file');
});

t.test('status shows the node id and key, the same before, while and after the daemon runs', async (t) => {
  const s = await writeDaemonConfig(t);
  const before = status(s);
  t.match(before, { running: false, node: { id: /^[a-z2-7]{26}$/, fingerprint: /^SHA256:[A-Za-z0-9+/]{43}$/ } });
  const daemon = await startDaemon(t, s.configPath);
  const running = status(s);
  t.equal(running.running, true);
  t.same(running.node, before.node, 'the daemon loaded the key the command made');
  const text = trucada(['status', '--config', s.configPath]).stdout;
  t.match(text, `node id ${before.node.id}, key ${before.node.fingerprint}`);
  t.match(text, /peer nodes: 0/);
  t.equal(await daemon.stop(), 0);
  t.same(status(s).node, before.node, 'and the same after');
});

t.test('one daemon per data_dir', async (t) => {
  const s = await writeDaemonConfig(t);
  await startDaemon(t, s.configPath);
  const second = trucada(['serve', '--config', s.configPath]);
  t.equal(second.status, 1);
  t.match(second.stderr, /another trucada \(pid \d+\)/);
});

t.test('UDP bindings survive a restart and a kill -9', async (t) => {
  const s = await writeDaemonConfig(t);
  t.equal(trucada(['user', 'add', 'bob', '--password', 'pw', '--config', s.configPath]).status, 0);
  const first = await startDaemon(t, s.configPath);
  t.equal((await register(s, 'bob', 'pw')).code, 0);
  t.equal(await first.stop(), 0);

  const second = await startDaemon(t, s.configPath);
  t.match(status(s).bindings, [{ user: 'bob', transport: 'udp' }], 'restored after a clean restart');
  await second.kill9();
  // What a kill -9 in the middle of a write leaves: our pid file and SQLite's lock directory.
  const sqliteLock = join(s.dir, 'data', 'trucada.db.lock');
  mkdirSync(sqliteLock);
  t.ok(existsSync(join(s.dir, 'data', 'trucada.pid')));

  const third = await startDaemon(t, s.configPath);
  t.notOk(existsSync(sqliteLock), 'the stale SQLite lock was cleared');
  t.match(status(s), { running: true, users: 1, bindings: [{ user: 'bob', transport: 'udp' }] });
  t.equal(await third.stop(), 0);
});

t.test('the bundle runs on Node 18.20.6 (OpenWrt 23.05) and registers a user', { skip: !existsSync(NODE18) && `no ${NODE18}` }, async (t) => {
  const s = await writeDaemonConfig(t);
  t.equal(trucada(['user', 'add', 'carol', '--password', 'pw', '--config', s.configPath], { node: NODE18 }).status, 0);
  const daemon = await startDaemon(t, s.configPath, NODE18);
  for (const transport of ['udp', 'tcp'] as const) {
    const run = await register(s, 'carol', 'pw', transport);
    t.equal(run.code, 0, `register over ${transport} on Node 18:\n${run.output}`);
  }
  t.equal(await daemon.stop(), 0);
});
