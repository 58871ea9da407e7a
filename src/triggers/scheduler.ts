/**
 * One timer for every schedule. Entries (id → next fire time) sit in a min-heap; a single timer is
 * armed for the earliest, so idle cost does not grow with the number of schedules: nothing runs
 * until something is due. Replacing or removing an entry leaves a stale heap item behind that is
 * skipped when it surfaces (and dropped in bulk once stale items outnumber live ones).
 */
import { MAX_TIMER_MS, type Clock, type Timer } from '../clock.ts';
import { MinHeap } from './heap.ts';

interface Entry {
  id: string;
  at: number;
  seq: number;
}

export class Scheduler {
  private readonly clock: Clock;
  private readonly onDue: (id: string, at: number) => void;
  private readonly heap = new MinHeap<Entry>();
  private readonly live = new Map<string, Entry>();
  private seq = 0;
  private timer: Timer | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private ticking = false;
  private closed = false;

  /** `onDue` runs for each entry whose time has come; it may `set` the entry again (the next fire). */
  constructor(clock: Clock, onDue: (id: string, at: number) => void) {
    this.clock = clock;
    this.onDue = onDue;
  }

  get size(): number {
    return this.live.size;
  }

  /** When `id` fires next, if it is scheduled. */
  dueAt(id: string): number | undefined {
    return this.live.get(id)?.at;
  }

  /** Schedules (or moves) `id` to fire at `at`, epoch ms. */
  set(id: string, at: number): void {
    if (this.closed) return;
    const entry = { id, at, seq: ++this.seq };
    this.live.set(id, entry);
    this.heap.push(entry);
    if (this.heap.size > 2 * this.live.size + 64) this.heap.retain((e) => this.live.get(e.id) === e);
    this.arm();
  }

  delete(id: string): void {
    if (!this.live.delete(id)) return;
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.timer?.clear();
    this.timer = undefined;
    this.live.clear();
  }

  private arm(): void {
    if (this.ticking || this.closed) return;
    let top = this.heap.peek();
    while (top && this.live.get(top.id) !== top) {
      this.heap.pop();
      top = this.heap.peek();
    }
    const at = top?.at ?? Number.POSITIVE_INFINITY;
    if (this.timer && at === this.timerAt) return;
    this.timer?.clear();
    this.timer = undefined;
    this.timerAt = at;
    if (top === undefined) return;
    // Long waits are re-armed in steps (a timer takes at most ~24.8 days); a tick with nothing due just re-arms.
    const delay = Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_MS);
    this.timer = this.clock.setTimer(() => this.tick(), delay);
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    // Entries set while this tick runs (the next fires) wait for the next tick, even if already due.
    const lastSeq = this.seq;
    this.ticking = true;
    try {
      for (let top = this.heap.peek(); top && top.at <= now && top.seq <= lastSeq; top = this.heap.peek()) {
        this.heap.pop();
        if (this.live.get(top.id) !== top) continue;
        this.live.delete(top.id);
        try {
          this.onDue(top.id, top.at);
        } catch (error) {
          console.error(`schedule ${top.id}:`, error);
        }
      }
    } finally {
      this.ticking = false;
    }
    this.arm();
  }
}
