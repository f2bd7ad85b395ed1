// `npm run package`: the .ipk's layout as opkg reads it (ipkg-build's), its control fields,
// conffiles, package scripts, file modes and owners, and the same bytes from the same source.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { packageScriptsMissing, runPackageScript } from './init-script-run.js';
import { ROOT, buildIpk, member } from './ipk-read.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; license: string };

function fields(control: string): Map<string, string> {
  const out = new Map<string, string>();
  let last = '';
  for (const line of control.replace(/\n$/, '').split('\n')) {
    if (line.startsWith(' ')) out.set(last, `${out.get(last)}\n${line.slice(1)}`);
    else {
      const colon = line.indexOf(': ');
      last = line.slice(0, colon);
      out.set(last, line.slice(colon + 2));
    }
  }
  return out;
}

t.test('the outer archive: debian-binary, data.tar.gz, control.tar.gz, as ipkg-build orders them', async (t) => {
  const ipk = buildIpk(t);
  t.equal(basename(ipk.file), `trucada_${pkg.version}_all.ipk`);
  t.same(
    ipk.outer.map((e) => e.name),
    ['./debian-binary', './data.tar.gz', './control.tar.gz'],
  );
  t.equal(member(ipk.outer, './debian-binary').data.toString(), '2.0\n');
  t.equal(ipk.bytes[0], 0x1f, 'gzip');
  t.equal(ipk.bytes[1], 0x8b, 'gzip');
  t.ok(ipk.bytes.length < 1024 * 1024, `under 1 MB (${ipk.bytes.length} bytes)`);
});

t.test('control fields and conffiles', async (t) => {
  const ipk = buildIpk(t);
  t.same(
    ipk.control.map((e) => [e.name, e.mode.toString(8)]),
    [['./', '755'], ['./conffiles', '644'], ['./control', '644'], ['./postinst', '755'], ['./prerm', '755'], ['./prerm-pkg', '755']],
  );
  const f = fields(member(ipk.control, './control').data.toString());
  t.equal(f.get('Package'), 'trucada');
  t.equal(f.get('Version'), pkg.version);
  t.equal(f.get('Depends'), 'node');
  t.equal(f.get('Architecture'), 'all');
  t.equal(f.get('License'), pkg.license);
  t.equal(f.get('Require-User'), 'trucada:trucada', 'opkg adds the user (default_postinst)');
  t.equal(f.get('Installed-Size'), String(ipk.dataTar.length), 'as ipkg-build: the uncompressed data archive');
  t.ok(Number(f.get('Installed-Size')) < 2.5 * 1024 * 1024, 'under 2.5 MB installed');
  t.ok(f.get('Maintainer'), 'a maintainer');
  t.match(f.get('Description'), /SIP registrar/);
  t.equal(member(ipk.control, './conffiles').data.toString(), '/etc/config/trucada\n');
});

t.test('the data: every file in place, owned by root, with its mode', async (t) => {
  const ipk = buildIpk(t);
  const files = ipk.data.filter((e) => e.type === '0');
  const modes = new Map(files.map((e) => [e.name, e.mode.toString(8)]));
  const required = [
    ['./etc/config/trucada', '644'],
    ['./etc/init.d/trucada', '755'],
    ['./lib/upgrade/keep.d/trucada', '644'],
    ['./usr/bin/trucada', '755'],
    ['./usr/share/trucada/node-sqlite3-wasm.wasm', '644'],
    ['./usr/share/trucada/trucada.cjs', '644'],
    ['./usr/share/trucada/SHA256SUMS', '644'],
  ];
  for (const [name, mode] of required) t.equal(modes.get(name!), mode, `${name}: ${mode}`);
  // An upgrade (opkg writes the new files in place) never writes over the database, the keys, the
  // certificate or config.last-good: a power cut during one cannot tear them.
  t.same(ipk.data.filter((e) => e.name.startsWith('./etc/trucada')), [], 'nothing in /etc/trucada, the data_dir');
  for (const e of files) {
    // Anything else comes from files/ (the router's filesystem) or dist/ (the page, later).
    const from = e.name.startsWith('./usr/share/trucada/') ? join(ROOT, 'dist', e.name.slice('./usr/share/trucada/'.length)) : join(ROOT, 'files', e.name);
    t.same(e.data, readFileSync(from), `${e.name}: the same as ${from.slice(ROOT.length)}`);
    t.notMatch(e.name, /\.(ipk|map)$/, `${e.name}: no package or source map in the package`);
  }
  for (const e of ipk.data) {
    t.same([e.uid, e.gid, e.uname, e.gname], [0, 0, 'root', 'root'], `${e.name}: root's`);
    if (e.type === '5') t.equal(e.mode, 0o755, `${e.name}: a directory, 755`);
  }
  t.equal(ipk.data[0]?.name, './', 'the root first');
  t.same(ipk.data.map((e) => e.name), ipk.data.map((e) => e.name).sort(), 'in name order');
  t.same(member(ipk.data, './usr/share/trucada/trucada.cjs').data, readFileSync(join(ROOT, 'dist/trucada.cjs')), 'the built bundle');
  t.same(member(ipk.data, './etc/init.d/trucada').data, readFileSync(join(ROOT, 'files/etc/init.d/trucada')));
  t.equal(member(ipk.data, './lib/upgrade/keep.d/trucada').data.toString(), '/etc/trucada/\n', 'sysupgrade keeps the accounts and keys');
});

