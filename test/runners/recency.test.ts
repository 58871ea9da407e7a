import { describe, expect, it } from 'vitest';
import { Recency } from '../../src/runners/isolate/recency.ts';

describe('Recency (the pool’s least-recently-used order)', () => {
  it('keeps items least recently used first, whether the one used is the newest or not', () => {
    const order = new Recency<string>();
    for (const item of ['a', 'b', 'c']) order.use(item);
    expect([...order]).toEqual(['a', 'b', 'c']);
    order.use('c');
    expect([...order]).toEqual(['a', 'b', 'c']);
    order.use('a');
    expect([...order]).toEqual(['b', 'c', 'a']);
    order.use('b');
    expect([...order]).toEqual(['c', 'a', 'b']);
    expect(order.size).toBe(3);
  });

  it('forgets the newest when it is deleted: using it again adds it back', () => {
    const order = new Recency<string>();
    order.use('a');
    order.use('b');
    order.delete('b');
    expect([...order]).toEqual(['a']);
    order.use('b');
    expect([...order]).toEqual(['a', 'b']);
    order.delete('a');
    order.use('b');
    expect([...order]).toEqual(['b']);
    expect(order.size).toBe(1);
  });
});
