/** Time is injected wherever it matters so tests can run schedules and retention with a fake clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
