#!/usr/bin/env node
// `npm run package`: dist/trucada_<version>_all.ipk without the OpenWrt SDK, from the built dist/
// and files/. An .ipk is what OpenWrt's ipkg-build makes: a gzipped tar of ./debian-binary,
// ./data.tar.gz and ./control.tar.gz, each inner archive a gzipped tar of `./`-prefixed entries.
// The tar and gzip bytes are written here, owned by root, in name order, with one fixed mtime
// ($SOURCE_DATE_EPOCH, else 0), so the same source gives the same package.
// Usage: node scripts/build-ipk.mjs [--out DIR]
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Where the package puts the bundle, the SQLite WebAssembly and whatever else dist/ holds. */
const SHARE = 'usr/share/trucada';
/** Files of files/ in these directories are programs. */
const EXECUTABLE_DIRS = ['etc/init.d/', 'etc/uci-defaults/', 'usr/bin/'];
const CONFFILES = ['/etc/config/trucada'];

// OpenWrt's own package scripts, as its SDK writes them: default_postinst adds the users of
// Require-User, runs the package's uci-defaults, enables and starts its init scripts; default_prerm
// stops and disables them. Both leave the running system alone when IPKG_INSTROOT is set (an image
// being built).
const POSTINST = `#!/bin/sh
[ "\${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s "\${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
# shellcheck source=/dev/null
. "\${IPKG_INSTROOT}/lib/functions.sh"
default_postinst "$0" "$@"
`;
const PRERM = `#!/bin/sh
[ -s "\${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
# shellcheck source=/dev/null
. "\${IPKG_INSTROOT}/lib/functions.sh"
default_prerm "$0" "$@"
`;
// The package's own part of prerm (openwrt/Makefile's Package/trucada/prerm, which the SDK ships as
// prerm-pkg, as here): default_prerm sources /usr/lib/opkg/info/trucada.prerm-pkg before it stops
// and disables the init script. On removal, not on an upgrade (PKG_UPGRADE=1; the new package's
// start registers again) nor in an image being built (IPKG_INSTROOT), the node is stopped first, so
// that it writes its beacon no more, and then taken out of bmx6/bmx7 (the init script's withdraw).
const PRERM_PKG = `#!/bin/sh
if [ "\${PKG_UPGRADE}" != 1 ] && [ -z "\${IPKG_INSTROOT}" ] && [ -x /etc/init.d/trucada ]; then
	/etc/init.d/trucada stop
	/etc/init.d/trucada withdraw
fi
`;

const DESCRIPTION = [
  'A calling point on every router of a community mesh network: SIP registrar',
  'for browsers (WebSocket) and desk phones (UDP/TCP), with the accounts on the',
  'node, STUN, mDNS announcements; no central server, no internet needed.',
];

function mtime() {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return 0;
  if (!/^[0-9]{1,11}$/.test(epoch)) throw new Error(`SOURCE_DATE_EPOCH is not a number of seconds: ${epoch}`);
  return Number(epoch);
}

/** Every file under dir, as paths relative to it with / separators. */
function walk(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) return walk(dir, rel);
    if (!e.isFile()) throw new Error(`${join(dir, rel)}: only regular files can be packaged`);
    return [rel];
  });
}

/** The data archive's files: path on the router -> { mode, data }. */
function dataFiles() {
  const files = new Map();
  const filesDir = join(ROOT, 'files');
  for (const rel of walk(filesDir)) {
    const mode = EXECUTABLE_DIRS.some((d) => rel.startsWith(d)) ? 0o755 : 0o644;
    files.set(rel, { mode, data: readFileSync(join(filesDir, rel)) });
  }
  const dist = join(ROOT, 'dist');
  for (const needed of ['trucada.cjs', 'node-sqlite3-wasm.wasm']) {
    if (!existsSync(join(dist, needed))) throw new Error(`dist/${needed} is missing: run \`npm run build\` first`);
  }
  for (const rel of walk(dist)) {
    if (rel.endsWith('.ipk') || rel.endsWith('.map')) continue;
    files.set(`${SHARE}/${rel}`, { mode: 0o644, data: readFileSync(join(dist, rel)) });
  }
  return files;
}

// POSIX ustar (IEEE 1003.1-1988 as in POSIX.1-2001 pax, without extended headers): 512-byte header
// blocks, octal numeric fields, data padded to 512 bytes, two zero blocks at the end.
function octal(value, width) {
  const text = value.toString(8);
  if (text.length > width - 1) throw new Error(`tar: ${value} does not fit ${width - 1} octal digits`);
  return `${text.padStart(width - 1, '0')}\0`;
}

