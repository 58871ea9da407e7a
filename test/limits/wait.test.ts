/** waitAtMost: the shared-timer wait behind blocking invokes and web calls. */
import { describe, expect, it } from 'vitest';
import { waitAtMost } from '../../src/limits/wait.ts';

const after = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('waitAtMost', () => {
  it('settles with the value of a promise that settles in time', async () => {
    await expect(waitAtMost(after(10, 'done'), 1000)).resolves.toBe('done');
  });

  it('passes a rejection on', async () => {
    await expect(waitAtMost(Promise.reject(new Error('failed')), 1000)).rejects.toThrow('failed');
  });

  it('gives undefined once the limit passes, each wait by its own limit, in any order of arrival', async () => {
    const started = Date.now();
    const timed: Promise<[string, number]>[] = [];
    const track = (name: string, wait: Promise<unknown>): void =>
      void timed.push(wait.then((value) => [`${name}=${String(value)}`, Date.now() - started]));
    // A long limit first, then shorter ones: the shared timer must move earlier for them.
    track('long', waitAtMost(after(5000, 'late'), 300));
    track('short', waitAtMost(after(5000, 'late'), 60));
    track('settles', waitAtMost(after(20, 'on time'), 200));
    track('middle', waitAtMost(after(5000, 'late'), 150));
    const results = await Promise.all(timed);
    const byName = Object.fromEntries(results.map(([name, ms]) => [name, ms]));
    expect(Object.keys(byName).sort()).toEqual(['long=undefined', 'middle=undefined', 'settles=on time', 'short=undefined']);
    expect(byName['short=undefined']).toBeGreaterThanOrEqual(55);
    expect(byName['short=undefined']).toBeLessThan(byName['middle=undefined']!);
    expect(byName['middle=undefined']).toBeGreaterThanOrEqual(145);
    expect(byName['middle=undefined']).toBeLessThan(byName['long=undefined']!);
    expect(byName['long=undefined']).toBeGreaterThanOrEqual(295);
    expect(byName['settles=on time']).toBeLessThan(150);
  });

  it('many waits that settle leave none behind to expire', async () => {
    const values = await Promise.all(Array.from({ length: 1000 }, (_, i) => waitAtMost(Promise.resolve(i), 50)));
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // A later wait still expires on time: the list holds nothing stale that could break the scan.
    const started = Date.now();
    await expect(waitAtMost(new Promise(() => {}), 40)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });
});
