/**
 * A synchronous pause. The store's callers are synchronous (a SQLite call either has the lock or
 * not), and the waits are a few milliseconds, so blocking beats threading promises through every
 * caller. Atomics.wait is allowed on Node's main thread.
 */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
