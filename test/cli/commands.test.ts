// The `trucada` command as built for the router: help, exit codes, accounts, configuration errors.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandEnv, trucada, writeDaemonConfig } from '../helpers/daemon.js';

t.test('--help and --version', async (t) => {
  const help = trucada(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /user add NAME/);
  const version = trucada(['--version']);
  t.equal(version.status, 0);
  t.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

t.test('a wrong command line exits 2 with the usage', async (t) => {
  for (const args of [[], ['dance'], ['user'], ['user', 'add'], ['user', 'frobnicate', 'x'], ['--bogus']]) {
    const r = trucada(args);
    t.equal(r.status, 2, `trucada ${args.join(' ')}`);
    t.match(r.stderr, /Usage: trucada/);
  }
});

t.test('user add, list, passwd, del', async (t) => {
  const s = await writeDaemonConfig(t);
  const c = ['--config', s.configPath];
  t.equal(trucada(['user', 'add', 'Alice', '--password', 'secret', ...c]).status, 0);
  const viaStdin = trucada(['user', 'add', 'bob', ...c], { input: 'hunter2\n' });
  t.equal(viaStdin.status, 0, viaStdin.stderr);
  t.equal(trucada(['user', 'list', ...c]).stdout, 'alice\nbob\n', 'names are lower-cased and sorted');

  const again = trucada(['user', 'add', 'ALICE', '--password', 'x', ...c]);
  t.equal(again.status, 1);
  t.match(again.stderr, /alice/);
  const badName = trucada(['user', 'add', 'al ice', '--password', 'x', ...c]);
  t.equal(badName.status, 1);
  t.match(badName.stderr, /1 to 32 characters among a-z, 0-9/);
  const noPassword = trucada(['user', 'add', 'carol', ...c], { input: '' });
  t.equal(noPassword.status, 1, 'no password on standard input');

  t.equal(trucada(['user', 'passwd', 'bob', '--password', 'new', ...c]).status, 0);
  t.equal(trucada(['user', 'passwd', 'nobody', '--password', 'new', ...c]).status, 1);
  t.equal(trucada(['user', 'del', 'bob', ...c]).status, 0);
  t.equal(trucada(['user', 'del', 'bob', ...c]).status, 1, 'deleting twice fails');
  t.equal(trucada(['user', 'list', ...c]).stdout, 'alice\n');

  const status = trucada(['status', '--json', ...c]);
  t.equal(status.status, 0);
  t.match(JSON.parse(status.stdout), { running: false, domain: s.domain, realm: s.domain, users: 1 });
});

t.test('user add --admin, user admin, user approve', async (t) => {
  const s = await writeDaemonConfig(t);
  const c = ['--config', s.configPath];
  const root = trucada(['user', 'add', 'root', '--admin', '--password', 'secret', ...c]);
  t.same([root.status, root.stdout], [0, 'user root added, an admin\n']);
  t.equal(trucada(['user', 'add', 'bob', '--password', 'pw', ...c]).status, 0);
  t.same(trucada(['user', 'admin', 'BOB', ...c]).stdout, 'bob is an admin\n');
  t.equal(trucada(['user', 'list', ...c]).stdout, 'bob (admin)\nroot (admin)\n');
  t.same(trucada(['user', 'admin', 'root', '--revoke', ...c]).stdout, 'root is no longer an admin\n');
  t.equal(trucada(['user', 'list', ...c]).stdout, 'bob (admin)\nroot\n');
  t.same(trucada(['user', 'approve', 'bob', ...c]).stdout, 'user bob was approved already\n');

  for (const [args, message] of [
    [['user', 'admin', 'nobody'], /no user nobody/],
    [['user', 'approve', 'nobody'], /no user nobody/],
    [['user', 'approve'], /needs a NAME/],
    [['user', 'passwd', 'bob', '--admin', '--password', 'x'], /--admin goes with user add/],
    [['user', 'add', 'carol', '--revoke', '--password', 'x'], /--revoke goes with user admin/],
  ] as const) {
    const r = trucada([...args, ...c]);
    t.not(r.status, 0, args.join(' '));
    t.match(r.stderr, message, `${args.join(' ')}: says why`);
  }
  t.equal(trucada(['user', 'list', ...c]).stdout, 'bob (admin)\nroot\n', 'the refusals changed nothing');
});

t.test('the config is found by --config, then $TRUCADA_CONFIG', async (t) => {
  const s = await writeDaemonConfig(t);
  const env = commandEnv({ TRUCADA_CONFIG: s.configPath });
  t.equal(trucada(['user', 'add', 'dora', '--password', 'x'], { env }).status, 0);
  t.equal(trucada(['user', 'list', '--config', s.configPath]).stdout, 'dora\n');
  const missing = trucada(['status', '--config', join(s.dir, 'nope')]);
  t.equal(missing.status, 78);
  t.match(missing.stderr, /nope/);
});

t.test('a bad value stops with the file, line, option and what is allowed', async (t) => {
  const s = await writeDaemonConfig(t);
  const path = join(s.dir, 'bad.uci');
  writeFileSync(path, `config trucada 'main'\n\toption domain 'x.mesh'\n\toption sip_port '70000'\n`);
  const r = trucada(['serve', '--config', path]);
  t.equal(r.status, 78);
  t.match(r.stderr, `${path}:3`);
  t.match(r.stderr, /sip_port/);
  t.match(r.stderr, /0-65535/);
});
