// The mesh bench's results, for people (the "Mesh bench" section of bench/RESULTS.md) and for
// programs (bench/out/mesh.json).
import { writeFileSync } from 'node:fs';
import { writeSection } from './results.mjs';
import { fmt } from './stats.mjs';

export const MESH_HEADING = '# Mesh bench';
const PAGE_HEADING = '# Page bench';

export function writeMeshResults({ mdPath, jsonPath, machine, settings, results }) {
  writeFileSync(jsonPath, `${JSON.stringify({ machine, settings, results }, null, 2)}\n`);
  writeSection(mdPath, render({ machine, settings, results }), { after: PAGE_HEADING });
}

const seconds = (ms) => (ms === null || ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));
const goal = (met) => (met ? 'met' : 'not met');

function row(r) {
  if (r.failed) return `| ${r.topology} | ${r.nodes} | the sim failed: ${r.failed} | | | | | | | | |`;
  const c = r.convergence;
  const t = r.traffic;
  // What bmx's flooding alone takes to bring the farthest node's beacon: with peer exchange the
  // nodes can know each other sooner than that.
  const flooding = r.farthest.hops * r.hopDelayMs;
  return (
    `| ${r.topology} | ${r.nodes} | ${r.links} | node${r.farthest.near}–node${r.farthest.far}, ${r.farthest.hops} | ${seconds(c.lastServingMs)} | ` +
    `${c.allKnowAllMs === null ? `no, ${c.missing.length} nodes missing peers` : `${seconds(c.allKnowAllMs)} (${goal(c.met)}); ${seconds(c.fromLastServingMs)} after the last node served`} | ${seconds(flooding)} | ${c.peersCommandAgrees ? 'yes' : 'no'} | ` +
    `${r.call.connected ? `200 in ${r.call.inviteTo200Ms} ms (${r.call.authenticatedInviteTo200Ms} ms)` : `no 200: ${r.call.error}`} | ` +
    `${fmt(t.meanBytesPerMinute, 0)} / ${fmt(t.maxBytesPerMinute, 0)} (${goal(t.met)}) | ${fmt(t.meanInterfaceTxPerMinute, 0)} / ${fmt(t.maxInterfaceTxPerMinute, 0)} |`
  );
}

