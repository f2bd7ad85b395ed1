// One run of the mesh simulation (scripts/mesh-sim.mjs is its command line): builds the network,
// starts the nodes with the bmx relay, and measures (1) how long until every node knows every other,
// (2) a call between the farthest two, (3) what each node sends at rest. Everything it made is
// removed by `cleanup`, which the caller runs on every way out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBmxRelay } from './bmx-relay.mjs';
import { callFarthest } from './call.mjs';
import { buildNetwork, namespaceNames, readCounters, removeLeftovers, removeNetwork } from './network.mjs';
import { domainOf, peersOf, prepareNode, startNode } from './nodes.mjs';
import { farthestPair, links, shortestPaths } from './topology.mjs';

export const GOALS = { allKnowAllMs: 10_000, bytesPerMinute: 1000 };

/**
 * @param {{ nodes: number, topology: string, hopDelayMs: number, joinTimeoutS: number, settleS: number,
 *           windowS: number, bundle: string, repo: string, sipp: string, keep: boolean }} o
 * @param {(line: string) => void} log
 */
export function createSim(o, log) {
  const state = { ns: [], nodes: [], relay: null, root: null, cleaned: false };

  const cleanup = async () => {
    if (state.cleaned) return;
    state.cleaned = true;
    state.relay?.stop();
    await Promise.all(state.nodes.map((node) => node.stop()));
    removeNetwork(state.ns);
    if (state.root && !o.keep) rmSync(state.root, { recursive: true, force: true });
    else if (state.root) log(`kept ${state.root}`);
  };

  const run = async () => {
    const n = o.nodes;
    const edges = links(o.topology, n);
    const paths = shortestPaths(n, edges);
    const pair = farthestPair(n, paths.hops);
    const stale = removeLeftovers();
    if (stale > 0) log(`removed ${stale} namespaces a killed sim left behind`);

    state.root = mkdtempSync(join(tmpdir(), `trcsim-${process.pid}-`));
    state.ns = namespaceNames(n);
    log(`${o.topology} of ${n}: ${edges.length} links, farthest node${pair.near} and node${pair.far} ${pair.hops} hops apart; work dir ${state.root}`);
    await buildNetwork(state.ns, edges, paths);
    const files = [null];
    // Two at a time: each `trucada user add` is a second of one core (scrypt, SQLite WebAssembly).
    await mapLimit(range(n), 2, async (i) => {
      files[i] = await prepareNode(state.root, i, o.bundle);
    });
    log(`network and ${n} configs ready`);

    const result = { topology: o.topology, nodes: n, links: edges.length, farthest: pair, hopDelayMs: o.hopDelayMs };
    result.convergence = await converge(n, files, paths);
    result.traffic = await measureTraffic(n);
    log(`calling u${pair.far}@${domainOf(pair.far)} from node${pair.near}`);
    result.call = await callFarthest({ near: pair.near, far: pair.far, ns: state.ns, root: state.root, repo: o.repo, sipp: o.sipp });
    log(`call: ${result.call.connected ? `200 after ${result.call.inviteTo200Ms} ms (${result.call.authenticatedInviteTo200Ms} ms from the INVITE with credentials)` : 'no 200'}${result.call.error ? `; ${result.call.error}` : ''}`);
    return result;
  };

  /** Starts every node at once and waits until each knows all the others, or the timeout. */
  const converge = async (n, files, paths) => {
    const knownAllAt = new Array(n + 1).fill(null);
    let t0 = null;
    let allAt = null;
    let resolveAll;
    const everyoneKnown = new Promise((resolve) => (resolveAll = resolve));
    const onPeers = (i, known) => {
      const now = performance.now() - t0;
      if (known.size === n - 1 && knownAllAt[i] === null) knownAllAt[i] = now;
      if (known.size < n - 1) knownAllAt[i] = null;
      if (allAt === null && state.nodes.length === n && state.nodes.every((node) => node.known.size === n - 1)) {
        allAt = now;
        resolveAll();
      }
    };
    state.relay = startBmxRelay({ runDirs: files.map((f) => f?.bmxRunDir ?? null), hops: paths.hops, hopDelayMs: o.hopDelayMs });
    t0 = performance.now();
    for (const i of range(n)) state.nodes.push(startNode({ i, netns: state.ns[i], files: files[i], bundle: o.bundle, onPeers }));
    const servedAt = await Promise.all(state.nodes.map((node) => node.serving));
    const lastServingMs = Math.max(...servedAt) - t0;
    log(`all ${n} nodes serving ${(lastServingMs / 1000).toFixed(1)} s after the start`);
    await Promise.race([everyoneKnown, sleep(o.joinTimeoutS * 1000)]);
    const missing = state.nodes.filter((node) => node.known.size < n - 1).map((node) => ({ node: node.i, knows: node.known.size }));
    log(allAt === null ? `not every node knows every other after ${o.joinTimeoutS} s: ${JSON.stringify(missing)}` : `every node knows every other ${(allAt / 1000).toFixed(1)} s after the start`);
    // The log is what the sim watched; the running daemons' own answer should say the same.
    const listed = await mapLimit(range(n), 4, (i) => peersOf(state.ns[i], files[i], o.bundle).catch(() => []));
    const peersCommandAgrees = listed.every((domains, k) => domains.length === n - 1 && !domains.includes(domainOf(k + 1)));
    return {
      allKnowAllMs: allAt,
      fromLastServingMs: allAt === null ? null : allAt - lastServingMs,
      lastServingMs,
      perNodeMs: knownAllAt.slice(1),
      goalMs: GOALS.allKnowAllMs,
      met: allAt !== null && allAt <= GOALS.allKnowAllMs,
      peersCommandAgrees,
      missing,
    };
  };

  /**
   * At rest (before the call: a registered callee would add the node's keep-alive OPTIONS to it and
   * change the far node's descriptor): after the settle period, the counters over the window.
   */
  const measureTraffic = async (n) => {
    log(`at rest: settling ${o.settleS} s, then counting for ${o.windowS} s`);
    await sleep(o.settleS * 1000);
    const before = await Promise.all(state.ns.slice(1).map(readCounters));
    const start = performance.now();
    await sleep(o.windowS * 1000);
    const after = await Promise.all(state.ns.slice(1).map(readCounters));
    const minutes = (performance.now() - start) / 60_000;
    const perMinute = (k, field) => (after[k][field] - before[k][field]) / minutes;
    const perNode = range(n).map((i, k) => ({
      node: i,
      sent: perMinute(k, 'sent'),
      https: perMinute(k, 'https'),
      sip: perMinute(k, 'sip'),
      interfaceTx: perMinute(k, 'interfaceTx'),
    }));
    const stillKnown = state.nodes.every((node) => node.known.size === n - 1);
    const sent = perNode.map((p) => p.sent);
    const summary = {
      windowSeconds: minutes * 60,
      settleSeconds: o.settleS,
      meanBytesPerMinute: sent.reduce((a, b) => a + b, 0) / n,
      maxBytesPerMinute: Math.max(...sent),
      meanInterfaceTxPerMinute: perNode.reduce((a, p) => a + p.interfaceTx, 0) / n,
      maxInterfaceTxPerMinute: Math.max(...perNode.map((p) => p.interfaceTx)),
      goalBytesPerMinute: GOALS.bytesPerMinute,
      met: Math.max(...sent) < GOALS.bytesPerMinute,
      everyoneStillKnown: stillKnown,
      perNode,
    };
    log(`at rest: each node sends ${summary.meanBytesPerMinute.toFixed(0)} B/min on average, at most ${summary.maxBytesPerMinute.toFixed(0)} B/min (interfaces, transit included: mean ${summary.meanInterfaceTxPerMinute.toFixed(0)}, max ${summary.maxInterfaceTxPerMinute.toFixed(0)})`);
    return summary;
  };

  return { run, cleanup };
}

const range = (n) => Array.from({ length: n }, (_, k) => k + 1);

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
