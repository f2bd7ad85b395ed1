// files/etc/config/trucada, the configuration the package installs: the two directories set, every
// other option of src/config/options.ts shown commented out with its default, and both forms load.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { OPTIONS } from '../../src/config/options.js';
import { SHIPPED_CONFIG, routerDefault } from './init-script-run.js';

const text = readFileSync(SHIPPED_CONFIG, 'utf8');
const SET = new Map([
  ['data_dir', '/etc/trucada'],
  ['run_dir', '/tmp/trucada'],
]);
const line = /^\t(# )?(option|list) (\S+) '([^']*)'$/;

interface Line {
  commented: boolean;
  kind: string;
  name: string;
  value: string;
}

const lines: Line[] = text
  .split('\n')
  .map((l) => line.exec(l))
  .filter((m) => m !== null)
  .map((m) => ({ commented: m[1] !== undefined, kind: m[2]!, name: m[3]!, value: m[4]! }));

function write(t: { teardown(fn: () => void): void }, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-conf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'trucada'), content);
  return join(dir, 'trucada');
}

t.test('data_dir and run_dir are set; nothing else', async (t) => {
  t.same(
    lines.filter((l) => !l.commented).map((l) => [l.name, l.value]),
    [...SET],
  );
});

t.test('every other option is there once, commented out, with its default', async (t) => {
  const commented = lines.filter((l) => l.commented);
  const expected = OPTIONS.filter((o) => !SET.has(o.name));
  t.same(
    commented.map((l) => l.name).sort(),
    expected.map((o) => o.name).sort(),
    'one commented line per option, none for an unknown one',
  );
  for (const spec of expected) {
    const l = commented.find((c) => c.name === spec.name);
    t.equal(l?.kind, spec.type.list ? 'list' : 'option', `${spec.name}: written as a UCI ${spec.type.list ? 'list' : 'option'}`);
    const d = routerDefault(spec);
    if (d !== undefined) t.equal(l?.value, d, `${spec.name}: the default`);
    else t.ok(spec.type.parse([l?.value ?? ''], { hostname: 'x', withFile: true, cwd: '/' }).ok, `${spec.name}: an example (its default is computed)`);
  }
});

t.test('the node loads it as it is, and the same with every default uncommented', async (t) => {
  const base = loadConfig({ path: write(t, text), hostname: 'node7' });
  t.equal(base.dataDir, '/etc/trucada');
  t.equal(base.runDir, '/tmp/trucada');
  t.same(base.firewallZones, ['lan']);
  const withDefaults = text
    .split('\n')
    .map((l) => {
      const m = line.exec(l);
      return m && m[1] !== undefined && routerDefault(OPTIONS.find((o) => o.name === m[3])!) !== undefined ? l.replace('# ', '') : l;
    })
    .join('\n');
  const uncommented = write(t, withDefaults);
  t.same({ ...loadConfig({ path: uncommented, hostname: 'node7' }), source: base.source }, base, 'the commented values are the defaults');
});
