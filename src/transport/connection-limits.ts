/**
 * Concurrent connections per remote address, counted across TCP and WebSocket, so that one host
 * cannot hold every socket of a router.
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