function header(name, { mode, size, type, time }) {
  const block = Buffer.alloc(512);
  let path = name;
  let prefix = '';
  if (Buffer.byteLength(path) > 100) {
    const cut = path.lastIndexOf('/', path.length - 2);
    prefix = path.slice(0, cut);
    path = path.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(path) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: name too long: ${name}`);
  }
  block.write(path, 0);
  block.write(octal(mode, 8), 100);
  block.write(octal(0, 8), 108); // uid root
  block.write(octal(0, 8), 116); // gid root
  block.write(octal(size, 12), 124);
  block.write(octal(time, 12), 136);
  block.write(type, 156);
  block.write('ustar\0' + '00', 257);
  block.write('root', 265);
  block.write('root', 297);
  block.write(prefix, 345);
  // The checksum is computed with its own field as eight spaces.
  block.write('        ', 148);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** A tar of `./` and the given files (path -> { mode, data }), directories made explicit, sorted. */
function tar(files, time) {
  const entries = new Map([['./', { mode: 0o755, dir: true }]]);
  for (const [path, file] of files) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) entries.set(`./${parts.slice(0, i).join('/')}/`, { mode: 0o755, dir: true });
    entries.set(`./${path}`, file);
  }
  const blocks = [];
  for (const name of [...entries.keys()].sort()) {
    const e = entries.get(name);
    if (e.dir) {
      blocks.push(header(name, { mode: e.mode, size: 0, type: '5', time }));
      continue;
    }
    blocks.push(header(name, { mode: e.mode, size: e.data.length, type: '0', time }), e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** An outer tar lists its members in the order given, as ipkg-build does, without a `./` entry. */
function tarInOrder(members, time) {
  const blocks = [];
  for (const [name, data] of members) {
    blocks.push(header(name, { mode: 0o644, size: data.length, type: '0', time }), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** gzip with no name and mtime 0 in its header (RFC 1952 §2.3), and OS "Unix" on every platform. */
function gzip(data) {
  const out = gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
  out[9] = 3;
  return out;
}

function control(installedSize) {
  const fields = [
    ['Package', PKG.name],
    ['Version', PKG.version],
    ['Depends', 'node'],
    ['License', PKG.license],
    ['Section', 'net'],
    ['Require-User', 'trucada:trucada'],
    ['Architecture', 'all'],
    ['Installed-Size', String(installedSize)],
    ['Maintainer', typeof PKG.author === 'string' ? PKG.author : 'trucada developers'],
    ['Description', DESCRIPTION.join('\n ')],
  ];
  return `${fields.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
}

function build(outDir) {
  const time = mtime();
  const dataTar = tar(dataFiles(), time);
  // As ipkg-build: Installed-Size is the size of the uncompressed data archive.
  const controlTar = tar(
    new Map([
      ['control', { mode: 0o644, data: Buffer.from(control(dataTar.length)) }],
      ['conffiles', { mode: 0o644, data: Buffer.from(`${CONFFILES.join('\n')}\n`) }],
      ['postinst', { mode: 0o755, data: Buffer.from(POSTINST) }],
      ['prerm', { mode: 0o755, data: Buffer.from(PRERM) }],
      ['prerm-pkg', { mode: 0o755, data: Buffer.from(PRERM_PKG) }],
    ]),
    time,
  );
  const ipk = gzip(
    tarInOrder(
      [
        ['./debian-binary', Buffer.from('2.0\n')],
        ['./data.tar.gz', gzip(dataTar)],
        ['./control.tar.gz', gzip(controlTar)],
      ],
      time,
    ),
  );
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${PKG.name}_${PKG.version}_all.ipk`);
  writeFileSync(file, ipk);
  return { file, size: ipk.length, installedSize: dataTar.length };
}

function main(argv) {
  let out = join(ROOT, 'dist');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1] !== undefined) out = argv[++i];
    else throw new Error(`usage: build-ipk.mjs [--out DIR] (not: ${argv[i]})`);
  }
  const r = build(out);
  const size = statSync(r.file).size;
  const shown = relative(process.cwd(), r.file);
  console.log(`${shown.startsWith('..') ? r.file : shown}: ${size} bytes, ${r.installedSize} installed`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`build-ipk: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
