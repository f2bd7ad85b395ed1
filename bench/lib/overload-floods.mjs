// The overload bench's two floods, each one sipp scenario with a step for a 503 at every transaction
// (bench/sipp/*-shed.xml) run three ways against a target: unpaced with a moderate limit (its
// capacity), at a fixed rate far above that (the flood) and slowly (the recovery probe).
//   register: authenticated REGISTERs of the bench users, as the register bench sends them;
//   call: calls from u0000 to u0001 (a sipp callee registered at the target), as the call bench
//   places them; the callee answers for the whole time the flood is open.
import { join } from 'node:path';
import { callerArgs, registerCallee, startCallee } from './call-peers.mjs';
import { freeUdpPort } from './sip-probe.mjs';
import { runSippLoad, runSippRound } from './sipp-round.mjs';
import { responsesByStatus } from './sipp-counts.mjs';
import { KAMAILIO_PROXY } from './targets/kamailio.mjs';
import { benchUsers } from './users.mjs';

// Calls that ended at sipp's last retransmission without an answer, and 503s that lacked Retry-After
// (bench/sipp/*-shed.xml fail those through a header check).
const COLUMNS = ['TotalCallCreated', 'FailedCall(C)', 'FailedMaxUDPRetrans(C)', 'FailedRegexpHdrNotFound(C)', 'DeadCallMsgs(C)'];

export const FLOODS = {
  register: {
    label: 'REGISTER',
    unit: 'registrations',
    // As the register bench measures its capacity: its warm-up round.
    capacity: { calls: 3000, limit: 200 },
    kamailio: {},
    open: openRegisterFlood,
  },
  call: {
    label: 'calls',
    unit: 'calls',
    capacity: { calls: 1000, limit: 100 },
    kamailio: KAMAILIO_PROXY,
    open: openCallFlood,
  },
};

/**
 * A flood against the target on 127.0.0.1:`port`, ready for rounds: round({ name, calls, limit, rate,
 * durationSeconds, timeoutSeconds }) runs one (runSippLoad's options) and resolves to its summary.
 * @param {import('./processes.mjs').ProcessGroups} groups
 * @param {{ sipp: string, root: string, port: number, dir: string, usersCsv: string, domain: string,
 *           lifetimeSeconds: number }} o
 */
async function openRegisterFlood(groups, o) {
  return {
    round: async (r) =>
      summariseRound(await runSippRound(groups, { ...common(o), ...r, scenario: join(o.root, 'bench/sipp/register-auth-shed.xml'), usersCsv: o.usersCsv, domain: o.domain })),
    close: async () => {},
  };
}

/** As openRegisterFlood; the callee answers for `lifetimeSeconds` at most. */
async function openCallFlood(groups, o) {
  const [caller, callee] = benchUsers(2);
  const localPort = await freeUdpPort();
  await registerCallee(groups, { sipp: o.sipp, root: o.root, port: o.port, localPort, user: callee, domain: o.domain, dir: o.dir, name: 'callee-register' });
  const answering = await startCallee(groups, {
    sipp: o.sipp,
    root: o.root,
    localPort,
    user: callee,
    // Never reached: the callee is stopped when the flood is closed.
    calls: 1e9,
    timeoutSeconds: o.lifetimeSeconds,
    dir: o.dir,
    name: 'callee',
  });
  const args = callerArgs({ root: o.root, caller, callee, domain: o.domain, holdMs: 0, scenario: join(o.root, 'bench/sipp/call-caller-shed.xml') });
  return {
    round: async (r) => summariseRound(await runSippLoad(groups, { ...common(o), ...r, args })),
    close: () => answering.stop(),
  };
}

function common(o) {
  return { sipp: o.sipp, port: o.port, dir: o.dir, traceCounts: true, columns: COLUMNS };
}

/**
 * What a round says about the target: calls started and completed (the final 200 of the scenario),
 * responses by status, how many calls sipp gave up on or abandoned, its retransmissions.
 */
function summariseRound(result) {
  const { byStatus, unexpected, completed } = responsesByStatus(result.counts);
  const started = result.columns.TotalCallCreated;
  return {
    seconds: result.seconds,
    started,
    completed,
    // Over sipp's whole run: what the target got through.
    completedRate: completed / result.seconds,
    startedRate: started / result.seconds,
    byStatus,
    unexpected,
    without503RetryAfter: result.columns['FailedRegexpHdrNotFound(C)'],
    gaveUp: result.columns['FailedMaxUDPRetrans(C)'],
    // Answers that came after sipp had given the call up.
    deadCallMessages: result.columns['DeadCallMsgs(C)'],
    // Still waiting for an answer when sipp was stopped.
    unfinished: started - result.successful - result.columns['FailedCall(C)'],
    retransmissions: result.retransmissions,
    counts: result.counts,
  };
}
