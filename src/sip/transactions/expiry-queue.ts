/**
 * Deadlines that all have the same length, kept in one FIFO behind one timer. A table's
 * transactions wait the same time in a given state (Timer J is 64*T1 for every non-INVITE server
 * transaction on UDP, RFC 3261 §17.2.2; Timer K is T4 for every non-INVITE client one, §17.1.2.2),
 * so the order they enter that state is the order they leave it: a queue of (due time, item) with
 * a timer for its head replaces a timer per transaction. Under a flood a table holds thousands of
 * such transactions, and each timer was an object of the runtime's, a closure and an entry in its
 * timer lists.
 *
 * An entry leaves the queue early in O(1) (a doubly linked list): a transaction dropped for room or
 * ended by a transport error must not stay behind, or the queue would hold every transaction of the
 * last 64*T1 however few the table keeps.
 */
import type { Clock } from '../../clock.js';

/** Where an item waits; given back to `remove`. */
export interface ExpiryEntry {
  readonly due: number;
}

interface Node<T> extends ExpiryEntry {
  due: number;
  /** Undefined once the entry has left the queue (expired or removed). */
  item: T | undefined;
  prev: Node<T> | undefined;
  next: Node<T> | undefined;
}

export class ExpiryQueue<T> {
  private head: Node<T> | undefined;
  private tail: Node<T> | undefined;
  private count = 0;
  /** Armed for the head's due time, or earlier when the head it was armed for has been removed. */
  private timer: unknown;

  /**
   * @param lifetimeMs every entry's wait, the same for all (what keeps the FIFO in expiry order)
   * @param expire called with each item whose time has come, after it has left the queue
   */
  constructor(
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
    private readonly expire: (item: T) => void,
  ) {
    if (!Number.isFinite(lifetimeMs) || lifetimeMs < 0) throw new RangeError(`lifetimeMs must be a number of ms, not ${lifetimeMs}`);
  }

  /** Queue `item` to expire `lifetimeMs` from now. */
  add(item: T): ExpiryEntry {
    // A wall clock set back must not put a later entry before earlier ones: the FIFO is the order.
    const due = Math.max(this.clock.now() + this.lifetimeMs, this.tail?.due ?? -Infinity);
    const node: Node<T> = { due, item, prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count++;
    if (this.timer === undefined) this.arm();
    return node;
  }

  /** Take an entry out before its time; nothing if it has left the queue already. */
  remove(entry: ExpiryEntry): void {
    const node = entry as Node<T>;
    if (node.item === undefined) return;
    this.unlink(node);
    // A timer armed for a head that left stays armed: it fires early once and re-arms for the new
    // head, which costs less than clearing and setting a timer on every removal. Only an empty
    // queue clears it, so that nothing is left to fire (or to hold a test's fake clock).
    if (this.head === undefined) this.disarm();
  }

  get size(): number {
    return this.count;
  }

  private unlink(node: Node<T>): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.item = undefined;
    node.prev = undefined;
    node.next = undefined;
    this.count--;
  }

  private arm(): void {
    if (!this.head) return;
    this.timer = this.clock.setTimeout(() => this.sweep(), this.head.due - this.clock.now());
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    this.timer = undefined;
    const now = this.clock.now();
    try {
      while (this.head && this.head.due <= now) {
        const node = this.head;
        const item = node.item as T;
        this.unlink(node);
        this.expire(item);
      }
    } finally {
      // One timer stands for every entry: if an expiry throws, the rest must still expire.
      if (this.timer === undefined) this.arm();
    }
  }
}
