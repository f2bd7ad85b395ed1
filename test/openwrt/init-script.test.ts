// The procd init script run against stubs of rc.common, functions.sh and procd.sh: what it asks
// procd for, from the shipped configuration and from changed ones, and what it refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OPTIONS } from '../../src/config/options.js';
import { SHIPPED_CONFIG, dataBlock, expectedValidation, runInitScript, type InitRun } from './init-script-run.js';

const shipped = readFileSync(SHIPPED_CONFIG, 'utf8');
const NODE = ['/usr/bin/node', '--liftoff-only', '--max-semi-space-size=1', '--single-threaded', '--optimize-for-size', '/usr/share/trucada/trucada.cjs'];
/** The script's /etc/config/trucada, which the stubs make the sample file. */
const configOf = (run: InitRun) => join(run.dir, 'config');

const named = (run: InitRun, name: string) => run.calls.filter((c) => c[0] === name).map((c) => c.slice(1));
const params = (run: InitRun) => new Map(named(run, 'procd_set_param').map(([key, ...rest]) => [key!, rest]));

function rule(zone: string, what: string, proto: string, port: number) {
  return { type: 'rule', name: `trucada ${what} ${proto} (${zone})`, src: zone, proto, dest_port: String(port), target: 'ACCEPT' };
}

t.test('the shipped configuration: one supervised node, as the user trucada, announced and let through', async (t) => {
  const run = runInitScript(t, { config: shipped });
  t.equal(run.status, 0, run.stderr);
  t.same(named(run, 'procd_open_service'), [['trucada', run.calls[0]![2]]]);
  const p = params(run);
  t.same(p.get('command'), [...NODE, 'serve', '--config', configOf(run)], 'the bundle in the foreground with the V8 memory flags');
  t.same(p.get('respawn'), [], 'respawn with the system defaults');
  t.same(p.get('stdout'), ['1'], 'stdout to the log');
  t.same(p.get('stderr'), ['1'], 'stderr to the log');
  t.same(p.get('file'), [configOf(run)], 'a change of the configuration restarts it');
  t.same(p.get('user'), ['trucada'], 'unprivileged');
  t.same(named(run, 'mkdir'), [['-p', '/etc/trucada', '/tmp/trucada']]);
  t.same(named(run, 'chown'), [['-R', 'trucada:trucada', '/etc/trucada', '/tmp/trucada'], ['root:trucada', configOf(run)]]);
  t.same(named(run, 'chmod'), [['0700', '/etc/trucada'], ['0640', configOf(run)]], 'turn_secret: the settings readable by root and the node only');
  const order = run.calls.map((c) => c[0]);
  t.ok(order.lastIndexOf('chmod') < order.indexOf('procd_open_instance'), 'before the node starts');
  t.same(dataBlock(run.calls), {
    mdns: {
      trucada_https_8443: { service: '_https._tcp.local', port: 8443, txt: ['path=/'] },
    },
    firewall: [rule('lan', 'SIP', 'udp', 5060), rule('lan', 'SIP', 'tcp', 5060), rule('lan', 'HTTP', 'tcp', 8080), rule('lan', 'HTTPS', 'tcp', 8443), rule('lan', 'STUN', 'udp', 3478)],
  });
  t.ok(order.indexOf('procd_open_instance') < order.indexOf('procd_open_data'), 'the data belongs to the instance');
  t.ok(order.indexOf('procd_close_data') < order.indexOf('procd_close_instance'), 'one data block inside it');
  t.equal(order.filter((c) => c === 'procd_open_data').length, 1, 'one data block');
  t.same(named(run, 'procd_add_reload_trigger'), [['trucada']]);
  t.same(named(run, 'procd_add_validation'), [['validate_trucada']]);
  t.same(named(run, 'procd_set_config_changed'), [['firewall']], 'the firewall rereads the rules once it runs');
  t.same(named(run, 'logger'), [], 'nothing to say');
});

t.test('every option is validated, with the types and the defaults of src/config/options.ts', async (t) => {
  const run = runInitScript(t, { config: shipped });
  const call = named(run, 'uci_load_validate').find((c) => c[3] === 'start_trucada');
  t.same(call?.slice(0, 4), ['trucada', 'trucada', 'main', 'start_trucada']);
  t.same(call?.slice(4), expectedValidation(), `the list in validate_trucada, one per option of ${OPTIONS.length}`);
});

