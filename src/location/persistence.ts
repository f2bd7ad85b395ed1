/**
 * Write-back of bindings to `<run_dir>/bindings.json` (RAM on a router), so UDP and TCP devices
 * stay reachable across a restart of the service without re-registering. WebSocket bindings are
 * never written: they die with their connection (RFC 7118 §5).
 *
 * Writes are debounced (one write per burst of changes) and atomic (temp file + rename), so a
 * crash leaves the old file or the new one, never half of one. `restore` trusts nothing it reads.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { FlowAddress } from '../sip/flow.js';
import { parseUri } from '../sip/uri.js';
import type { Binding } from './binding.js';
import type { Location } from './location.js';
import { TRANSPORT_NAMES, TRANSPORT_TRAITS } from '../sip/transport-traits.js';

const FORMAT_VERSION = 1;
/** Far above what a router holds; a bigger file is not ours. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_STRING = 1024;

/** A binding the node can reach again after a restart: over a transport it can dial. */
function persistable(b: Binding): boolean {
  return TRANSPORT_TRAITS[b.flow.transport].dialable;
}

export class BindingPersistence {
  private timer: unknown;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: {
      location: Location;
      path: string;
      clock: Clock;
      logger: Logger;
      /** Delay between the first change and the write, in ms. Default 2000. */
      debounceMs?: number;
    },
  ) {
    this.unsubscribe = deps.location.onChange((e) => {
      if (persistable(e.binding)) this.schedule();
    });
  }

  /** Write now if a write is pending. */
  flush(): void {
    if (this.timer === undefined) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
  }

  /** Stop listening, writing what is pending first. */
  close(): void {
    this.unsubscribe();
    this.flush();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, this.deps.debounceMs ?? 2000);
  }

  private write(): void {
    const bindings = this.deps.location.all().filter(persistable);
    const tmp = `${this.deps.path}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ version: FORMAT_VERSION, bindings }), { mode: 0o600 });
      renameSync(tmp, this.deps.path);
    } catch (err) {
      this.deps.logger.error(`cannot write ${this.deps.path}: ${(err as Error).message}`);
    }
  }
}

/**
 * Read the bindings written by a previous run: unexpired, well-formed UDP/TCP ones only. A missing
 * file gives none; a corrupt one is logged and ignored.
 *
 * A TCP binding's flow id named a connection of the previous run; flow ids restart with the
 * process, so it is renamed `restored:tcp:<address>:<port>` lest a new connection that happens to
 * get the same id take the old binding with it when it closes.
 */
export function restore(path: string, now: number, logger: Logger): Binding[] {
  let raw: unknown;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) {
      logger.warn(`${path} is larger than ${MAX_FILE_BYTES} bytes; ignored`);
      return [];
    }
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn(`${path} unreadable, ignored: ${(err as Error).message}`);
    return [];
  }
  const list = (raw as { version?: unknown; bindings?: unknown } | null)?.bindings;
  if ((raw as { version?: unknown } | null)?.version !== FORMAT_VERSION || !Array.isArray(list)) {
    logger.warn(`${path} is not a bindings file of version ${FORMAT_VERSION}; ignored`);
    return [];
  }
  const out: Binding[] = [];
  let dropped = 0;
  for (const item of list) {
    const b = validBinding(item);
    if (!b) dropped++;
    else if (b.expiresAt > now) out.push(b);
  }
  if (dropped > 0) logger.warn(`${path}: ${dropped} malformed bindings dropped`);
  return out;
}

function str(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_STRING;
}

function int(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function validBinding(item: unknown): Binding | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const o = item as Record<string, unknown>;
  const flow = o.flow as Record<string, unknown> | null | undefined;
  if (!str(o.aor) || !str(o.contact) || !str(o.callId) || !str(o.flowId)) return undefined;
  if (!int(o.cseq, 0, 2 ** 31 - 1) || !int(o.expiresAt, 0, Number.MAX_SAFE_INTEGER)) return undefined;
  if (!int(o.registeredAt, 0, Number.MAX_SAFE_INTEGER)) return undefined;
  if (o.q !== undefined && !(typeof o.q === 'number' && o.q >= 0 && o.q <= 1)) return undefined;
  if (o.instance !== undefined && !str(o.instance)) return undefined;
  if (o.regId !== undefined && !int(o.regId, 1, 2 ** 31 - 1)) return undefined;
  if (o.userAgent !== undefined && typeof o.userAgent !== 'string') return undefined;
  if (typeof flow !== 'object' || flow === null) return undefined;
  const transport = TRANSPORT_NAMES.find((name) => name === flow.transport);
  if (transport === undefined || !TRANSPORT_TRAITS[transport].dialable) return undefined;
  if (typeof flow.remoteAddress !== 'string' || isIP(flow.remoteAddress) === 0) return undefined;
  if (!int(flow.remotePort, 1, 65535)) return undefined;
  try {
    parseUri(o.contact);
  } catch {
    return undefined;
  }
  const address: FlowAddress = { transport, remoteAddress: flow.remoteAddress, remotePort: flow.remotePort };
  return {
    aor: o.aor,
    contact: o.contact,
    ...(o.q !== undefined && { q: o.q }),
    expiresAt: o.expiresAt,
    callId: o.callId,
    cseq: o.cseq,
    ...(o.instance !== undefined && { instance: o.instance }),
    ...(o.regId !== undefined && o.instance !== undefined && { regId: o.regId }),
    // A connection does not outlive the node: a restored one gets an id no live flow has.
    flowId: TRANSPORT_TRAITS[transport].reliable ? `restored:${transport}:${address.remoteAddress}:${address.remotePort}` : o.flowId,
    flow: address,
    ...(o.userAgent !== undefined && { userAgent: o.userAgent.slice(0, MAX_STRING) }),
    registeredAt: o.registeredAt,
  };
}
