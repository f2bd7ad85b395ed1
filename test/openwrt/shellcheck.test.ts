// Every shell script of the package, and the test stubs, pass `shellcheck -s dash` (BusyBox ash is
// closest to dash; `-s sh` would refuse the `local` every procd script uses). The variables the init
// script gets from uci_load_validate and the ones rc.common reads are declared where they are used.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, buildIpk, member } from './ipk-read.js';

/** Every file under files/ that starts with `#!/bin/sh`, the init script among them. */
function packageScripts(dir = 'files'): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return packageScripts(rel);
    return readFileSync(join(ROOT, rel), 'utf8').startsWith('#!/bin/sh') ? [rel] : [];
  });
}

const SCRIPTS = [
  ...packageScripts(),
  'test/openwrt/stubs/rc.common',
  'test/openwrt/stubs/functions.sh',
  'test/openwrt/stubs/procd.sh',
  'test/openwrt/stubs/record',
  'test/openwrt/stubs/record-or-fail',
];

function shellcheck(path: string): { status: number | null; output: string } {
  const r = spawnSync('shellcheck', ['-s', 'dash', '-f', 'gcc', path], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

t.test('shellcheck is installed (scripts/test.sh installs the Debian package)', async (t) => {
  t.match(execFileSync('shellcheck', ['--version'], { encoding: 'utf8' }), /version:/);
  t.ok(SCRIPTS.includes('files/etc/init.d/trucada') && SCRIPTS.includes('files/usr/bin/trucada'), 'the package\'s scripts are found');
});

for (const script of SCRIPTS) {
  t.test(script, async (t) => {
    const r = shellcheck(join(ROOT, script));
    t.equal(r.status, 0, r.output);
  });
}

t.test('the .ipk\'s postinst, prerm and prerm-pkg', async (t) => {
  const ipk = buildIpk(t);
  const dir = mkdtempSync(join(tmpdir(), 'trucada-sc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const script of ['postinst', 'prerm', 'prerm-pkg']) {
    writeFileSync(join(dir, script), member(ipk.control, `./${script}`).data);
    const r = shellcheck(join(dir, script));
    t.equal(r.status, 0, `${script}: ${r.output}`);
  }
});
