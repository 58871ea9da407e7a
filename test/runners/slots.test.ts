/** The isolate workers' call table: ids, reuse, stale ids, iteration. */
import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/runners/workers/slots.ts';

describe('Slots', () => {
  it('gives each value an id that finds it until it is taken', () => {
    const slots = new Slots<string>();
    const a = slots.add('a');
    const b = slots.add('b');
    expect(a).not.toBe(b);
    expect(slots.get(a)).toBe('a');
    expect(slots.size).toBe(2);
    expect(slots.take(a)).toBe('a');
    expect(slots.get(a)).toBeUndefined();
    expect(slots.take(a)).toBeUndefined();
    expect(slots.size).toBe(1);
    expect([...slots]).toEqual(['b']);
  });

  it('a reused slot gets a new id: a late answer to the old one finds nothing', () => {
    const slots = new Slots<string>();
    const first = slots.add('first');
    slots.take(first);
    const second = slots.add('second');
    expect(second).not.toBe(first);
    expect(slots.get(first)).toBeUndefined();
    expect(slots.take(first)).toBeUndefined();
    expect(slots.get(second)).toBe('second');
  });

  it('ids never repeat while values come and go, and ids that were never given find nothing', () => {
    const slots = new Slots<number>();
    const seen = new Set<number>();
    const live: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = slots.add(i);
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      live.push(id);
      // Keep between 0 and ~64 in the table, taken out of order.
      if (live.length > 64 || i % 7 === 0) slots.take(live.splice(i % live.length, 1)[0]!);
    }
    expect(slots.size).toBe(live.length);
    for (const id of live) expect(slots.get(id)).toBeTypeOf('number');
    expect(slots.get(123_456_789)).toBeUndefined();
    expect(slots.get(-1)).toBeUndefined();
  });

  it('drain empties the table, returns what it held, and old ids find nothing after', () => {
    const slots = new Slots<string>();
    const ids = ['x', 'y', 'z'].map((v) => slots.add(v));
    slots.take(ids[1]!);
    expect(slots.drain()).toEqual(['x', 'z']);
    expect(slots.size).toBe(0);
    expect([...slots]).toEqual([]);
    for (const id of ids) expect(slots.get(id)).toBeUndefined();
    const again = slots.add('again');
    expect(ids).not.toContain(again);
    expect(slots.get(again)).toBe('again');
  });
});
