/**
 * The location service (RFC 3261 §10): bindings in memory by AOR, expiry owned here, and events on
 * every change so that persistence, federation presence and offline delivery can follow along.
 *
 * Expiry runs on one timer armed for the earliest `expiresAt`; lookups also skip anything already
 * past its time, so a late timer never hands out a dead binding.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { sameBinding, type Binding, type BindingEvent, type BindingIdentity } from './binding.js';

export type BindingListener = (event: BindingEvent) => void;

/** Node's setTimeout takes at most a signed 32-bit delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class Location {
  private readonly byAor = new Map<string, Binding[]>();
  private readonly listeners = new Set<BindingListener>();
  private timer: unknown;
  private timerAt = Infinity;

  constructor(private readonly deps: { clock: Clock; logger: Logger }) {}

  /** The AOR's live bindings, most preferred first (q descending, then newest). */
  lookup(aor: string): Binding[] {
    const now = this.deps.clock.now();
    const list = (this.byAor.get(aor) ?? []).filter((b) => b.expiresAt > now);
    return list.sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.registeredAt - a.registeredAt);
  }

  all(): Binding[] {
    const now = this.deps.clock.now();
    return [...this.byAor.values()].flat().filter((b) => b.expiresAt > now);
  }

  /** Add the binding, or replace the one it is the same as (`sameBinding`). */
  save(binding: Binding): 'added' | 'refreshed' {
    const list = this.byAor.get(binding.aor) ?? [];
    const at = list.findIndex((b) => sameBinding(b, binding));
    const type = at < 0 ? 'added' : 'refreshed';
    if (at < 0) list.push(binding);
    else list[at] = binding;
    this.byAor.set(binding.aor, list);
    // Only an earlier expiry moves the timer; finding the earliest of all bindings would cost a
    // scan of every binding on every REGISTER. A timer left early by a refresh fires, finds
    // nothing due and is armed again from a full scan.
    if (binding.expiresAt < this.timerAt) this.arm(binding.expiresAt);
    this.emit({ type, binding });
    return type;
  }

  /** Remove one binding of the AOR, named by its Contact URI (or by instance and reg-id). */
  remove(aor: string, contact: string | BindingIdentity): Binding | undefined {
    const identity = typeof contact === 'string' ? { contact } : contact;
    const [removed] = this.removeWhere(aor, (b) => sameBinding(b, identity), 'removed');
    this.schedule();
    return removed;
  }

  /** Remove every binding of the AOR (`Contact: *`, or an account deleted). */
  removeUser(aor: string): Binding[] {
    const removed = this.removeWhere(aor, () => true, 'removed');
    this.schedule();
    return removed;
  }

  /** A connection closed: those of its bindings that `dies` picks are unreachable now (flow-bound.ts). */
  removeFlow(flowId: string, dies: (binding: Binding) => boolean = () => true): Binding[] {
    const removed: Binding[] = [];
    for (const aor of [...this.byAor.keys()]) {
      removed.push(...this.removeWhere(aor, (b) => b.flowId === flowId && dies(b), 'removed'));
    }
    this.schedule();
    return removed;
  }

  /** Subscribe to changes; returns the function that unsubscribes. */
  onChange(listener: BindingListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop the expiry timer (at shutdown). */
  close(): void {
    this.disarm();
  }

  /** The caller re-arms the expiry timer (`schedule`) once it is done removing. */
  private removeWhere(aor: string, pred: (b: Binding) => boolean, type: 'removed' | 'expired'): Binding[] {
    const list = this.byAor.get(aor);
    if (!list) return [];
    const removed = list.filter(pred);
    if (removed.length === 0) return [];
    const kept = list.filter((b) => !pred(b));
    if (kept.length === 0) this.byAor.delete(aor);
    else this.byAor.set(aor, kept);
    for (const binding of removed) this.emit({ type, binding });
    return removed;
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.deps.clock.now();
    for (const aor of [...this.byAor.keys()]) this.removeWhere(aor, (b) => b.expiresAt <= now, 'expired');
    this.schedule();
  }

  /** Arm the timer for the earliest expiry of all bindings, or for none when there are none. */
  private schedule(): void {
    let earliest = Infinity;
    for (const list of this.byAor.values()) for (const b of list) earliest = Math.min(earliest, b.expiresAt);
    if (earliest === this.timerAt) return;
    if (earliest === Infinity) this.disarm();
    else this.arm(earliest);
  }

  private arm(at: number): void {
    this.disarm();
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, at - this.deps.clock.now()));
    this.timerAt = at;
    this.timer = this.deps.clock.setTimeout(() => this.sweep(), delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private emit(event: BindingEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // One broken subscriber must not undo a registration or stop the others from hearing of it.
        this.deps.logger.error(`location listener failed on ${event.type} ${event.binding.aor}: ${(err as Error).message}`);
      }
    }
  }
}
