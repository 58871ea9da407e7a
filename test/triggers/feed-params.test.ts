import { describe, expect, it } from 'vitest';
import { FeedParamError, parseCreate, parseDate, parsePayload, parseUpdate } from '../../src/triggers/feed-params.ts';
import { loadCronParser } from '../../src/triggers/next-fire.ts';

// The server loads cron-parser when a pattern is first needed (next-fire.ts); these tests use it directly.
await loadCronParser();

const NOW = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function error(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(FeedParamError);
    return (e as Error).message;
  }
  throw new Error('expected a FeedParamError');
}

describe('alarm feed parameters', () => {
  it('takes a 5- or 6-field cron, a time zone, start and stop dates (ISO or epoch ms)', () => {
    expect(parseCreate('alarm', { cron: '*/5 * * * *' }, NOW)).toEqual({ feed: 'alarm', cron: '*/5 * * * *' });
    expect(parseCreate('alarm', { cron: '* * * * * *', timezone: 'Europe/Rome', startDate: iso(NOW + MINUTE), stopDate: NOW + 10 * MINUTE }, NOW)).toEqual({
      feed: 'alarm',
      cron: '* * * * * *',
      timezone: 'Europe/Rome',
      startDate: NOW + MINUTE,
      stopDate: NOW + 10 * MINUTE,
    });
  });

  it.each([
    [{}, 'alarms trigger feed is missing the cron parameter'],
    [{ cron: 'every minute' }, "cron pattern 'every minute' is not valid"],
    [{ cron: '* * * *' }, "cron pattern '* * * *' is not valid"],
    [{ cron: '* * * * *', timezone: 'Mars/Base' }, "timezone parameter 'Mars/Base' is not a valid time zone"],
    [{ cron: '* * * * *', startDate: 'soon' }, "startDate parameter 'soon' is not a valid Date"],
    [{ cron: '* * * * *', startDate: NOW - 1 }, `startDate parameter '${NOW - 1}' must be in the future`],
    [{ cron: '* * * * *', stopDate: 'never' }, "stopDate parameter 'never' is not a valid Date"],
    [
      { cron: '* * * * *', startDate: NOW + 2 * MINUTE, stopDate: NOW + MINUTE },
      `stopDate parameter '${NOW + MINUTE}' must be greater than the startDate parameter '${NOW + 2 * MINUTE}'`,
    ],
    [{ cron: '0 0 1 1 *', stopDate: NOW + MINUTE }, 'the first scheduled trigger fire is not until after the stop date'],
  ])('%j → %s', (params, message) => {
    expect(error(() => parseCreate('alarm', params, NOW))).toBe(message);
  });
});

describe('interval and once feed parameters', () => {
  it('interval: the first fire is one interval away, or at startDate', () => {
    expect(parseCreate('interval', { minutes: 5 }, NOW)).toEqual({ feed: 'interval', minutes: 5, anchor: NOW + 5 * MINUTE });
    expect(parseCreate('interval', { minutes: '2', startDate: NOW + MINUTE }, NOW)).toEqual({ feed: 'interval', minutes: 2, anchor: NOW + MINUTE, startDate: NOW + MINUTE });
  });

  it.each([
    [{}, 'interval trigger feed is missing the minutes parameter'],
    [{ minutes: 1.5 }, 'the minutes parameter must be an integer'],
    [{ minutes: 'x' }, 'the minutes parameter must be an integer'],
    [{ minutes: -3 }, 'the minutes parameter must be an integer greater than zero'],
  ])('interval %j → %s', (params, message) => {
    expect(error(() => parseCreate('interval', params, NOW))).toBe(message);
  });

  it('once: a future date, deleteAfterFire false by default', () => {
    expect(parseCreate('once', { date: iso(NOW + MINUTE) }, NOW)).toEqual({ feed: 'once', date: NOW + MINUTE, deleteAfterFire: 'false' });
    expect(parseCreate('once', { date: NOW + MINUTE, deleteAfterFire: true }, NOW)).toMatchObject({ deleteAfterFire: 'true' });
    expect(parseCreate('once', { date: NOW + MINUTE, deleteAfterFire: 'Rules' }, NOW)).toMatchObject({ deleteAfterFire: 'rules' });
  });

  it.each([
    [{}, 'alarms once trigger feed is missing the date parameter'],
    [{ date: 'tomorrow' }, "date parameter 'tomorrow' is not a valid Date"],
    [{ date: iso(NOW - MINUTE) }, `date parameter '${iso(NOW - MINUTE)}' must be in the future`],
    [{ date: NOW + MINUTE, deleteAfterFire: 'maybe' }, 'deleteAfterFire parameter must be one of [false, true, rules].'],
  ])('once %j → %s', (params, message) => {
    expect(error(() => parseCreate('once', params, NOW))).toBe(message);
  });
});

describe('updates', () => {
  it('replace only what is given, validating only that', () => {
    const old = parseCreate('alarm', { cron: '* * * * *', startDate: NOW + MINUTE }, NOW);
    // The old startDate has passed by now: it is not re-validated.
    const later = NOW + 5 * MINUTE;
    expect(parseUpdate(old, { cron: '*/2 * * * *' }, later)).toEqual({ ...old, cron: '*/2 * * * *' });
    expect(parseUpdate(old, { trigger_payload: { a: 1 } }, later)).toEqual(old);
    expect(error(() => parseUpdate(old, {}, later))).toBe('no updatable parameters were specified');
    expect(error(() => parseUpdate(old, { cron: 'x' }, later))).toBe("cron pattern 'x' is not valid");
  });

  it('an interval without a start date restarts its period on a new minutes value', () => {
    const old = parseCreate('interval', { minutes: 5 }, NOW);
    expect(parseUpdate(old, { minutes: 1 }, NOW + MINUTE)).toEqual({ feed: 'interval', minutes: 1, anchor: NOW + 2 * MINUTE });
  });
});

describe('payloads and dates', () => {
  it('wraps a string payload, keeps an object, ignores the rest', () => {
    expect(parsePayload('hi')).toEqual({ payload: 'hi' });
    expect(parsePayload('')).toEqual({});
    expect(parsePayload({ a: 1 })).toEqual({ a: 1 });
    expect(parsePayload(undefined)).toEqual({});
    expect(parsePayload([1])).toEqual({});
  });

  it('reads ISO strings, epoch ms and digit strings', () => {
    expect(parseDate('2030-01-01T00:00:00.000Z')).toBe(NOW);
    expect(parseDate(NOW)).toBe(NOW);
    expect(parseDate(String(NOW))).toBe(NOW);
    expect(parseDate('nope')).toBeNaN();
    expect(parseDate(null)).toBeNaN();
  });
});
