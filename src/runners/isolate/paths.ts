/**
 * Which path each action's calls take. Every action starts on the slow path (isolated-vm's threads:
 * safe for anything). After PROMOTE_AFTER consecutive calls that each held the isolate under
 * QUICK_MS, it is promoted to the fast path (the event loop: ~20 µs cheaper per call). A fast
 * action whose moving average reaches QUICK_MS, or that overruns the fast slice once, is demoted.
 *
 * Promotion only after a record of quick calls keeps the fast path's one drawback rare: a call
 * that overruns the slice is stopped and run again on a fresh isolate, losing warm module state,
 * as a recycled OpenWhisk container would.
 */
export const QUICK_MS = 1;
export const PROMOTE_AFTER = 16;
const AVERAGE_WEIGHT = 0.2;

interface Profile {
  fast: boolean;
  /** Slow path: consecutive quick calls. Fast path: moving average of call time (ms). */
  streak: number;
  average: number;
}

export class ExecutionPaths {
  private readonly profiles = new Map<string, Profile>();

  isFast(key: string): boolean {
    return this.profiles.get(key)?.fast === true;
  }

  /** Records how long a completed call held its isolate (ms) on the path it took. */
  record(key: string, fast: boolean, ms: number): void {
    let profile = this.profiles.get(key);
    if (!profile) {
      profile = { fast: false, streak: 0, average: 0 };
      this.profiles.set(key, profile);
    }
    if (fast) {
      profile.average = profile.average * (1 - AVERAGE_WEIGHT) + ms * AVERAGE_WEIGHT;
      if (profile.average >= QUICK_MS) this.demote(key);
      return;
    }
    profile.streak = ms < QUICK_MS ? profile.streak + 1 : 0;
    if (profile.streak >= PROMOTE_AFTER) {
      profile.fast = true;
      profile.average = 0;
    }
  }

  demote(key: string): void {
    this.profiles.set(key, { fast: false, streak: 0, average: 0 });
  }

  /** How many actions currently run on the fast path. */
  fastCount(): number {
    let count = 0;
    for (const profile of this.profiles.values()) if (profile.fast) count++;
    return count;
  }

  forget(prefix: string): void {
    for (const key of this.profiles.keys()) if (key.startsWith(prefix)) this.profiles.delete(key);
  }
}
