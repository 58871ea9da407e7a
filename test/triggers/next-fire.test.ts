import { describe, expect, it } from 'vitest';
import { isValidCron, isValidTimeZone, loadCronParser, nextCronTime, nextFire } from '../../src/triggers/next-fire.ts';

// The server loads cron-parser when a pattern is first needed (next-fire.ts); these tests use it directly.
await loadCronParser();

const T = Date.UTC(2030, 0, 1, 0, 0, 0); // a Tuesday, midnight UTC
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('cron patterns', () => {
  it.each([
    ['* * * * *', true],
    ['*/5 * * * *', true],
    ['* * * * * *', true],
    ['30 */2 * * * *', true],
    ['0 9 * * 1-5', true],
    ['* * * *', false], // cron-parser alone would take 4 fields
    ['* * * * * * *', false],
    ['61 * * * *', false],
    ['bad cron', false],
    ['', false],
  ])('%j valid: %s', (cron, valid) => {
    expect(isValidCron(cron)).toBe(valid);
  });

  it('5 fields step by minutes, 6 by seconds, strictly after the given time', () => {
    expect(nextCronTime('* * * * *', T)).toBe(T + MINUTE);
    expect(nextCronTime('* * * * * *', T)).toBe(T + SECOND);
    expect(nextCronTime('* * * * * *', T + 3)).toBe(T + SECOND);
    expect(nextCronTime('*/15 * * * * *', T + 20 * SECOND)).toBe(T + 30 * SECOND);
  });

  it('evaluates in the given time zone', () => {
    // Midnight in Rome is 23:00 UTC in winter.
    expect(nextCronTime('0 0 * * *', T, 'Europe/Rome')).toBe(T + 23 * 60 * MINUTE);
    expect(isValidTimeZone('Europe/Rome')).toBe(true);
    expect(isValidTimeZone('Nowhere/City')).toBe(false);
  });
});

describe('nextFire', () => {
  it('alarm: cron times, from startDate on, none after stopDate', () => {
    const config = { feed: 'alarm' as const, cron: '*/10 * * * * *' };
    expect(nextFire(config, T)).toBe(T + 10 * SECOND);
    expect(nextFire({ ...config, startDate: T + 35 * SECOND }, T)).toBe(T + 40 * SECOND);
    expect(nextFire({ ...config, startDate: T + 40 * SECOND }, T)).toBe(T + 40 * SECOND); // startDate itself may fire
    expect(nextFire({ ...config, stopDate: T + 25 * SECOND }, T + 15 * SECOND)).toBe(T + 20 * SECOND);
    expect(nextFire({ ...config, stopDate: T + 25 * SECOND }, T + 20 * SECOND)).toBeUndefined();
  });

  it('interval: anchor + k·minutes, never in a burst after a gap', () => {
    const config = { feed: 'interval' as const, minutes: 5, anchor: T + 5 * MINUTE };
    expect(nextFire(config, T)).toBe(T + 5 * MINUTE);
    expect(nextFire(config, T + 5 * MINUTE)).toBe(T + 10 * MINUTE);
    expect(nextFire(config, T + 7 * MINUTE)).toBe(T + 10 * MINUTE);
    expect(nextFire(config, T + 3 * 60 * MINUTE + 1)).toBe(T + 3 * 60 * MINUTE + 5 * MINUTE);
    expect(nextFire({ ...config, stopDate: T + 12 * MINUTE }, T + 10 * MINUTE)).toBeUndefined();
  });

  it('once: its date while in the future, then nothing', () => {
    const config = { feed: 'once' as const, date: T + MINUTE, deleteAfterFire: 'false' as const };
    expect(nextFire(config, T)).toBe(T + MINUTE);
    expect(nextFire(config, T + MINUTE)).toBeUndefined();
  });
});
