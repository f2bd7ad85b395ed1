// A call between two nodes of the simulated mesh with sipp (Debian: sip-tester), each end in its
// node's namespace on the node's address: the callee u<far> registers at its node
// (test/sipp/register.xml) and answers from the same port (test/sipp/call-callee.xml); the caller
// u<near> calls u<far>@node<far>.mesh through its own node (scripts/mesh-sim/call-caller.xml), which
// sends the INVITE to the far node across the hops.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { nodeAddress, PORTS } from './network.mjs';
import { domainOf, userOf } from './nodes.mjs';

const run = promisify(execFile);
/** The sipp ends' port, free in every namespace (the node has 5060, 8080 and 8443). */
const SIPP_PORT = 5070;
const TIMEOUT_S = 20;

/**
 * @param {{ near: number, far: number, ns: string[], root: string, repo: string, sipp: string }} o
 * @returns {Promise<{ connected: boolean, inviteTo200Ms: number | null, authenticatedInviteTo200Ms: number | null, error: string | null }>}
 */
export async function callFarthest({ near, far, ns, root, repo, sipp }) {
  const dir = join(root, 'call');
  const callee = userOf(far);
  const caller = userOf(near);
  const common = ['-i', null, '-p', String(SIPP_PORT), '-nostdin'];
  const at = (i) => common.map((a) => a ?? nodeAddress(i));
  mkdirSync(dir, { recursive: true });
  try {
    await run('ip', ['netns', 'exec', ns[far], sipp,
      '-sf', join(repo, 'test/sipp/register.xml'), '-key', 'domain', domainOf(far), '-s', callee.name, '-ap', callee.password,
      '-auth_uri', domainOf(far), ...at(far), '-m', '1', '-timeout', `${TIMEOUT_S}s`, '-timeout_error',
      '-trace_err', '-error_file', join(dir, 'register.errors.log'), `${nodeAddress(far)}:${PORTS.sip}`], { cwd: dir, timeout: (TIMEOUT_S + 10) * 1000 });
  } catch (err) {
    return failed(`the callee could not register at node${far}: ${sippError(join(dir, 'register.errors.log')) ?? err.message}`);
  }
  const answering = spawn('ip', ['netns', 'exec', ns[far], sipp,
    '-sf', join(repo, 'test/sipp/call-callee.xml'), '-s', callee.name, ...at(far), '-m', '1', '-timeout', `${TIMEOUT_S}s`,
    '-trace_err', '-error_file', join(dir, 'callee.errors.log')], { cwd: dir, stdio: 'ignore' });
  const answered = new Promise((resolve) => answering.once('exit', resolve));
  try {
    await untilBound(answering.pid, SIPP_PORT);
    const trace = join(dir, 'caller.messages.log');
    let error = null;
    try {
      await run('ip', ['netns', 'exec', ns[near], sipp,
        '-sf', join(repo, 'scripts/mesh-sim/call-caller.xml'), '-key', 'domain', domainOf(near), '-key', 'callee', callee.name,
        '-key', 'callee_domain', domainOf(far), '-s', caller.name, '-ap', caller.password, '-auth_uri', `${callee.name}@${domainOf(far)}`,
        '-d', '0', ...at(near), '-m', '1', '-timeout', `${TIMEOUT_S}s`, '-timeout_error',
        '-trace_msg', '-message_file', trace, '-trace_err', '-error_file', join(dir, 'caller.errors.log'),
        `${nodeAddress(near)}:${PORTS.sip}`], { cwd: dir, timeout: (TIMEOUT_S + 10) * 1000 });
    } catch (err) {
      error = sippError(join(dir, 'caller.errors.log')) ?? err.message;
    }
    return { ...timesOf(trace), error };
  } finally {
    if (answering.exitCode === null) answering.kill('SIGKILL');
    await answered;
  }
}

const failed = (error) => ({ connected: false, inviteTo200Ms: null, authenticatedInviteTo200Ms: null, error });

/**
 * From the caller's message trace: whether an INVITE got 200, and how long after the first INVITE
 * (the 407 round included) and after the one with credentials (the call's way across the mesh).
 * Each entry of the trace starts with a line of dashes and the time, `YYYY-MM-DD\tHH:MM:SS.micro`.
 */
function timesOf(trace) {
  if (!existsSync(trace)) return failed('sipp wrote no messages');
  const entries = readFileSync(trace, 'latin1').split(/^-{20,} /m).slice(1).map((entry) => {
    const [stamp, ...rest] = entry.split('\n');
    const text = rest.join('\n');
    const [date, time] = stamp.trim().split(/\s+/);
    const start = /\n?\s*(\S.*)\r?\n/.exec(text.replace(/^[^\n]*message (sent|received)[^\n]*\n/, ''))?.[1] ?? '';
    return { at: Date.parse(`${date}T${time.slice(0, 12)}`), sent: /message sent/.test(text), start, cseq: /^CSeq:\s*(.+)$/im.exec(text)?.[1].trim() };
  });
  const invites = entries.filter((e) => e.sent && e.start.startsWith('INVITE '));
  const ok = entries.find((e) => !e.sent && e.start.startsWith('SIP/2.0 200') && /INVITE$/.test(e.cseq ?? ''));
  if (invites.length === 0 || !ok) return failed('no 200 to the INVITE');
  const authenticated = invites.find((e) => e.cseq === ok.cseq) ?? invites[invites.length - 1];
  return { connected: true, inviteTo200Ms: ok.at - invites[0].at, authenticatedInviteTo200Ms: ok.at - authenticated.at, error: null };
}

/** sipp's first error line, without its time stamp. */
function sippError(file) {
  if (!existsSync(file)) return null;
  const line = readFileSync(file, 'latin1').split('\n').map((l) => l.replace(/^[0-9-]+\s+[0-9:.]+\s+[0-9.]+:\s*/, '').trim()).find((l) => l !== '' && !l.startsWith('The following events'));
  return line ? line.slice(0, 200) : null;
}

/** Waits until process `pid` has a UDP socket on `port`, read from its own namespace's /proc view. */
async function untilBound(pid, port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(`/proc/${pid}/net/udp`, 'latin1').split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(hex))) return;
    } catch {
      // Not started yet, or gone: the deadline decides.
    }
    await sleep(20);
  }
  throw new Error(`the callee sipp did not listen on udp port ${port}`);
}
