// The V8 flags the OpenWrt init script (files/etc/init.d/trucada) starts the node with, read from the
// script itself so that a bench measures what a router runs, not a copy that may drift from it.
import { readFileSync } from 'node:fs';

/** @param {string} scriptPath an init script: the repository's, or the one unpacked from the .ipk */
export function initScriptFlags(scriptPath) {
  const script = readFileSync(scriptPath, 'utf8');
  const m = /procd_set_param command "\$NODE" ((?:--\S+\s+)+)\\\n\s*"\$BUNDLE"/.exec(script);
  if (!m) throw new Error(`${scriptPath}: no V8 flags found in the procd command`);
  return m[1].trim().split(/\s+/);
}
