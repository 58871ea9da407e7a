/** A clock tests move by hand: timers fire in due order as `advance` passes their time. */
import type { Clock, Timer } from '../../src/clock.ts';

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
  cleared: boolean;
}

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): Timer {
    const timer: Pending = { at: this.time + Math.max(0, ms), seq: ++this.seq, callback, cleared: false };
    this.timers.push(timer);
    return {
      clear: () => {
        timer.cleared = true;
      },
    };
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.timers.filter((t) => !t.cleared).length;
  }

  /** When the next live timer is due, if any. */
  get nextTimerAt(): number | undefined {
    const live = this.timers.filter((t) => !t.cleared).sort((a, b) => a.at - b.at || a.seq - b.seq);
    return live[0]?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way at its own time. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cleared);
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.time = Math.max(this.time, next.at);
      next.cleared = true;
      next.callback();
    }
    this.time = Math.max(this.time, target);
  }

  /** Jumps the wall clock without firing anything (a process that was not running). */
  jump(ms: number): void {
    this.time += ms;
  }
}