function render({ machine, settings, results }) {
  const done = results.filter((r) => !r.failed);
  const all = (pick) => done.length === results.length && done.every(pick);
  return [
    MESH_HEADING,
    '',
    'N nodes, each `trucada serve` in a network namespace of its own, linked as a line, a ring or a grid and',
    'routed hop by hop, finding each other over the bmx sms channel and peer exchange (both on by default, nothing else). Written by `npm run bench`',
    '(bench/mesh-bench.mjs, which runs `scripts/mesh-sim.mjs` once per row); raw results in `bench/out/mesh.json`.',
    '',
    '| topology | nodes | links | farthest pair, hops | all serving (s) | every node knows every other, from the start (s; goal ≤ 10) | bmx flooding alone to the farthest (s) | `trucada peers` agrees | call between the farthest: INVITE→200 (from the INVITE with credentials) | sent by each node at rest, mean / max (B/min; goal < 1000) | interfaces transmitted, transit included, mean / max (B/min) |',
    '|---|---:|---:|---|---:|---|---:|---|---|---|---|',
    ...results.map(row),
    '',
    `- every node knows every other within 10 s of the start: ${goal(all((r) => r.convergence.met))}` +
      (all((r) => r.convergence.met) ? '' : ` (${done.filter((r) => !r.convergence.met).map((r) => `${r.topology} of ${r.nodes}`).join(', ') || 'failed runs'})`),
    `- a call between the farthest two connects: ${goal(all((r) => r.call.connected))}`,
    `- under 1 KB (1000 bytes) per node per minute at rest: ${goal(all((r) => r.traffic.met))}`,
    '',
    '## Machine',
    '',
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpu}, nproc ${machine.nproc}; Linux ${machine.kernel}; load average (1 min) ${fmt(machine.loadAverage, 2)} before the run, ${fmt(machine.loadAverageAfter, 2)} after`,
    `- Node ${machine.node}; ${machine.sipp}`,
    '',
    '## Method',
    '',
    '- Node i runs `dist/trucada.cjs serve` with the V8 flags of `files/etc/init.d/trucada`, under `ip netns exec`, with',
    '  domain node<i>.mesh, one user u<i>, `listen` on its one address 198.19.0.<i> (a /32 on its loopback), `mdns` and',
    '  `shared_state` off, `bmx` on with a run dir of its own, and everything else at its default (`peer_timeout` 180).',
    '- Each link is a veth pair with a /30 of its own from 198.18.0.0/16; a grid is ceil(√N) columns wide, filled row',
    '  by row. Every namespace forwards and has a static route to every other node\'s address along a shortest path',
    '  (breadth-first search), with its own address as the source. IPv6 is off in the namespaces.',
    `- bmx is played by a relay in the sim (Debian packages no bmx6): what a node writes to sendSms/trucada is copied to`,
    `  every other node's rcvdSms/<hostname>.<key id>:trucada after ${settings.hopDelayMs} ms per hop between them (bmx6 passes a`,
    '  new description on with its next frames: txInterval 500 ms, DEF_TX_INTERVAL in bmx6\'s bmx.h; the low end, on',
    '  links that lose nothing), and removed when the node withdraws it, with the calls bmx6 makes (open with O_TRUNC and',
    '  one write; unlink). trucada watches rcvdSms (inotify) and reads the files that changed 150 ms after the first event.',
    '- Peer exchange (`peer_exchange` on, the default): a node that admits a peer sends it the beacons of every peer it has',
    '  and hears the newcomer\'s in the answer, over HTTPS; so the far ends of a line know each other before bmx has',
    '  flooded the whole of it.',
    '- Every node knows every other: from spawning the first node (all N are spawned at once) until each node\'s log has',
    '  said `joined` for all N−1 others, none having left since; then `trucada peers --json` is run in every namespace',
    '  and must list exactly the N−1 others ("agrees"). A run gives up waiting after 60 s.',
    '  That time is the nodes\' start (all N at once on this machine\'s cores, where each router has its own), bmx\'s',
    '  flooding to the nearest nodes, 150 ms until a node reads what changed in rcvdSms, the exchanges, and the',
    '  descriptor fetches (a TLS handshake per peer, N−1 per node, all on the same cores).',
    '- Call: sipp in the farthest node\'s namespace registers u<far> there (`test/sipp/register.xml`) and answers',
    '  (`test/sipp/call-callee.xml`); sipp in the other node of the pair calls u<far>@node<far>.mesh through its own node',
    '  (`scripts/mesh-sim/call-caller.xml`: INVITE, 407, ACK, INVITE with credentials, 200, ACK, BYE). INVITE→200 is from',
    '  the first INVITE (the 407 round included) to the 200, in the caller\'s message trace; in brackets, from the INVITE',
    '  with credentials, the part that crosses the mesh. It is placed after the traffic is counted, so that neither',
    '  the registration nor the node\'s keep-alive OPTIONS to the callee count as traffic at rest.',
    `- At rest: once every node knows every other, ${settings.settleS} s of settling, then ${settings.windowS} s of counting, scaled to a minute.`,
    '  "Sent by each node": nftables counters on the output hook in the node\'s namespace, loopback excepted: the',
    '  packets the node\'s own sockets send, and the kernel\'s for them (TCP ACKs), which at rest with no call are',
    '  federation; packets routed through the node for others take the forward hook and are not counted. Bytes are IP',
    '  packet lengths (IP header included, Ethernet header not). "Interfaces transmitted": the TX byte counters of the',
    '  namespace\'s veths, which also hold routed transit, ARP and Ethernet headers, for comparison.',
    '',
  ];
}