t.test('reproducible: the same source gives the same bytes; SOURCE_DATE_EPOCH sets every mtime', async (t) => {
  const a = buildIpk(t);
  const b = buildIpk(t);
  t.ok(a.bytes.equals(b.bytes), 'byte for byte');
  t.ok([...a.outer, ...a.control, ...a.data].every((e) => e.mtime === 0));
  const dated = buildIpk(t, { SOURCE_DATE_EPOCH: '1700000000' });
  t.ok([...dated.outer, ...dated.control, ...dated.data].every((e) => e.mtime === 1700000000));
});

// The scripts hand over to OpenWrt's default_postinst and default_prerm (in /lib/functions.sh),
// which add the Require-User user, run the uci-defaults, enable and start, or stop and disable,
// and leave the running system alone when IPKG_INSTROOT is set.
t.test('postinst and prerm: OpenWrt\'s defaults, with the script path as its package name', async (t) => {
  const ipk = buildIpk(t);
  const root = mkdtempSync(join(tmpdir(), 'trucada-instroot-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'lib'));
  mkdirSync(join(root, 'info'));
  const log = join(root, 'calls');
  writeFileSync(join(root, 'lib/functions.sh'), `default_postinst() { echo "default_postinst $*" >>"${log}"; }\ndefault_prerm() { echo "default_prerm $*" >>"${log}"; }\n`);
  for (const script of ['postinst', 'prerm']) writeFileSync(join(root, 'info', `trucada.${script}`), member(ipk.control, `./${script}`).data);
  const run = (script: string, env: NodeJS.ProcessEnv) =>
    spawnSync('dash', [join(root, 'info', `trucada.${script}`), 'configure'], { env: { PATH: process.env.PATH, IPKG_INSTROOT: root, ...env }, encoding: 'utf8' });
  t.equal(run('postinst', {}).status, 0);
  t.equal(run('prerm', {}).status, 0);
  t.equal(run('postinst', { IPKG_NO_SCRIPT: '1' }).status, 0, 'IPKG_NO_SCRIPT=1: nothing');
  t.equal(run('postinst', { IPKG_INSTROOT: join(root, 'missing') }).status, 0, 'no functions.sh: nothing');
  t.equal(
    readFileSync(log, 'utf8'),
    `default_postinst ${join(root, 'info/trucada.postinst')} configure\ndefault_prerm ${join(root, 'info/trucada.prerm')} configure\n`,
  );
});

// default_prerm sources info/trucada.prerm-pkg before it stops and disables the init script; here
// /etc/init.d/trucada is the package's init script under the stubs, with bmx6 and uci answering.
t.test('prerm-pkg: on removal the node stops and is taken out of bmx; on an upgrade or in an image build, nothing', { skip: packageScriptsMissing }, async (t) => {
  const script = member(buildIpk(t).control, './prerm-pkg').data;
  const bmx = { answering: ['bmx6', 'uci'], config: readFileSync(join(ROOT, 'files/etc/config/trucada'), 'utf8') };
  const removal = runPackageScript(t, script, bmx);
  t.equal(removal.status, 0, removal.stderr);
  const lines = removal.calls.map((c) => c.join(' ')).filter((l) => !l.startsWith('uci_load_validate'));
  t.same(
    lines,
    [
      'procd_set_config_changed firewall',
      'procd_kill trucada',
      'bmx6 -c syncSms=-trucada',
      'uci -q get bmx6.trucada',
      'uci -q delete bmx6.trucada',
      'uci -q commit bmx6',
      'rm -f /var/run/bmx6/sms/sendSms/trucada',
      'uci -q get bmx7.trucada',
      'uci -q delete bmx7.trucada',
      'uci -q commit bmx7',
      'rm -f /var/run/bmx7/sms/sendSms/trucada',
    ],
    'stopped first (it writes its beacon no more), then syncSms, the uci sections and the sms files go',
  );
  for (const [why, env] of [['an upgrade', { PKG_UPGRADE: '1' }], ['an image build', { IPKG_INSTROOT: '/tmp/image-root' }]] as const) {
    const run = runPackageScript(t, script, { ...bmx, env });
    t.equal(run.status, 0, run.stderr);
    t.same(run.calls, [], `${why}: nothing runs`);
  }
});
