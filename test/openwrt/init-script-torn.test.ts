// A torn /etc/config/trucada (issue 12: power cut during a write) through the real init script:
// the file is replaced by the node's last good copy before validate_data reads it, so procd runs
// the node with the settings it last started with (not validate_data's defaults, which would open
// the default ports to the default zone, nor a refusal, which would leave the node off).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/temp-dir.js';
import { dataBlock, runInitScript, type InitRun } from './init-script-run.js';

const named = (run: InitRun, name: string) => run.calls.filter((c) => c[0] === name).map((c) => c.slice(1));

function lastGood(dataDir: string): string {
  return `config trucada 'main'\n\toption data_dir '${dataDir}'\n\toption run_dir '/tmp/trucada'\n\toption sip_port '5070'\n\toption signup 'closed'\n\tlist firewall_zone 'mesh'\n`;
}

/** /etc/trucada holding a last good copy, as the node leaves it after a start. */
function dataDirWithCopy(t: Parameters<typeof tempDir>[0]): { dir: string; good: string } {
  const dir = tempDir(t);
  const good = lastGood(dir);
  writeFileSync(join(dir, 'config.last-good'), good);
  return { dir, good };
}

t.test('each kind of torn file is replaced by the last good copy, kept aside, and the node started with the copy', async (t) => {
  const torn: [string, (good: string) => string | Buffer, RegExp][] = [
    ['truncated to zero', () => '', /empty or missing/],
    ['full of zeros', (good) => Buffer.alloc(good.length), /holding NUL bytes/],
    ['a tail of zeros', (good) => Buffer.concat([Buffer.from(good.slice(0, 40)), Buffer.alloc(good.length - 40)]), /holding NUL bytes/],
    ['cut inside a quote', (good) => good.slice(0, good.indexOf("'closed'") + 4), /cut short \(no newline at its end\)/],
    ['cut inside a word', (good) => good.slice(0, good.indexOf('signup') + 3), /cut short \(no newline at its end\)/],
    ['a quote left open over a line end', (good) => `${good}\toption domain 'node7\n`, /unreadable by uci/],
  ];
  for (const [what, tear, reason] of torn) {
    const { dir, good } = dataDirWithCopy(t);
    const bytes = tear(good);
    const run = runInitScript(t, { config: bytes, dataDir: dir });
    t.equal(run.status, 0, run.stderr);
    t.equal(readFileSync(join(run.dir, 'config'), 'utf8'), good, `${what}: the file is the last good copy again`);
    t.same(readFileSync(join(dir, 'config.torn')), Buffer.from(bytes), `${what}: the torn file kept for the operator`);
    const logged = named(run, 'logger').map((c) => c.join(' '));
    t.match(logged, [new RegExp(`daemon\\.err .*${reason.source}.*restored from the last good copy ${dir}/config\\.last-good, the torn file kept as ${dir}/config\\.torn`)], `${what}: one clear log line`);
    const data = dataBlock(run.calls);
    const rules = (data['firewall'] as { name: string; dest_port: string }[]).map((r) => `${r.name} ${r.dest_port}`);
    t.ok(rules.includes('trucada SIP udp (mesh) 5070') && !rules.some((r) => r.includes('(lan)')), `${what}: firewall from the copy, not the defaults`);
    t.same(named(run, 'procd_set_param').find((p) => p[0] === 'user'), ['user', 'trucada'], `${what}: run as it was`);
  }
});

t.test('a torn file that names another data_dir: the copy is looked for there, as the node looks', async (t) => {
  const { dir, good } = dataDirWithCopy(t);
  const own = tempDir(t);
  const run = runInitScript(t, { config: `${good.replace("'5070'", "'5071'")}\toption max_con`, dataDir: own });
  t.equal(run.status, 0, run.stderr);
  t.equal(readFileSync(join(run.dir, 'config'), 'utf8'), good);
  t.ok(existsSync(join(dir, 'config.torn')), 'kept beside the copy');
});

t.test('a torn file and no last good copy: not started, with a log line saying so, the file left alone', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'empty'));
  const torn = "config trucada 'main'\n\toption signup 'clo";
  const run = runInitScript(t, { config: torn, dataDir: join(dir, 'empty') });
  t.match(run.stderr, /not started: \S+ is cut short \(no newline at its end\), and there is no last good copy/);
  t.match(named(run, 'logger'), [['-t', 'trucada', '-p', 'daemon.err', /no last good copy .*config\.last-good; fix/]]);
  t.same(named(run, 'procd_open_instance'), [], 'no instance');
  t.equal(readFileSync(join(run.dir, 'config'), 'utf8'), torn);
});

t.test('an intact file is read as it is, whatever the last good copy says', async (t) => {
  const { dir } = dataDirWithCopy(t);
  const intact = `config trucada 'main'\n\toption data_dir '${dir}'\n\toption signup 'open'\n`;
  const run = runInitScript(t, { config: intact, dataDir: dir });
  t.equal(run.status, 0, run.stderr);
  t.equal(readFileSync(join(run.dir, 'config'), 'utf8'), intact);
  t.notOk(existsSync(join(dir, 'config.torn')));
  t.same(named(run, 'logger'), []);
});
