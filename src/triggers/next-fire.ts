/**
 * When a schedule fires next: cron (5 or 6 fields, seconds first), fixed intervals, one date. Pure
 * once cron-parser is loaded: it loads when a cron pattern is first needed (loadCronParser), since
 * it and luxon are over a third of the server's code and about 2.5 MB of its memory, and most
 * servers never see a cron pattern. The functions that read patterns need it loaded.
 */
import type { CronExpressionParser } from 'cron-parser';

export type DeleteAfterFire = 'false' | 'true' | 'rules';

/** A schedule's definition, as the feeds take it (dates as epoch ms). */
export type AlarmConfig =
  | { feed: 'alarm'; cron: string; timezone?: string; startDate?: number; stopDate?: number; strict?: boolean }
  /** Fires at anchor + k·minutes, k ≥ 0: anchor is startDate, or creation + one interval. */
  | { feed: 'interval'; minutes: number; anchor: number; startDate?: number; stopDate?: number }
  | { feed: 'once'; date: number; deleteAfterFire: DeleteAfterFire };

const MINUTE = 60_000;

let parser: typeof CronExpressionParser | undefined;

/** Loads cron-parser (once); the callers of isValidCron and nextFire on alarm schedules await it first. */
export async function loadCronParser(): Promise<void> {
  parser ??= (await import('./cron-parser.ts')).CronExpressionParser;
}

export function cronParserLoaded(): boolean {
  return parser !== undefined;
}

function cronParser(): typeof CronExpressionParser {
  if (parser === undefined) throw new Error('cron-parser is not loaded: await loadCronParser() first');
  return parser;
}

/** The first fire strictly after `after`, or undefined when the schedule has no more. */
export function nextFire(config: AlarmConfig, after: number): number | undefined {
  switch (config.feed) {
    case 'once':
      return config.date > after ? config.date : undefined;
    case 'interval': {
      const period = config.minutes * MINUTE;
      const at = after < config.anchor ? config.anchor : config.anchor + (Math.floor((after - config.anchor) / period) + 1) * period;
      return config.stopDate !== undefined && at > config.stopDate ? undefined : at;
    }
    case 'alarm': {
      // Fires at or after startDate: the cron's next time strictly after startDate - 1 ms.
      const from = config.startDate !== undefined && config.startDate - 1 > after ? config.startDate - 1 : after;
      const at = nextCronTime(config.cron, from, config.timezone);
      return at === undefined || (config.stopDate !== undefined && at > config.stopDate) ? undefined : at;
    }
  }
}

/** The cron's next time strictly after `after`; undefined if it has none (or the pattern is invalid). */
export function nextCronTime(cron: string, after: number, timezone?: string): number | undefined {
  const expressions = cronParser();
  try {
    const options = timezone === undefined ? { currentDate: after } : { currentDate: after, tz: timezone };
    return expressions.parse(cron, options).next().getTime();
  } catch {
    return undefined;
  }
}

/** 5 fields (minute first) or 6 (second first), as the alarms package accepts; cron-parser would also take 4. */
export function isValidCron(cron: string, timezone?: string): boolean {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return false;
  const expressions = cronParser();
  try {
    expressions.parse(cron, timezone === undefined ? {} : { tz: timezone });
    return true;
  } catch {
    return false;
  }
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
