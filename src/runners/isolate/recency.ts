/**
 * A set kept in order of use, least recently used first. `use` moves an item to the end, but not
 * the item already there: a V8 Set rehashes when an item is deleted from a small table, so moving
 * the one warm isolate a worker holds on every call (delete, then add) rehashed its table every
 * call — 1% of a worker's CPU at one call per write (perf, bench/servers/worker-driver.ts).
 */
export class Recency<T> implements Iterable<T> {
  private readonly items = new Set<T>();
  private newest: T | undefined;

  get size(): number {
    return this.items.size;
  }

  /** Adds `item` as the most recently used (or makes it so). */
  use(item: T): T {
    if (item === this.newest) return item;
    this.items.delete(item);
    this.items.add(item);
    this.newest = item;
    return item;
  }

  delete(item: T): void {
    this.items.delete(item);
    if (item === this.newest) this.newest = undefined;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items.values();
  }
}
