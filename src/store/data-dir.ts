/**
 * data_dir is made readable by its owner only: it holds the accounts' digests (an HA1 is as good as
 * the password for SIP digest, RFC 3261 §22.4), the TLS and node keys and the call history. An
 * existing directory keeps the mode its operator gave it (the OpenWrt init script sets 0700).
 */
import { mkdirSync } from 'node:fs';

export function makeDataDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}
