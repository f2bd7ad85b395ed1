/**
 * This node's descriptor as served at /.well-known/trucada: signed afresh on every request so its
 * `time` tells the reader our clock now (a signature costs tens of microseconds), with a `seq` that
 * readers use to refuse an older descriptor replayed at them. `seq` must never go back, not even
 * across a restart on a router without a real-time clock, so it lives in data_dir
 * (`descriptor.seq`): one step at every start, one at every change of what the descriptor says, and
 * written only then (flash wears; sign-ups and restarts are rare).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileDurably } from '../store/atomic-file.js';
import { signDescriptor, type SipPorts } from './descriptor.js';
import type { NodeIdentity } from './node-identity.js';

export const SEQ_FILE = 'descriptor.seq';

export interface OwnDescriptorDeps {
  readonly identity: NodeIdentity;
  readonly dataDir: string;
  readonly domain: string;
  readonly sip: () => SipPorts;
  /** The users this node publishes. */
  readonly users: () => readonly string[];
  readonly now: () => number;
  readonly logger: Logger;
}

export class OwnDescriptor {
  private seq: number;
  private said: string | undefined;

  constructor(private readonly deps: OwnDescriptorDeps) {
    this.seq = this.readSeq() + 1;
    this.writeSeq();
  }

  /** The signed JSON text, as of now. */
  current(): string {
    const sip = this.deps.sip();
    const users = [...new Set(this.deps.users())].sort();
    const said = JSON.stringify([this.deps.domain, sip.udp, sip.tcp, users]);
    if (this.said !== undefined && said !== this.said) {
      this.seq += 1;
      this.writeSeq();
    }
    this.said = said;
    return signDescriptor(this.deps.identity, { domain: this.deps.domain, sip, seq: this.seq, time: Math.floor(this.deps.now()), users });
  }

  private get path(): string {
    return join(this.deps.dataDir, SEQ_FILE);
  }

  private readSeq(): number {
    try {
      const text = readFileSync(this.path, 'utf8').trim();
      if (/^\d{1,15}$/.test(text)) return Number(text);
      this.deps.logger.warn(`${this.path} does not hold a sequence number: starting from the clock`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      this.deps.logger.warn(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    // A lost counter must still not go back: the clock in ms is above any count of starts and changes.
    return Math.max(0, Math.floor(this.deps.now()));
  }

  private writeSeq(): void {
    try {
      writeFileDurably(this.path, `${this.seq}\n`, 0o600);
    } catch (err) {
      this.deps.logger.warn(`cannot write ${this.path}: ${(err as Error).message}`);
    }
  }
}
