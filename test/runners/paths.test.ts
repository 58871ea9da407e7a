import { describe, expect, it } from 'vitest';
import { ExecutionPaths, PROMOTE_AFTER, QUICK_MS } from '../../src/runners/isolate/paths.ts';

describe('ExecutionPaths', () => {
  it('starts every action on the slow path', () => {
    expect(new ExecutionPaths().isFast('a')).toBe(false);
  });

  it(`promotes after ${PROMOTE_AFTER} consecutive quick calls, not before`, () => {
    const paths = new ExecutionPaths();
    for (let i = 0; i < PROMOTE_AFTER - 1; i++) paths.record('a', false, 0.05);
    expect(paths.isFast('a')).toBe(false);
    paths.record('a', false, 0.05);
    expect(paths.isFast('a')).toBe(true);
    expect(paths.fastCount()).toBe(1);
  });

  it('a slow call resets the streak', () => {
    const paths = new ExecutionPaths();
    for (let i = 0; i < PROMOTE_AFTER - 1; i++) paths.record('a', false, 0.05);
    paths.record('a', false, QUICK_MS * 5);
    for (let i = 0; i < PROMOTE_AFTER - 1; i++) paths.record('a', false, 0.05);
    expect(paths.isFast('a')).toBe(false);
  });

  it('demotes a fast action whose moving average reaches the threshold, but not for one pause', () => {
    const paths = new ExecutionPaths();
    for (let i = 0; i < PROMOTE_AFTER; i++) paths.record('a', false, 0.05);
    paths.record('a', true, 3); // one GC pause: average 0.6 ms
    expect(paths.isFast('a')).toBe(true);
    for (let i = 0; i < 5; i++) paths.record('a', true, 3);
    expect(paths.isFast('a')).toBe(false);
  });

  it('forgets every version of an action by prefix', () => {
    const paths = new ExecutionPaths();
    for (let i = 0; i < PROMOTE_AFTER; i++) {
      paths.record('guest/a@0.0.1#1', false, 0.05);
      paths.record('guest/b@0.0.1#1', false, 0.05);
    }
    paths.forget('guest/a@');
    expect(paths.isFast('guest/a@0.0.1#1')).toBe(false);
    expect(paths.isFast('guest/b@0.0.1#1')).toBe(true);
  });
});
