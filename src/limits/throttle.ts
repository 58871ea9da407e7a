/**
 * Admission of activations: OpenWhisk's per-namespace throttles (invocations and trigger fires per
 * minute, concurrent invocations) and one server-wide bound on activations in flight.
 *
 * What counts, and against whom (upstream's Entitlement.checkThrottles, adapted):
 * - every top-level activation — REST invoke, web action call, an action fired by a rule or a
 *   schedule, an API call an action makes — counts once against the namespace that owns the
 *   activation record: the caller for REST invokes (also of a shared package's action), the
 *   action's owner for web calls (as upstream) and for rule- and schedule-started activations;
 * - a sequence counts once: its components are part of it, not new invocations;
 * - a REST trigger fire counts against firesPerMinute of the caller; the activations its rules
 *   start count as invocations (upstream's rules post them back through the API).
 * Only admitted requests are counted: a client that backs off gets capacity back as the window
 * slides (upstream counts refused attempts too, in fixed minutes).
 *
 * The hot path allocates nothing: a rate is a ring of 60 per-second counters with a running total.
 */
import { ApiError } from '../errors.ts';

export interface AdmissionLimits {
  /** Per namespace; 0 = unlimited. */
  invocationsPerMinute: number;
  concurrentInvocations: number;
  firesPerMinute: number;
  /** Server-wide activations admitted and not yet finished; 0 = unlimited. Beyond it: 503. */
  maxInFlight: number;
}

export const THROTTLE_MESSAGES = {
  tooManyRequests: (count: number, allowed: number) => `Too many requests in the last minute (count: ${count}, allowed: ${allowed}).`,
  tooManyConcurrentRequests: (count: number, allowed: number) => `Too many concurrent requests in flight (count: ${count}, allowed: ${allowed}).`,
} as const;

const SLOTS = 60;

/** Events in the last 60 seconds, in per-second buckets (a bucket is cleared when its second comes round again). */
export class MinuteWindow {
  private readonly counts = new Uint32Array(SLOTS);
  private total = 0;
  /** The epoch second of the newest bucket. */
  private second = 0;

  /** Events in the minute ending at epoch second `second`. */
  count(second: number): number {
    this.roll(second);
    return this.total;
  }

  add(second: number): void {
    this.roll(second);
    // After a step back of the clock, the event counts in the newest second.
    this.counts[Math.max(second, this.second) % SLOTS]!++;
    this.total++;
  }

  private roll(second: number): void {
    const gap = second - this.second;
    // A clock that steps back keeps the buckets it has (they expire when it catches up).
    if (gap <= 0) return;
    if (gap >= SLOTS) {
      this.counts.fill(0);
      this.total = 0;
    } else {
      for (let s = this.second + 1; s <= second; s++) {
        const slot = s % SLOTS;
        this.total -= this.counts[slot]!;
        this.counts[slot] = 0;
      }
    }
    this.second = second;
  }
}

class NamespaceUsage {
  readonly invocations = new MinuteWindow();
  readonly fires = new MinuteWindow();
  concurrent = 0;
}

export class Admission {
  readonly limits: Readonly<AdmissionLimits>;
  private readonly now: () => number;
  private readonly usage = new Map<string, NamespaceUsage>();
  private total = 0;
  /** Refusals since start, by reason (for metrics). */
  readonly refused = { rate: 0, concurrency: 0, fires: 0, overload: 0 };

  constructor(limits: AdmissionLimits, now: () => number) {
    const { invocationsPerMinute, concurrentInvocations, firesPerMinute, maxInFlight } = limits;
    this.limits = { invocationsPerMinute, concurrentInvocations, firesPerMinute, maxInFlight };
    this.now = now;
  }

  /** Admits one activation owned by `namespace`, or throws 429/503. Each admission needs one release(). */
  admit(namespace: string): void {
    const { invocationsPerMinute, concurrentInvocations, maxInFlight } = this.limits;
    if (maxInFlight > 0 && this.total >= maxInFlight) {
      this.refused.overload++;
      throw new ApiError('unavailable');
    }
    const usage = this.of(namespace);
    const second = Math.floor(this.now() / 1000);
    if (invocationsPerMinute > 0) {
      const count = usage.invocations.count(second);
      if (count >= invocationsPerMinute) {
        this.refused.rate++;
        throw new ApiError('tooManyRequests', THROTTLE_MESSAGES.tooManyRequests(count + 1, invocationsPerMinute));
      }
    }
    if (concurrentInvocations > 0 && usage.concurrent >= concurrentInvocations) {
      this.refused.concurrency++;
      throw new ApiError('tooManyRequests', THROTTLE_MESSAGES.tooManyConcurrentRequests(usage.concurrent, concurrentInvocations));
    }
    if (invocationsPerMinute > 0) usage.invocations.add(second);
    usage.concurrent++;
    this.total++;
  }

  release(namespace: string): void {
    const usage = this.usage.get(namespace);
    if (usage && usage.concurrent > 0) usage.concurrent--;
    if (this.total > 0) this.total--;
  }

  /** Admits one trigger fire by `namespace`, or throws 429. */
  admitFire(namespace: string): void {
    const { firesPerMinute } = this.limits;
    if (firesPerMinute <= 0) return;
    const usage = this.of(namespace);
    const second = Math.floor(this.now() / 1000);
    const count = usage.fires.count(second);
    if (count >= firesPerMinute) {
      this.refused.fires++;
      throw new ApiError('tooManyRequests', THROTTLE_MESSAGES.tooManyRequests(count + 1, firesPerMinute));
    }
    usage.fires.add(second);
  }

  /** Activations admitted and not yet released: all, or one namespace's. */
  inFlight(namespace?: string): number {
    return namespace === undefined ? this.total : (this.usage.get(namespace)?.concurrent ?? 0);
  }

  private of(namespace: string): NamespaceUsage {
    let usage = this.usage.get(namespace);
    if (usage === undefined) {
      // Only authenticated namespaces and owners of existing actions get here: the map stays small.
      usage = new NamespaceUsage();
      this.usage.set(namespace, usage);
    }
    return usage;
  }
}
