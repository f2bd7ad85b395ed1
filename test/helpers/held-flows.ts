/**
 * Many registered SIP connections, TCP and WebSocket, held by one process on a test host
 * (held-flows-agent.ts, as a netns-agent.ts process), for soak tests of what the node keeps per
 * connection: the test asks it to connect and register all, to send a MESSAGE, and for its counts.
 */
import { fileURLToPath } from 'node:url';
import { startNetnsAgent } from './netns-agent.js';

const AGENT = fileURLToPath(new URL('./held-flows-agent.ts', import.meta.url));

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface HeldFlowsOptions {
  readonly name: string;
  /** The node's address and ports. */
  readonly node: string;
  readonly sipPort: number;
  readonly httpPort: number;
  readonly domain: string;
  /** The accounts the connections register as, in turn; all have `password`. */
  readonly users: readonly string[];
  readonly password: string;
  readonly tcp: number;
  readonly ws: number;
  /** Seconds asked for in each REGISTER. */
  readonly expires: number;
  /** How often each TCP connection sends its CRLF CRLF keep-alive. */
  readonly pingEveryMs: number;
  readonly refreshEveryMs: number;
  /** Registrations refreshed each `refreshEveryMs`, picked at random among the open connections. */
  readonly refreshBatch: number;
}

export interface HeldFlowsStats {
  open: number;
  /** Connections the node closed (or that broke) while the agent held them. */
  closedByNode: number;
  refreshed: number;
  refreshFailed: number;
  /** Requests the node brought (forked MESSAGEs), each answered 200. */
  messagesAnswered: number;
  lastFailure: string;
}

export interface HeldFlows {
  /** Opens and registers every connection, bounded by `ms`; resolves with how many of each kind. */
  connect(ms: number): Promise<{ tcp: number; ws: number }>;
  /** A MESSAGE to `to` (a user) from one of the open connections; resolves with its final status. */
  message(to: string, body: string): Promise<{ status: number; from: string }>;
  stats(): Promise<HeldFlowsStats>;
}

export async function startHeldFlows(t: Teardown, netns: string, options: HeldFlowsOptions): Promise<HeldFlows> {
  const agent = await startNetnsAgent(t, netns, AGENT, [JSON.stringify(options)], options.name);
  return {
    connect: async (ms) => {
      const r = await agent.ask({ cmd: 'connect' }, `${options.tcp} TCP and ${options.ws} WebSocket connections registered`, ms);
      return { tcp: r['tcp'] as number, ws: r['ws'] as number };
    },
    message: async (to, body) => {
      const r = await agent.ask({ cmd: 'message', to, body }, `the MESSAGE to ${to}`);
      return { status: r['status'] as number, from: r['from'] as string };
    },
    stats: async () => (await agent.ask({ cmd: 'stats' }, 'its counts')) as unknown as HeldFlowsStats,
  };
}
