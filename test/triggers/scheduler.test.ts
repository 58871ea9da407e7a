import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from '../../src/clock.ts';
import { Scheduler } from '../../src/triggers/scheduler.ts';
import { FakeClock } from '../helpers/clock.ts';

const SECOND = 1000;

describe('scheduler: one timer for all entries', () => {
  it('arms a single timer for the earliest of many entries', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const scheduler = new Scheduler(clock, (id) => fired.push(id));
    const start = clock.now();
    for (let i = 0; i < 10_000; i++) scheduler.set(`s${i}`, start + 1000 + ((i * 7919) % 10_000) * SECOND);
    expect(scheduler.size).toBe(10_000);
    expect(clock.pending).toBe(1);
    expect(clock.nextTimerAt).toBe(start + 1000);
    clock.advance(1000);
    expect(fired).toEqual(['s0']);
    expect(clock.pending).toBe(1);
  });

  it('fires in time order, each at its own time', () => {
    const clock = new FakeClock();
    const fired: [string, number][] = [];
    const scheduler = new Scheduler(clock, (id) => fired.push([id, clock.now()]));
    const t = clock.now();
    scheduler.set('c', t + 3 * SECOND);
    scheduler.set('a', t + SECOND);
    scheduler.set('b', t + 2 * SECOND);
    clock.advance(10 * SECOND);
    expect(fired).toEqual([['a', t + SECOND], ['b', t + 2 * SECOND], ['c', t + 3 * SECOND]]);
    expect(clock.pending).toBe(0);
  });

  it('moving or deleting an entry re-arms the timer', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const scheduler = new Scheduler(clock, (id) => fired.push(id));
    const t = clock.now();
    scheduler.set('a', t + 5 * SECOND);
    scheduler.set('b', t + 10 * SECOND);
    scheduler.set('a', t + 20 * SECOND);
    expect(clock.nextTimerAt).toBe(t + 10 * SECOND);
    scheduler.delete('b');
    expect(clock.pending).toBe(1);
    expect(clock.nextTimerAt).toBe(t + 20 * SECOND);
    clock.advance(30 * SECOND);
    expect(fired).toEqual(['a']);
  });

  it('an entry re-set from its own fire recurs, and stops when deleted', () => {
    const clock = new FakeClock();
    let scheduler: Scheduler;
    let fires = 0;
    scheduler = new Scheduler(clock, (id) => {
      fires++;
      scheduler.set(id, clock.now() + SECOND);
    });
    scheduler.set('tick', clock.now() + SECOND);
    clock.advance(60 * SECOND);
    expect(fires).toBe(60);
    expect(clock.pending).toBe(1);
    scheduler.delete('tick');
    clock.advance(60 * SECOND);
    expect(fires).toBe(60);
    expect(clock.pending).toBe(0);
  });

  it('an entry re-set to a time already due waits for the next tick instead of looping', () => {
    const clock = new FakeClock();
    let scheduler: Scheduler;
    let fires = 0;
    scheduler = new Scheduler(clock, (id) => {
      fires++;
      if (fires < 3) scheduler.set(id, clock.now());
    });
    scheduler.set('x', clock.now() + SECOND);
    clock.advance(SECOND);
    expect(fires).toBe(3);
  });

  it('waits longer than a timer can take are re-armed in steps', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const scheduler = new Scheduler(clock, () => fired.push(clock.now()));
    const t = clock.now();
    const due = t + 60 * 24 * 3600 * SECOND; // 60 days
    scheduler.set('far', due);
    expect(clock.nextTimerAt).toBe(t + MAX_TIMER_MS);
    clock.advance(MAX_TIMER_MS);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(1);
    clock.advanceTo(due);
    expect(fired).toEqual([due]);
  });

  it('a failing callback does not stop the others', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const scheduler = new Scheduler(clock, (id) => {
      if (id === 'bad') throw new Error('boom');
      fired.push(id);
    });
    scheduler.set('bad', clock.now() + SECOND);
    scheduler.set('good', clock.now() + SECOND);
    const original = console.error;
    console.error = () => {};
    try {
      clock.advance(SECOND);
    } finally {
      console.error = original;
    }
    expect(fired).toEqual(['good']);
  });

  it('close clears the timer', () => {
    const clock = new FakeClock();
    const scheduler = new Scheduler(clock, () => {});
    scheduler.set('a', clock.now() + SECOND);
    scheduler.close();
    expect(clock.pending).toBe(0);
    scheduler.set('b', clock.now() + SECOND);
    expect(clock.pending).toBe(0);
  });
});
