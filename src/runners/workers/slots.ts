/**
 * The calls a worker process is running, by the id the table gives each: an array of slots reused
 * through a free list, instead of a Map taking and dropping an entry per call.
 *
 * Why not a Map: V8 rebuilds a Map's hash table as entries come and go, and the table it leaves
 * behind, once it sits in the old generation, still points at the calls it held. Young-generation
 * collections cannot tell it is dead, so each of those calls — with everything its promise leads
 * to: the request, its parameters, the waiting handler — survives and is promoted, to be freed
 * only by a full collection. At 15k calls/s that was over a megabyte per scavenge on the server's
 * main thread (measured with --trace-gc-nvp, web action under `wrk -c64`, records off: survived
 * 1.8 → 0.25 MB per scavenge, promoted 1.3 → 0.07 MB, mean scavenge 4.4 → 1.0 ms, 10% more
 * requests/s once calls were not held that way). An array only leaves one behind when it grows.
 *
 * An id is its slot plus a generation count of that slot, so a late answer to a call that was
 * moved or given up (a dead worker's) never finds the call that reuses the slot.
 */

/** Ids stay below 2^53: slots up to 2^24 (16M calls at once), generations counted modulo 2^29. */
const SLOT_SPACE = 2 ** 24;
const GENERATIONS = 2 ** 29;

export class Slots<T> {
  private readonly values: (T | undefined)[] = [];
  private readonly generations: number[] = [];
  private readonly free: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Stores `value`; returns its id. */
  add(value: T): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.values.length >= SLOT_SPACE) throw new Error(`more than ${SLOT_SPACE} calls in one worker`);
      slot = this.values.length;
      this.values.push(value);
      this.generations.push(0);
    } else {
      this.values[slot] = value;
    }
    this.count++;
    return this.generations[slot]! * SLOT_SPACE + slot;
  }

  get(id: number): T | undefined {
    const slot = id % SLOT_SPACE;
    return this.generations[slot] === Math.floor(id / SLOT_SPACE) ? this.values[slot] : undefined;
  }

  /** Removes and returns what `id` holds (undefined if nothing, or it was taken already). */
  take(id: number): T | undefined {
    const value = this.get(id);
    if (value === undefined) return undefined;
    const slot = id % SLOT_SPACE;
    this.release(slot);
    this.count--;
    return value;
  }

  /** Everything held, in slot order. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const value of this.values) if (value !== undefined) yield value;
  }

  /** Removes everything; returns it. */
  drain(): T[] {
    const held = [...this];
    for (let slot = 0; slot < this.values.length; slot++) {
      if (this.values[slot] !== undefined) this.release(slot);
    }
    this.count = 0;
    return held;
  }

  /**
   * Empties the slot for reuse under the next generation (the busiest slot is reused at every call:
   * the count wraps, after half a billion uses of one slot, long after any answer to a call in it).
   */
  private release(slot: number): void {
    this.values[slot] = undefined;
    this.generations[slot] = (this.generations[slot]! + 1) % GENERATIONS;
    this.free.push(slot);
  }
}
