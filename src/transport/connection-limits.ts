/**
 * Concurrent connections per remote address, counted across TCP and WebSocket, so that one host
 * cannot hold every socket of a router; and all the connections the node accepts, so that many
 * hosts together cannot either.
 */
export class ConnectionLimits {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {
    if (!Number.isInteger(maxPerAddress) || maxPerAddress < 1) {
      throw new RangeError(`maxPerAddress must be a positive integer, got ${maxPerAddress}`);
    }
  }

  /** Count one more connection from `address`; false (and nothing counted) when it is at the limit. */
  acquire(address: string): boolean {
    const n = this.counts.get(address) ?? 0;
    if (n >= this.maxPerAddress) return false;
    this.counts.set(address, n + 1);
    return true;
  }

  /** A connection counted by `acquire` has gone. */
  release(address: string): void {
    const n = this.counts.get(address) ?? 0;
    if (n <= 1) this.counts.delete(address);
    else this.counts.set(address, n - 1);
  }

  /** Connections currently counted for `address`. */
  count(address: string): number {
    return this.counts.get(address) ?? 0;
  }
}

/**
 * Every connection accepted on the SIP TCP port and the web ports at once (a WebSocket is counted
 * once, as the web connection it upgrades): each holds a file descriptor, kernel buffers and a
 * few kilobytes of the node's heap, and a router has few of each.
 */
export class ConnectionTotal {
  private held = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
  }

  /** Count one more; false (and nothing counted) when the node holds `max` already. */
  acquire(): boolean {
    if (this.held >= this.max) return false;
    this.held++;
    return true;
  }

  release(): void {
    if (this.held > 0) this.held--;
  }
}

/**
 * An accepted connection from `address` counted against both bounds, or against neither: undefined
 * when counted, else why it was refused, for the log. `releaseConnection` undoes a counted one.
 */
export function acquireConnection(total: ConnectionTotal, perAddress: ConnectionLimits, address: string): string | undefined {
  if (!total.acquire()) return `the node holds ${total.max} connections (max_connections)`;
  if (perAddress.acquire(address)) return undefined;
  total.release();
  return 'it already has the most connections allowed';
}

export function releaseConnection(total: ConnectionTotal, perAddress: ConnectionLimits, address: string): void {
  perAddress.release(address);
  total.release();
}
