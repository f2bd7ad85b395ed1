/**
 * Files in data_dir that must survive a power cut whole (the node key, the pinned keys, the
 * self-signed certificate and its key, config.last-good): written beside the target, flushed to the
 * flash, then renamed over it, and the directory flushed so the rename itself is on disk. A crash
 * leaves the old file or the new one, never half of one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export function writeFileDurably(path: string, data: string | Buffer, mode: number): void {
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  // 'wx': never through a link someone left at the temporary name.
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * writeFileDurably without holding up the event loop: each fsync may take tens of milliseconds on
 * a router's flash (or a busy disk), while peers wait for this node's answers.
 */
export async function writeFileDurablyAsync(path: string, data: string | Buffer, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await rm(tmp, { force: true });
  const file = await open(tmp, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
