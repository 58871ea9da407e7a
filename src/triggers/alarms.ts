/**
 * In-process alarms: the `/whisk.system/alarms/{alarm,interval,once}` feeds and actions annotated
 * `cron` (OpenServerless). Schedules live in SQLite and in memory; one Scheduler timer fires them.
 *
 * Missed fires: a schedule persists its next fire time. If the server was down when it came, the
 * schedule fires ONCE at start-up (a single catch-up, so a `once` alarm or a daily job is not
 * lost) and then continues from the current time: fires missed in between are never replayed
 * in a burst. The same rule applies when the process is too busy to fire on time.
 */
import type { Clock } from '../clock.ts';
import { badRequest } from '../errors.ts';
import type { ActionDoc } from '../openwhisk/action.ts';
import { getValue, type KeyValue } from '../openwhisk/keyvalues.ts';
import { relativePath } from '../openwhisk/names.ts';
import type { HostCall, HostOutcome } from '../runners/host.ts';
import type { ScheduleStore } from '../store/schedules.ts';
import { FeedParamError, parseCreate, parsePayload, parseUpdate, type AlarmFeed } from './feed-params.ts';
import { cronParserLoaded, isValidCron, loadCronParser, nextFire, type AlarmConfig } from './next-fire.ts';
import { Scheduler } from './scheduler.ts';

export type ScheduleTarget = { kind: 'trigger'; name: string } | { kind: 'action'; path: string };

export interface ScheduleStatus {
  active: boolean;
  dateChanged: number;
  reason?: { kind: 'AUTO'; message: string };
}

/** One schedule: who owns it, what it fires, when. */
export interface Schedule {
  id: string;
  namespace: string;
  target: ScheduleTarget;
  config: AlarmConfig;
  payload: Record<string, unknown>;
  status: ScheduleStatus;
  created: number;
  nextFire: number | undefined;
}

/** What schedules act on; the server wires these to the trigger fire path and the invoker. */
export interface AlarmTargets {
  triggerExists(namespace: string, name: string): boolean;
  /** Fires a trigger as its owner; false when the trigger no longer exists. */
  fireTrigger(namespace: string, name: string, payload: Record<string, unknown>): Promise<boolean>;
  /** Invokes an action (non-blocking, no parameters) as its owner; false when it no longer exists. */
  invokeAction(namespace: string, path: string): Promise<boolean>;
  /** A fired `once` alarm with deleteAfterFire: removes the trigger, and with `withRules` its rules. */
  deleteTrigger(namespace: string, name: string, withRules: boolean): void;
}

export interface AlarmsDeps {
  clock: Clock;
  store: ScheduleStore;
  targets: AlarmTargets;
}

export const FEEDS: readonly AlarmFeed[] = ['alarm', 'interval', 'once'];

/** The `cron` annotation of an action, if it has one: a 5- or 6-field pattern, evaluated in UTC. */
export function cronAnnotation(annotations: KeyValue[]): string | undefined {
  const cron = getValue(annotations, 'cron');
  return typeof cron === 'string' && cron.trim() !== '' ? cron : undefined;
}

/** 400 for a `cron` annotation the scheduler could not run. */
export function checkCronAnnotation(annotations: KeyValue[]): void {
  if (!annotations.some((kv) => kv.key === 'cron')) return;
  const cron = getValue(annotations, 'cron');
  if (cron === false || cron === null || cron === '') return;
  if (typeof cron !== 'string' || !isValidCron(cron)) {
    throw badRequest(`cron annotation: cron pattern '${typeof cron === 'string' ? cron : JSON.stringify(cron)}' is not valid`);
  }
}

const triggerId = (namespace: string, name: string): string => `trigger:${namespace}/${name}`;
const actionId = (namespace: string, path: string): string => `action:${namespace}/${path}`;

export class Alarms {
  private readonly deps: AlarmsDeps;
  private readonly schedules = new Map<string, Schedule>();
  private readonly scheduler: Scheduler;
  private closed = false;

  constructor(deps: AlarmsDeps) {
    this.deps = deps;
    this.scheduler = new Scheduler(deps.clock, (id) => this.due(id));
  }

  /**
   * Loads every schedule and arms the timer; past-due ones fire once right away (see the header).
   * With schedules to arm, `warmUp` (the runner starting the processes their actions will need)
   * and cron-parser (which computes the next fires of cron schedules) come first, so that a fire
   * due at start does not wait on them. The schedules are loaded at once all the same: feeds read
   * and change them meanwhile, and one set meanwhile is armed when set.
   */
  start(warmUp?: () => Promise<unknown>): void {
    for (const row of this.deps.store.all()) {
      const doc = JSON.parse(row.doc) as Omit<Schedule, 'nextFire'>;
      this.schedules.set(doc.id, { ...doc, nextFire: row.nextFire ?? undefined });
    }
    const armable = [...this.schedules.values()].filter((schedule) => schedule.status.active && schedule.nextFire !== undefined);
    if (armable.length === 0) return;
    const first: Promise<unknown>[] = warmUp ? [warmUp()] : [];
    if (!cronParserLoaded() && armable.some((schedule) => schedule.config.feed === 'alarm')) first.push(loadCronParser());
    if (first.length === 0) return this.arm();
    Promise.all(first).then(
      () => this.arm(),
      (error: unknown) => {
        console.error('alarms: getting ready to fire failed:', error);
        this.arm();
      },
    );
  }

