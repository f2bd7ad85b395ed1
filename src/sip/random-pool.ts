/**
 * Random bytes drawn from the system CSPRNG in blocks and handed out once each. Asking the CSPRNG
 * for 8 bytes costs about as much as asking for 4 KiB (the cost is the call into the crypto
 * library), and the node needs a few bytes on nearly every message (tags, nonces).
 */
import { randomFillSync } from 'node:crypto';

export class RandomPool {
  private readonly block: Buffer;
  private offset: number;

  constructor(blockSize = 4096) {
    this.block = Buffer.allocUnsafe(blockSize);
    this.offset = blockSize;
  }

  /** `bytes` fresh random bytes written into `target` at `at`. */
  fill(target: Buffer, at: number, bytes: number): void {
    if (bytes > this.block.length) randomFillSync(target, at, bytes);
    else this.block.copy(target, at, this.take(bytes), this.offset);
  }

  /** `bytes` fresh random bytes as lower-case hex. */
  hex(bytes: number): string {
    if (bytes > this.block.length) return randomFillSync(Buffer.allocUnsafe(bytes)).toString('hex');
    return this.block.toString('hex', this.take(bytes), this.offset);
  }

  /** Reserve the next `bytes` of the block, refilling it when too few are left; returns their start. */
  private take(bytes: number): number {
    if (this.offset + bytes > this.block.length) {
      randomFillSync(this.block);
      this.offset = 0;
    }
    const start = this.offset;
    this.offset += bytes;
    return start;
  }
}