t.test('changed ports, two zones, STUN off', async (t) => {
  const config = `config trucada 'main'\n\toption sip_port '5070'\n\toption https_port '443'\n\toption stun_port '0'\n\tlist firewall_zone 'lan'\n\tlist firewall_zone 'mesh'\n\toption mdns 'browse'\n`;
  const run = runInitScript(t, { config });
  t.equal(run.status, 0, run.stderr);
  const data = dataBlock(run.calls);
  t.same(Object.keys(data['mdns'] as object), ['trucada_sip_udp_5070', 'trucada_sip_tcp_5070', 'trucada_https_443'], 'umdns announces SIP when the node only browses');
  const fw = data['firewall'] as { name: string }[];
  t.same(
    fw.map((r) => r.name),
    ['lan', 'mesh'].flatMap((z) => [`trucada SIP udp (${z})`, `trucada SIP tcp (${z})`, `trucada HTTP tcp (${z})`, `trucada HTTPS tcp (${z})`]),
    'no STUN rule when STUN is off; each zone gets every rule',
  );
  t.notOk(params(run).has('user'), 'port 443 needs root');
  t.match(named(run, 'logger'), [['-t', 'trucada', '-p', 'daemon.notice', /port 443 is below 1024/]]);
  t.same(named(run, 'chown'), [], 'nothing is taken over');
  t.same(named(run, 'chmod'), [['0600', configOf(run)]], 'the settings readable by root only');
});

t.test('directories of the owner\'s choice, or no user trucada: root, and nothing chowned', async (t) => {
  const own = runInitScript(t, { config: `config trucada 'main'\n\toption data_dir '/srv/trucada'\n` });
  t.notOk(params(own).has('user'));
  t.same(named(own, 'chown'), []);
  t.match(named(own, 'logger'), [['-t', 'trucada', '-p', 'daemon.notice', /data_dir or run_dir/]]);
  const noUser = runInitScript(t, { config: shipped, withUser: false });
  t.notOk(params(noUser).has('user'));
  t.match(named(noUser, 'logger'), [['-t', 'trucada', '-p', 'daemon.notice', /no user trucada/]]);
});

for (const [option, value] of [['sip_port', '70000'], ['log_level', 'verbose'], ['firewall_zone', 'lan-1'], ['max_contacts', '0'], ['listen', '10.0.0.300']]) {
  t.test(`${option} '${value}' is refused before the node starts`, async (t) => {
    const run = runInitScript(t, { config: `config trucada 'main'\n\toption ${option} '${value}'\n` });
    t.same(named(run, 'procd_open_instance'), [], 'no instance');
    t.match(run.stderr, new RegExp(`option ${option}: '${value}'`), 'validate_data names the value');
    t.match(run.stderr, /not started: \S+\/config has an invalid value/);
    t.match(named(run, 'logger'), [['-t', 'trucada', '-p', 'daemon.err', /not started/]], 'a line in the system log');
  });
}

t.test('bmx6 installed: trucada is registered with syncSms once, and its sms file made for the node', async (t) => {
  const run = runInitScript(t, { config: shipped, answering: ['bmx6', 'uci'], fails: ['uci:get'] });
  t.equal(run.status, 0, run.stderr);
  t.same(named(run, 'uci'), [['-q', 'get', 'bmx6.trucada'], ['-q', 'set', 'bmx6.trucada=syncSms'], ['-q', 'set', 'bmx6.trucada.syncSms=trucada'], ['-q', 'commit', 'bmx6']], 'kept for bmx6 restarts');
  t.same(named(run, 'bmx6'), [['-c', 'syncSms=trucada']], 'and told to the running daemon');
  t.same(named(run, 'touch'), [['/var/run/bmx6/sms/sendSms/trucada']]);
  t.same(named(run, 'chown').at(-1), ['trucada:trucada', '/var/run/bmx6/sms/sendSms/trucada'], 'which the node writes as its own user');
  const order = run.calls.map((c) => c[0]);
  t.ok(order.indexOf('bmx6') < order.indexOf('procd_open_instance'), 'before the node starts');

  const again = runInitScript(t, { config: shipped, answering: ['bmx6', 'uci'], fails: ['bmx6:-c'] });
  t.same(named(again, 'uci'), [['-q', 'get', 'bmx6.trucada']], 'already registered: nothing written to flash');
  t.match(named(again, 'logger'), [['-t', 'trucada', '-p', 'daemon.notice', /bmx6 does not answer/]]);

  const off = runInitScript(t, { config: `${shipped}\toption bmx 'off'\n`, answering: ['bmx6', 'uci'] });
  t.same([...named(off, 'uci'), ...named(off, 'bmx6'), ...named(off, 'touch')], [], "bmx 'off': bmx is left alone");

  const odd = runInitScript(t, { config: `${shipped}	list bmx_run_dir '/var/run/rm'
	list bmx_run_dir '/tmp/run/bmx7'
`, answering: ['rm', 'bmx7', 'uci'], fails: ['uci:get'] });
  t.equal(odd.status, 0, odd.stderr);
  t.same(named(odd, 'rm'), [], 'a run directory not named bmx6 or bmx7 runs nothing of that name');
  t.match(named(odd, 'logger'), [['-t', 'trucada', '-p', 'daemon.notice', /bmx_run_dir \/var\/run\/rm: not a bmx6 or bmx7 run directory/]]);
  t.same(named(odd, 'bmx7'), [['-c', 'syncSms=trucada']], 'bmx7 in a run directory of its own name is set up');
});

