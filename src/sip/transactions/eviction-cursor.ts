/**
 * Finds the oldest entry of a transaction table that may be dropped for room, in the Map's
 * insertion order. The iterator is kept from one eviction to the next because a fresh one starts
 * at the Map's first slot and steps over every entry deleted since the last rehash (thousands,
 * with timers and evictions deleting from the front). Everything before its position has been
 * deleted or could not be dropped when passed (such a one ends by its own timers within 64*T1),
 * and entries set later come after it, so the next droppable one it yields is the oldest of those.
 */
export class EvictionCursor<T> {
  /**
   * Made at the first eviction, not before: an iterator that never moves keeps the Map's old hash
   * tables, and what they held, alive through every rehash of a table that never fills.
   */
  private cursor: Iterator<T> | undefined;

  constructor(private readonly entries: Map<string, T>) {}

  /** The oldest entry `droppable` accepts (by default any), at most one pass over the table; undefined if none. */
  next(droppable: (entry: T) => boolean = () => true): T | undefined {
    this.cursor ??= this.entries.values();
    for (let seen = 0, restarted = false; seen <= this.entries.size; ) {
      const next = this.cursor.next();
      // A finished iterator stays finished, blind to entries set after it ended.
      if (next.done) {
        if (restarted) return undefined;
        restarted = true;
        this.cursor = this.entries.values();
        continue;
      }
      seen++;
      if (droppable(next.value)) return next.value;
    }
    return undefined;
  }
}
