/**
 * The alarms feeds' parameters, validated with the messages of apache/openwhisk-package-alarms
 * (each names the parameter at fault). `now` is passed in: dates must lie in the future. Pure.
 */
import { isValidCron, isValidTimeZone, nextFire, type AlarmConfig, type DeleteAfterFire } from './next-fire.ts';

export type AlarmFeed = AlarmConfig['feed'];

/** A parameter the feed cannot accept: becomes the feed activation's `{error}`. */
export class FeedParamError extends Error {}

type Params = Record<string, unknown>;

const MINUTE = 60_000;
const DELETE_AFTER_FIRE: readonly DeleteAfterFire[] = ['false', 'true', 'rules'];

/** The payload each fire posts: an object, or a string wrapped as {payload}. */
export function parsePayload(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return value === '' ? {} : { payload: value };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  return {};
}

/** Epoch ms from a number, a string of digits, or an ISO date; NaN when it is none of those. */
export function parseDate(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string' || value.trim() === '') return Number.NaN;
  return /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function futureDate(value: unknown, name: string, now: number, after?: { value: unknown; at: number }): number {
  const at = parseDate(value);
  if (Number.isNaN(at)) throw new FeedParamError(`${name} parameter '${show(value)}' is not a valid Date`);
  if (at <= now) throw new FeedParamError(`${name} parameter '${show(value)}' must be in the future`);
  if (after && at <= after.at) {
    throw new FeedParamError(`${name} parameter '${show(value)}' must be greater than the startDate parameter '${show(after.value)}'`);
  }
  return at;
}

function given(params: Params, key: string): boolean {
  const value = params[key];
  return value !== undefined && value !== null && value !== '';
}

function parseMinutes(value: unknown): number {
  const minutes = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(minutes)) throw new FeedParamError('the minutes parameter must be an integer');
  if (minutes <= 0) throw new FeedParamError('the minutes parameter must be an integer greater than zero');
  return minutes;
}

function parseDeleteAfterFire(value: unknown): DeleteAfterFire {
  const normalized = String(value).trim().toLowerCase() as DeleteAfterFire;
  if (!DELETE_AFTER_FIRE.includes(normalized)) throw new FeedParamError('deleteAfterFire parameter must be one of [false, true, rules].');
  return normalized;
}

function checkCron(cron: unknown, timezone: string | undefined): string {
  if (typeof cron !== 'string' || !isValidCron(cron, timezone)) throw new FeedParamError(`cron pattern '${show(cron)}' is not valid`);
  return cron;
}

function checkTimeZone(value: unknown): string {
  if (typeof value !== 'string' || !isValidTimeZone(value)) throw new FeedParamError(`timezone parameter '${show(value)}' is not a valid time zone`);
  return value;
}

function parseStrict(value: unknown): boolean {
  return String(value).toLowerCase() === 'true';
}

/** The config of a new schedule from a feed's CREATE parameters. */
export function parseCreate(feed: AlarmFeed, params: Params, now: number): AlarmConfig {
  if (feed === 'once') {
    if (!given(params, 'date')) throw new FeedParamError('alarms once trigger feed is missing the date parameter');
    const date = futureDate(params.date, 'date', now);
    return { feed, date, deleteAfterFire: given(params, 'deleteAfterFire') ? parseDeleteAfterFire(params.deleteAfterFire) : 'false' };
  }
  const startDate = given(params, 'startDate') ? futureDate(params.startDate, 'startDate', now) : undefined;
  let config: AlarmConfig;
  if (feed === 'interval') {
    if (!given(params, 'minutes')) throw new FeedParamError('interval trigger feed is missing the minutes parameter');
    const minutes = parseMinutes(params.minutes);
    config = { feed, minutes, anchor: startDate ?? now + minutes * MINUTE };
  } else {
    if (!given(params, 'cron')) throw new FeedParamError('alarms trigger feed is missing the cron parameter');
    const timezone = given(params, 'timezone') ? checkTimeZone(params.timezone) : undefined;
    config = { feed, cron: checkCron(params.cron, timezone) };
    if (timezone !== undefined) config.timezone = timezone;
    if (given(params, 'strict')) config.strict = parseStrict(params.strict);
  }
  if (startDate !== undefined) config.startDate = startDate;
  if (given(params, 'stopDate')) {
    const base = startDate === undefined ? undefined : { value: params.startDate, at: startDate };
    config.stopDate = futureDate(params.stopDate, 'stopDate', now, base);
    if (nextFire(config, now) === undefined) throw new FeedParamError('the first scheduled trigger fire is not until after the stop date');
  }
  return config;
}

/** UPDATE: the parameters given replace those of `old`; only those given are validated. */
export function parseUpdate(old: AlarmConfig, params: Params, now: number): AlarmConfig {
  const config = { ...old } as AlarmConfig;
  let changed = false;
  if (config.feed === 'once') {
    if (given(params, 'date')) {
      config.date = futureDate(params.date, 'date', now);
      changed = true;
    }
    if (given(params, 'deleteAfterFire')) {
      config.deleteAfterFire = parseDeleteAfterFire(params.deleteAfterFire);
      changed = true;
    }
    return changed || given(params, 'trigger_payload') ? config : noUpdate();
  }
  if (config.feed === 'interval' && given(params, 'minutes')) {
    config.minutes = parseMinutes(params.minutes);
    if (!given(params, 'startDate') && config.startDate === undefined) config.anchor = now + config.minutes * MINUTE;
    changed = true;
  }
  if (config.feed === 'alarm') {
    if (given(params, 'timezone')) {
      config.timezone = checkTimeZone(params.timezone);
      changed = true;
    }
    if (given(params, 'cron') || given(params, 'timezone')) {
      config.cron = checkCron(given(params, 'cron') ? params.cron : config.cron, config.timezone);
      changed = true;
    }
    if (params.strict !== undefined) {
      config.strict = parseStrict(params.strict);
      changed = true;
    }
  }
  if (given(params, 'startDate')) {
    config.startDate = futureDate(params.startDate, 'startDate', now);
    if (config.feed === 'interval') config.anchor = config.startDate;
    changed = true;
  }
  if (given(params, 'stopDate')) {
    const base = config.startDate === undefined ? undefined : { value: params.startDate ?? config.startDate, at: config.startDate };
    config.stopDate = futureDate(params.stopDate, 'stopDate', now, base);
    changed = true;
  } else if (given(params, 'startDate') && config.stopDate !== undefined && config.startDate! >= config.stopDate) {
    throw new FeedParamError(`startDate parameter '${show(params.startDate)}' must be less than the stopDate parameter '${config.stopDate}'`);
  }
  return changed || given(params, 'trigger_payload') ? config : noUpdate();
}

function noUpdate(): never {
  throw new FeedParamError('no updatable parameters were specified');
}