  /** Arms every active schedule (again: one set since start is armed already, at the same time). */
  private arm(): void {
    if (this.closed) return;
    for (const schedule of this.schedules.values()) if (schedule.status.active && schedule.nextFire !== undefined) this.scheduler.set(schedule.id, schedule.nextFire);
  }

  /** Stops firing; fires already under way finish but no longer write (the database is closing). */
  close(): void {
    this.closed = true;
    this.scheduler.close();
  }

  /** Schedules held (active or ended). */
  get size(): number {
    return this.schedules.size;
  }

  /** Schedules waiting for their next fire. */
  get armed(): number {
    return this.scheduler.size;
  }

  get(id: string): Schedule | undefined {
    return this.schedules.get(id);
  }

  /**
   * A feed action's lifecycle event (what the openwhisk client's feeds.create/get/update/delete
   * and `wsk trigger create --feed` send). Bad parameters are an application error `{error}`.
   */
  feed(feed: AlarmFeed, call: HostCall): HostOutcome {
    try {
      return { statusCode: 0, result: this.lifecycle(feed, call) };
    } catch (error) {
      if (error instanceof FeedParamError) return { statusCode: 1, result: { error: error.message } };
      throw error;
    }
  }

  /** Keeps an action's `cron` schedule in step with its annotation (after a create or update). */
  syncAction(action: ActionDoc): void {
    const path = relativePath(action);
    const id = actionId(action.namespace, path);
    const cron = cronAnnotation(action.annotations);
    if (cron === undefined || !isValidCron(cron)) {
      this.remove(id);
      return;
    }
    const existing = this.schedules.get(id);
    if (existing && existing.config.feed === 'alarm' && existing.config.cron === cron && existing.status.active) return;
    this.put({ id, namespace: action.namespace, target: { kind: 'action', path }, config: { feed: 'alarm', cron }, payload: {} });
  }

  removeAction(namespace: string, path: string): void {
    this.remove(actionId(namespace, path));
  }

  /** A deleted trigger takes its schedule with it (else it would fire into nothing). */
  removeTrigger(namespace: string, name: string): void {
    this.remove(triggerId(namespace, name));
  }

  private lifecycle(feed: AlarmFeed, { params, namespace: caller }: HostCall): Record<string, unknown> {
    if (typeof params.triggerName !== 'string' || params.triggerName === '') {
      throw new FeedParamError('no trigger name parameter was provided');
    }
    const { namespace, name } = parseTriggerName(params.triggerName, caller);
    // The schedule fires as the trigger's owner: only the owner may set it up.
    if (namespace !== caller) throw new FeedParamError('Trigger authentication request failed.');
    const id = triggerId(namespace, name);
    const now = this.deps.clock.now();
    const existing = this.schedules.get(id);
    switch (params.lifecycleEvent) {
      case 'CREATE': {
        if (!this.deps.targets.triggerExists(namespace, name)) {
          throw new FeedParamError(`Trigger authentication request failed: trigger '/${namespace}/${name}' does not exist.`);
        }
        const config = parseCreate(feed, params, now);
        this.put({ id, namespace, target: { kind: 'trigger', name }, config, payload: parsePayload(params.trigger_payload) });
        return { status: 'success' };
      }
      case 'READ':
        if (!existing) throw new FeedParamError(`no alarm is set for trigger '/${namespace}/${name}'`);
        return readView(existing, name);
      case 'UPDATE': {
        if (!existing || existing.target.kind !== 'trigger') throw new FeedParamError(`no alarm is set for trigger '/${namespace}/${name}'`);
        const config = parseUpdate(existing.config, params, now);
        const payload = params.trigger_payload === undefined ? existing.payload : parsePayload(params.trigger_payload);
        this.put({ id, namespace, target: existing.target, config, payload, created: existing.created });
        return { status: 'success' };
      }
      case 'DELETE':
        // Deleting what is already gone succeeds: the trigger may have been deleted first.
        this.remove(id);
        return { status: 'success' };
      default:
        throw new FeedParamError('unsupported lifecycleEvent');
    }
  }

