// The two ends of the call bench, both sipp over UDP on 127.0.0.1: the callee (registered at the
// proxy with test/sipp/register.xml from the port it then answers on with test/sipp/call-callee.xml)
// and the caller's arguments for test/sipp/call-caller.xml, whose load runSippLoad drives.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFinalStats } from './sipp-round.mjs';

const SOCKET_BUFFER = String(4 * 1024 * 1024);

/**
 * Registers `user` at the proxy on 127.0.0.1:`port` from 127.0.0.1:`localPort` (one REGISTER with
 * digest auth, expiring in an hour). Resolves when the binding is in place; rejects with what the
 * proxy answered instead.
 * @param {import('./processes.mjs').ProcessGroups} groups
 * @param {{ sipp: string, root: string, port: number, localPort: number, user: { name: string, password: string },
 *           domain: string, dir: string, name: string }} o
 */
export async function registerCallee(groups, o) {
  const errors = join(o.dir, `${o.name}.errors.log`);
  const run = groups.start(
    o.sipp,
    [
      '-sf', join(o.root, 'test/sipp/register.xml'),
      '-key', 'domain', o.domain,
      '-s', o.user.name,
      '-ap', o.user.password,
      // RFC 3261 §22.4: the digest uri is the Request-URI, sip:DOMAIN.
      '-auth_uri', o.domain,
      '-i', '127.0.0.1',
      '-p', String(o.localPort),
      '-m', '1',
      '-timeout', '5s', '-timeout_error',
      '-nostdin',
      '-trace_err', '-error_file', errors,
      `127.0.0.1:${o.port}`,
    ],
    { cwd: o.dir, logFile: join(o.dir, `${o.name}.screen.log`) },
  );
  const code = await run.exited;
  if (code !== 0) throw new Error(`registering the callee failed: ${sippFailure(errors) ?? `sipp exit code ${code}`}`);
}

/**
 * Starts the callee answering on 127.0.0.1:`localPort` (the address it registered from); it ends by
 * itself after `calls` calls, or at `timeoutSeconds`.
 * @param {import('./processes.mjs').ProcessGroups} groups
 * @param {{ sipp: string, root: string, localPort: number, user: { name: string }, calls: number,
 *           timeoutSeconds: number, dir: string, name: string }} o
 * Resolves once its socket is bound, so that the first INVITE of a round finds it.
 * @returns {Promise<{ exited: Promise<number | null>, stop: () => Promise<void>, stats: () => ReturnType<typeof readFinalStats> }>}
 */
export async function startCallee(groups, o) {
  const statFile = join(o.dir, `${o.name}.stat.csv`);
  const run = groups.start(
    o.sipp,
    [
      '-sf', join(o.root, 'test/sipp/call-callee.xml'),
      '-s', o.user.name,
      '-i', '127.0.0.1',
      '-p', String(o.localPort),
      '-m', String(o.calls),
      '-buff_size', SOCKET_BUFFER,
      '-timeout', `${o.timeoutSeconds}s`,
      '-nostdin',
      '-trace_stat', '-stf', statFile, '-fd', '1',
      '-trace_err', '-error_file', join(o.dir, `${o.name}.errors.log`),
    ],
    { cwd: o.dir, logFile: join(o.dir, `${o.name}.screen.log`) },
  );
  const callee = { exited: run.exited, stop: run.stop, stats: () => readFinalStats(statFile, o.calls) };
  // Watching /proc rather than trying to bind the port, which could take it from sipp.
  const deadline = Date.now() + 5000;
  let exited = false;
  run.exited.then(() => (exited = true));
  while (!udpPortBound(o.localPort)) {
    if (exited || Date.now() > deadline) {
      await run.stop();
      throw new Error(`the callee sipp did not start listening on udp 127.0.0.1:${o.localPort}; see ${o.dir}/${o.name}.screen.log`);
    }
    await sleep(10);
  }
  return callee;
}

/** Whether some socket is bound to UDP `port` on 127.0.0.1 or on every IPv4 address (proc(5) net/udp). */
function udpPortBound(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/udp', 'latin1')
    .split('\n')
    .some((line) => {
      const local = line.trim().split(/\s+/)[1];
      return local === `0100007F:${hex}` || local === `00000000:${hex}`;
    });
}

/**
 * The scenario arguments of the caller: `caller` calls `callee`, authenticating with its own name
 * and password; the digest uri is the INVITE's Request-URI (RFC 3261 §22.4). `holdMs`: the pause
 * between ACK and BYE. `scenario`: another caller taking the same arguments (the overload bench's,
 * bench/sipp/call-caller-shed.xml).
 */
export function callerArgs({ root, caller, callee, domain, holdMs, scenario = join(root, 'test/sipp/call-caller.xml') }) {
  return [
    '-sf', scenario,
    '-key', 'domain', domain,
    '-key', 'callee', callee.name,
    '-s', caller.name,
    '-ap', caller.password,
    '-auth_uri', `${callee.name}@${domain}`,
    '-d', String(holdMs),
  ];
}

/**
 * The first reason sipp gave for a failed call, from its -trace_err file, in one line; null when
 * there is none (the file is missing or says nothing about a call).
 */
export function sippFailure(errorsLog) {
  if (!existsSync(errorsLog)) return null;
  const text = readFileSync(errorsLog, 'latin1');
  const unexpected = /while expecting '([^']+)'[^,]*, received '([^']*)'/.exec(text);
  if (unexpected) return `${firstLine(unexpected[2])} while expecting ${unexpected[1]}`;
  const other = text
    .split('\n')
    .map((line) => line.replace(/^[0-9-]+\s+[0-9:.]+\s+[0-9.]+:\s*/, '').trim())
    .find((line) => line !== '' && !line.startsWith('The following events occurred'));
  return other ? firstLine(other) : null;
}

function firstLine(text) {
  const line = text.split(/\r?\n/)[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
