/** Builds the .ipk with scripts/build-ipk.mjs into a temp dir and reads it back: gzip, then ustar. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface TarEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  /** '0' a file, '5' a directory. */
  type: string;
  data: Buffer;
}

const text = (b: Buffer, start: number, length: number) => b.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
const num = (b: Buffer, start: number, length: number) => parseInt(text(b, start, length).trim() || '0', 8);

/** The entries of an uncompressed tar, checking each header's checksum. */
export function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((byte) => byte === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== num(h, 148, 8)) throw new Error(`tar: bad checksum at ${at}`);
    const size = num(h, 124, 12);
    const prefix = text(h, 345, 155);
    const name = prefix === '' ? text(h, 0, 100) : `${prefix}/${text(h, 0, 100)}`;
    entries.push({
      name,
      mode: num(h, 100, 8),
      uid: num(h, 108, 8),
      gid: num(h, 116, 8),
      mtime: num(h, 136, 12),
      type: text(h, 156, 1),
      uname: text(h, 265, 32),
      gname: text(h, 297, 32),
      data: Buffer.from(tar.subarray(at + 512, at + 512 + size)),
    });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

export interface BuiltIpk {
  file: string;
  bytes: Buffer;
  outer: TarEntry[];
  control: TarEntry[];
  data: TarEntry[];
  /** The uncompressed data archive. */
  dataTar: Buffer;
}

export function member(entries: TarEntry[], name: string): TarEntry {
  const e = entries.find((x) => x.name === name);
  if (!e) throw new Error(`no ${name} in the archive (has ${entries.map((x) => x.name).join(', ')})`);
  return e;
}

/** `npm run package` into a fresh directory, removed when the test ends. */
export function buildIpk(t: { teardown(fn: () => void): void }, env: NodeJS.ProcessEnv = {}): BuiltIpk {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-ipk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // env(1) drops the NODE_OPTIONS that tap adds to every child: the script needs no loader.
  execFileSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'scripts/build-ipk.mjs'), '--out', dir], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  const [name] = readdirSync(dir);
  const file = join(dir, name!);
  const bytes = readFileSync(file);
  const outer = readTar(gunzipSync(bytes));
  const dataTar = gunzipSync(member(outer, './data.tar.gz').data);
  return { file, bytes, outer, control: readTar(gunzipSync(member(outer, './control.tar.gz').data)), data: readTar(dataTar), dataTar };
}