  private put(input: Omit<Schedule, 'status' | 'nextFire' | 'created'> & { created?: number }): void {
    const now = this.deps.clock.now();
    const nextAt = nextFire(input.config, now);
    const schedule: Schedule = {
      ...input,
      created: input.created ?? now,
      status: nextAt === undefined ? ended(now, 'the schedule has no future fire') : { active: true, dateChanged: now },
      nextFire: nextAt,
    };
    this.schedules.set(schedule.id, schedule);
    this.persist(schedule);
    if (nextAt === undefined) this.scheduler.delete(schedule.id);
    else this.scheduler.set(schedule.id, nextAt);
  }

  private remove(id: string): void {
    this.scheduler.delete(id);
    if (this.schedules.delete(id)) this.deps.store.delete(id);
  }

  private persist(schedule: Schedule): void {
    const { nextFire: next, ...doc } = schedule;
    this.deps.store.put({ id: schedule.id, namespace: schedule.namespace, doc: JSON.stringify(doc), nextFire: next ?? null });
  }

  /** The scheduler says `id` is due: move it to its next fire after now (no catch-up bursts), then fire. */
  private due(id: string): void {
    const schedule = this.schedules.get(id);
    if (!schedule || !schedule.status.active) return;
    if (schedule.config.feed === 'alarm' && !cronParserLoaded()) {
      // cron-parser could not be loaded before (start() logged why): again, as soon as it is.
      loadCronParser().then(
        () => {
          if (!this.closed) this.due(id);
        },
        (error: unknown) => console.error(`schedule ${id}: cannot load cron-parser:`, error),
      );
      return;
    }
    const now = this.deps.clock.now();
    const nextAt = nextFire(schedule.config, now);
    schedule.nextFire = nextAt;
    if (nextAt === undefined) {
      schedule.status = ended(now, schedule.config.feed === 'once' ? 'the alarm has fired' : 'the stop date has passed');
      this.persist(schedule);
    } else {
      this.deps.store.setNextFire(id, nextAt);
      this.scheduler.set(id, nextAt);
    }
    this.dispatch(schedule).catch((error: unknown) => console.error(`schedule ${id}: fire failed:`, error));
  }

  private async dispatch(schedule: Schedule): Promise<void> {
    const { targets } = this.deps;
    const { target, namespace } = schedule;
    const fired = target.kind === 'trigger'
      ? await targets.fireTrigger(namespace, target.name, schedule.payload)
      : await targets.invokeAction(namespace, target.path);
    if (this.closed || this.schedules.get(schedule.id) !== schedule) return; // shut down, replaced or removed meanwhile
    if (!fired) {
      // As the alarms provider disables a trigger that answers 404.
      this.scheduler.delete(schedule.id);
      schedule.status = ended(this.deps.clock.now(), `${target.kind} '/${namespace}/${target.kind === 'trigger' ? target.name : target.path}' does not exist`);
      this.persist(schedule);
      return;
    }
    if (target.kind === 'trigger' && schedule.config.feed === 'once' && schedule.config.deleteAfterFire !== 'false') {
      targets.deleteTrigger(namespace, target.name, schedule.config.deleteAfterFire === 'rules');
      this.remove(schedule.id);
    }
  }
}

function ended(now: number, message: string): ScheduleStatus {
  return { active: false, dateChanged: now, reason: { kind: 'AUTO', message } };
}

/** '/ns/name', '/_/name' or 'name' (the caller's namespace). */
function parseTriggerName(value: string, caller: string): { namespace: string; name: string } {
  if (!value.startsWith('/')) return { namespace: caller, name: value };
  const [, namespace = '', ...rest] = value.split('/');
  const name = rest.join('/');
  if (namespace === '' || name === '') throw new FeedParamError(`trigger name '${value}' is not valid`);
  return { namespace: namespace === '_' ? caller : namespace, name };
}

/** What READ returns, in the alarms provider's shape. */
function readView(schedule: Schedule, name: string): Record<string, unknown> {
  const { config } = schedule;
  const view: Record<string, unknown> = { name, namespace: schedule.namespace, payload: schedule.payload };
  if (config.feed === 'once') {
    view.date = config.date;
    view.deleteAfterFire = config.deleteAfterFire;
  } else {
    if (config.startDate !== undefined) view.startDate = config.startDate;
    if (config.stopDate !== undefined) view.stopDate = config.stopDate;
    if (config.feed === 'interval') view.minutes = config.minutes;
    else {
      view.cron = config.cron;
      if (config.timezone !== undefined) view.timezone = config.timezone;
      view.strict = config.strict ?? false;
    }
  }
  const status: Record<string, unknown> = {
    active: schedule.status.active,
    dateChanged: schedule.status.dateChanged,
    dateChangedISO: new Date(schedule.status.dateChanged).toISOString(),
  };
  if (schedule.status.reason) status.reason = schedule.status.reason;
  if (schedule.nextFire !== undefined) status.nextFire = new Date(schedule.nextFire).toISOString();
  return { config: view, status };
}