t.test('shared-state-async installed: the data type is registered only where it is missing', async (t) => {
  const missing = runInitScript(t, { config: shipped, answering: ['shared-state-async'], fails: ['shared-state-async:get'] });
  t.equal(missing.status, 0, missing.stderr);
  t.same(named(missing, 'shared-state-async'), [['get', 'trucada'], ['register', 'trucada', 'community', '30', '300']]);
  const known = runInitScript(t, { config: shipped, answering: ['shared-state-async'] });
  t.same(named(known, 'shared-state-async'), [['get', 'trucada']]);
  const off = runInitScript(t, { config: `${shipped}\toption shared_state 'off'\n`, answering: ['shared-state-async'] });
  t.same(named(off, 'shared-state-async'), []);
});

t.test('stop: procd ends the instance, and the firewall drops its rules', async (t) => {
  const run = runInitScript(t, { config: shipped, action: 'stop' });
  t.equal(run.status, 0, run.stderr);
  t.same(
    run.calls.map((c) => c.join(' ')),
    ['procd_set_config_changed firewall', 'procd_kill trucada'],
  );
});

t.test('withdraw (run at package removal): what bmx_setup did is undone, where there is something to undo', async (t) => {
  const SENT = (dir: string) => ['-f', `${dir}/sms/sendSms/trucada`];
  const run = runInitScript(t, { config: shipped, action: 'withdraw', answering: ['bmx6', 'uci'], fails: ['uci:get:bmx7.trucada'] });
  t.equal(run.status, 0, run.stderr);
  t.same(named(run, 'bmx6'), [['-c', 'syncSms=-trucada']], 'the running bmx6 no longer sends the sms');
  t.same(
    named(run, 'uci'),
    [['-q', 'get', 'bmx6.trucada'], ['-q', 'delete', 'bmx6.trucada'], ['-q', 'commit', 'bmx6'], ['-q', 'get', 'bmx7.trucada']],
    "the syncSms section goes from /etc/config/bmx6, and bmx7's, which has none, is not written",
  );
  t.same(named(run, 'rm'), [SENT('/var/run/bmx6'), SENT('/var/run/bmx7')], 'the sms file goes');
  const order = run.calls.map((c) => c[0]);
  t.ok(order.indexOf('bmx6') < order.indexOf('rm'), 'bmx6 forgets the name before its file goes');
  t.same([...named(run, 'procd_open_instance'), ...named(run, 'logger')], [], 'nothing started, nothing to say');

  const off = runInitScript(t, { config: `${shipped}\toption bmx 'off'\n`, action: 'withdraw', answering: ['bmx6', 'uci'], fails: ['bmx6:-c'] });
  t.equal(off.status, 0, `a bmx6 that does not answer fails nothing: ${off.stderr}`);
  t.same(
    named(off, 'uci').filter((c) => c[1] === 'delete'),
    [['-q', 'delete', 'bmx6.trucada'], ['-q', 'delete', 'bmx7.trucada']],
    "bmx 'off' now: what an earlier configuration registered goes all the same",
  );

  const bare = runInitScript(t, { config: shipped, action: 'withdraw', answering: ['uci'], fails: ['uci:get'] });
  t.equal(bare.status, 0, bare.stderr);
  t.same(named(bare, 'uci'), [['-q', 'get', 'bmx6.trucada'], ['-q', 'get', 'bmx7.trucada']], 'no bmx installed: uci asked, nothing written');

  const odd = runInitScript(t, { config: `${shipped}\tlist bmx_run_dir '/var/run/other'\n\tlist bmx_run_dir '/tmp/run/bmx7'\n`, action: 'withdraw', answering: ['bmx7', 'uci'], fails: ['uci:get'] });
  t.equal(odd.status, 0, odd.stderr);
  t.same(named(odd, 'bmx7'), [['-c', 'syncSms=-trucada']]);
  t.same(named(odd, 'rm'), [SENT('/tmp/run/bmx7')], 'only in a bmx run directory, as bmx_setup');
});

t.test('rc.common runs only the commands the script declares', async (t) => {
  const run = runInitScript(t, { config: shipped, action: 'bmx_withdraw' });
  t.not(run.status, 0, 'an inner function is no command');
  t.match(run.stderr, /has no command bmx_withdraw/);
});
