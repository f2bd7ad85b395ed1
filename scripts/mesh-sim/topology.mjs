// The simulated mesh's shape: which nodes share a link, and for every pair the hop count and the
// first hop of a shortest path (breadth-first search from every node; the graphs are small). Nodes
// are numbered 1..N.

export const TOPOLOGIES = ['line', 'ring', 'grid'];

/**
 * The links of `kind` over `n` nodes, each [a, b] with a < b. A grid is ceil(sqrt(n)) columns wide,
 * filled row by row (the last row may be short), each node linked to its right and lower neighbour.
 * @returns {[number, number][]}
 */
export function links(kind, n) {
  const out = [];
  if (kind === 'line' || kind === 'ring') {
    for (let i = 1; i < n; i += 1) out.push([i, i + 1]);
    // A ring of two would be the same link twice.
    if (kind === 'ring' && n > 2) out.push([1, n]);
    return out;
  }
  if (kind === 'grid') {
    const cols = Math.ceil(Math.sqrt(n));
    for (let i = 1; i <= n; i += 1) {
      if (i % cols !== 0 && i + 1 <= n) out.push([i, i + 1]);
      if (i + cols <= n) out.push([i, i + cols]);
    }
    return out;
  }
  throw new Error(`unknown topology '${kind}' (known: ${TOPOLOGIES.join(', ')})`);
}

/**
 * Shortest paths over `edges`: hops[a][b] and next[a][b] (the neighbour of a on a shortest path to
 * b), both indexed 1..n. Throws when the graph is not connected.
 */
export function shortestPaths(n, edges) {
  const neighbours = Array.from({ length: n + 1 }, () => []);
  for (const [a, b] of edges) {
    neighbours[a].push(b);
    neighbours[b].push(a);
  }
  for (const list of neighbours) list.sort((x, y) => x - y);
  const hops = [];
  const next = [];
  for (let from = 1; from <= n; from += 1) {
    const dist = new Array(n + 1).fill(-1);
    const first = new Array(n + 1).fill(0);
    dist[from] = 0;
    const queue = [from];
    for (let q = 0; q < queue.length; q += 1) {
      const u = queue[q];
      for (const v of neighbours[u]) {
        if (dist[v] !== -1) continue;
        dist[v] = dist[u] + 1;
        first[v] = u === from ? v : first[u];
        queue.push(v);
      }
    }
    if (dist.slice(1).includes(-1)) throw new Error(`node ${from} cannot reach every other node`);
    hops[from] = dist;
    next[from] = first;
  }
  return { hops, next, neighbours };
}

/** The pair farthest apart (the lowest numbers among ties), and their distance in hops. */
export function farthestPair(n, hops) {
  let best = { near: 1, far: 1, hops: 0 };
  for (let a = 1; a <= n; a += 1) {
    for (let b = a + 1; b <= n; b += 1) if (hops[a][b] > best.hops) best = { near: a, far: b, hops: hops[a][b] };
  }
  return best;
}
