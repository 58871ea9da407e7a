/** Time is injected wherever it matters so tests can run schedules and retention with a fake clock. */
export interface Clock {
  now(): number;
  /** Calls `callback` once after `ms`; the timer never keeps the process alive on its own. */
  setTimer(callback: () => void, ms: number): Timer;
}

export interface Timer {
  clear(): void;
}

/** Node's timers take at most 2^31 - 1 ms (about 24.8 days); longer waits must be re-armed. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, ms) {
    const handle = setTimeout(callback, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    handle.unref();
    return { clear: () => clearTimeout(handle) };
  },
};
