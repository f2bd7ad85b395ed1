// Bytes the node allocates on V8's heap over a stretch of a bench (issue 13: allocation per
// registration and per call). V8's --trace-gc-nvp prints a line per collection with the heap's
// object size before it and after it; nothing is freed between two collections, so what the heap
// grew by from the end of one to the start of the next was allocated. Summed over the collections
// of a round, that is what the round allocated (give or take what its last collection had not yet
// seen). (The line's own `allocated=` is not that: it counts from the last full collection, and
// wraps below zero when the heap shrank.) V8 writes through C's stdio, which holds a file's output
// until 4 KB fill: stdbuf -oL flushes each line, so a round's collections are in the log when the
// round ends.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export const GC_TRACE_FLAGS = ['--trace-gc-nvp'];

/** How to start `command args` so that its collections are logged as they happen. */
export function lineBuffered(command, args) {
  return { command: 'stdbuf', args: ['-oL', command, ...args] };
}

const SIZES = /\btotal_size_before=(\d+) total_size_after=(\d+)/g;

/** Reads `logFile` from where the last mark left it: the bytes allocated since then. */
export function allocationReader(logFile) {
  let offset = 0;
  /** The heap's size after the last collection read. */
  let after;
  const read = () => {
    const size = statSync(logFile).size;
    if (size <= offset) return '';
    const fd = openSync(logFile, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      return buf.toString('latin1');
    } finally {
      closeSync(fd);
    }
  };
  return {
    /** From now on. */
    mark() {
      this.allocatedSinceMark();
    },
    /** Allocated since the mark (and marks again). */
    allocatedSinceMark() {
      let total = 0;
      for (const m of read().matchAll(SIZES)) {
        const before = Number(m[1]);
        if (after !== undefined && before > after) total += before - after;
        after = Number(m[2]);
      }
      return total;
    },
  };
}
