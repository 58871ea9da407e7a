/** The alarms service on a fake clock and a real SQLite file: lifecycle, firing, restarts, idle cost. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.ts';
import type { ActionDoc } from '../../src/openwhisk/action.ts';
import { openDatabase, type Db } from '../../src/store/db.ts';
import { ScheduleStore } from '../../src/store/schedules.ts';
import { Alarms, type AlarmTargets } from '../../src/triggers/alarms.ts';
import { loadCronParser } from '../../src/triggers/next-fire.ts';
import { FakeClock } from '../helpers/clock.ts';

// The server loads cron-parser when a pattern is first needed (next-fire.ts); these tests use it directly.
await loadCronParser();

const SECOND = 1000;
const MINUTE = 60 * SECOND;

interface Fire {
  kind: 'trigger' | 'action';
  namespace: string;
  name: string;
  payload?: Record<string, unknown>;
  at: number;
}

class FakeTargets implements AlarmTargets {
  readonly fires: Fire[] = [];
  readonly deleted: [string, string, boolean][] = [];
  triggers = new Set(['guest/t', 'guest/u']);
  private readonly clock: Clock;
  constructor(clock: Clock) {
    this.clock = clock;
  }
  triggerExists(namespace: string, name: string): boolean {
    return this.triggers.has(`${namespace}/${name}`);
  }
  async fireTrigger(namespace: string, name: string, payload: Record<string, unknown>): Promise<boolean> {
    if (!this.triggerExists(namespace, name)) return false;
    this.fires.push({ kind: 'trigger', namespace, name, payload, at: this.clock.now() });
    return true;
  }
  async invokeAction(namespace: string, path: string): Promise<boolean> {
    this.fires.push({ kind: 'action', namespace, name: path, at: this.clock.now() });
    return true;
  }
  deleteTrigger(namespace: string, name: string, withRules: boolean): void {
    this.deleted.push([namespace, name, withRules]);
    this.triggers.delete(`${namespace}/${name}`);
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('alarms service', () => {
  let dir: string;
  let db: Db;
  let clock: FakeClock;
  let targets: FakeTargets;
  let alarms: Alarms;
  const open = (): Alarms => {
    const service = new Alarms({ clock, store: new ScheduleStore(db), targets });
    service.start();
    return service;
  };
  const feed = (kind: 'alarm' | 'interval' | 'once', params: Record<string, unknown>, namespace = 'guest') =>
    alarms.feed(kind, { namespace, params: { triggerName: '/_/t', authKey: 'k', ...params } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgewhisk-alarms-'));
    db = openDatabase(dir);
    clock = new FakeClock();
    targets = new FakeTargets(clock);
    alarms = open();
  });
  afterEach(() => {
    alarms.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CREATE → fires on every cron time with the payload; READ shows it; DELETE stops it', async () => {
    expect(feed('alarm', { lifecycleEvent: 'CREATE', cron: '* * * * *', trigger_payload: { hello: 'alarm' } })).toEqual({ statusCode: 0, result: { status: 'success' } });
    const start = clock.now();
    clock.advance(5 * MINUTE);
    await flush();
    expect(targets.fires.map((f) => f.at - start)).toEqual([1, 2, 3, 4, 5].map((m) => m * MINUTE));
    expect(targets.fires[0]).toMatchObject({ kind: 'trigger', namespace: 'guest', name: 't', payload: { hello: 'alarm' } });
    expect(clock.pending).toBe(1);

    const read = feed('alarm', { lifecycleEvent: 'READ' });
    expect(read.statusCode).toBe(0);
    expect(read.result).toMatchObject({
      config: { name: 't', namespace: 'guest', cron: '* * * * *', payload: { hello: 'alarm' }, strict: false },
      status: { active: true },
    });

    expect(feed('alarm', { lifecycleEvent: 'DELETE' }).result).toEqual({ status: 'success' });
    expect(clock.pending).toBe(0);
    clock.advance(5 * MINUTE);
    await flush();
    expect(targets.fires).toHaveLength(5);
    expect(feed('alarm', { lifecycleEvent: 'READ' }).statusCode).toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM schedules').get()).toEqual({ n: 0 });
  });

  it('bad parameters, a missing trigger or another namespace’s trigger are application errors naming the problem', () => {
    expect(feed('alarm', { lifecycleEvent: 'CREATE', cron: 'nope' })).toEqual({ statusCode: 1, result: { error: "cron pattern 'nope' is not valid" } });
    expect(feed('once', { lifecycleEvent: 'CREATE', date: 'later' })).toEqual({ statusCode: 1, result: { error: "date parameter 'later' is not a valid Date" } });
    expect(feed('alarm', { lifecycleEvent: 'CREATE', cron: '* * * * *', triggerName: '/_/missing' }).result).toEqual({
      error: "Trigger authentication request failed: trigger '/guest/missing' does not exist.",
    });
    expect(feed('alarm', { lifecycleEvent: 'CREATE', cron: '* * * * *', triggerName: '/other/t' }).result).toEqual({ error: 'Trigger authentication request failed.' });
    expect(feed('alarm', { lifecycleEvent: 'CREATE', cron: '* * * * *', triggerName: undefined }).result).toEqual({ error: 'no trigger name parameter was provided' });
    expect(feed('alarm', { lifecycleEvent: 'PAUSE' }).result).toEqual({ error: 'unsupported lifecycleEvent' });
    expect(alarms.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('UPDATE changes the cadence and the payload', async () => {
    feed('alarm', { lifecycleEvent: 'CREATE', cron: '* * * * *' });
    expect(feed('alarm', { lifecycleEvent: 'UPDATE', cron: '*/10 * * * *', trigger_payload: 'text' }).result).toEqual({ status: 'success' });
    clock.advance(30 * MINUTE);
    await flush();
    expect(targets.fires).toHaveLength(3);
    expect(targets.fires[0]!.payload).toEqual({ payload: 'text' });
    expect(feed('alarm', { lifecycleEvent: 'UPDATE' }).result).toEqual({ error: 'no updatable parameters were specified' });
  });

  it('interval: every N minutes from one interval after creation; stopDate ends it', async () => {
    const start = clock.now();
    feed('interval', { lifecycleEvent: 'CREATE', minutes: 2, stopDate: start + 7 * MINUTE });
    clock.advance(20 * MINUTE);
    await flush();
    expect(targets.fires.map((f) => f.at - start)).toEqual([2, 4, 6].map((m) => m * MINUTE));
    expect(feed('interval', { lifecycleEvent: 'READ' }).result).toMatchObject({ status: { active: false, reason: { kind: 'AUTO' } } });
    expect(clock.pending).toBe(0);
  });

  it('once: fires at its date; deleteAfterFire "rules" removes the trigger with its rules', async () => {
    const date = clock.now() + 90 * SECOND;
    feed('once', { lifecycleEvent: 'CREATE', date: new Date(date).toISOString(), deleteAfterFire: 'rules' });
    clock.advance(10 * MINUTE);
    await flush();
    expect(targets.fires.map((f) => f.at)).toEqual([date]);
    expect(targets.deleted).toEqual([['guest', 't', true]]);
    expect(alarms.size).toBe(0);
  });

  it('once without deleteAfterFire ends inactive and keeps its trigger', async () => {
    feed('once', { lifecycleEvent: 'CREATE', date: clock.now() + MINUTE });
    clock.advance(2 * MINUTE);
    await flush();
    expect(targets.fires).toHaveLength(1);
    expect(targets.deleted).toEqual([]);
    expect(feed('once', { lifecycleEvent: 'READ' }).result).toMatchObject({ status: { active: false } });
  });

  it('a trigger gone when its alarm comes disables the schedule', async () => {
    feed('alarm', { lifecycleEvent: 'CREATE', cron: '* * * * *' });
    targets.triggers.delete('guest/t');
    clock.advance(3 * MINUTE);
    await flush();
    expect(targets.fires).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(feed('alarm', { lifecycleEvent: 'READ' }).result).toMatchObject({
      status: { active: false, reason: { message: "trigger '/guest/t' does not exist" } },
    });
  });

  it('a restart resumes from the stored next fire: one catch-up for what was missed, no burst', async () => {
    feed('alarm', { lifecycleEvent: 'CREATE', cron: '* * * * *' });
    alarms.feed('interval', { namespace: 'guest', params: { lifecycleEvent: 'CREATE', triggerName: 'u', minutes: 5 } });
    clock.advance(2 * MINUTE);
    await flush();
    expect(targets.fires).toHaveLength(2);
    alarms.close();
    targets.fires.length = 0;

    // Down for an hour: 60 minute fires and 12 interval fires were missed.
    clock.jump(60 * MINUTE);
    const restarted = clock.now();
    alarms = open();
    expect(alarms.armed).toBe(2);
    expect(clock.pending).toBe(1);
    clock.advance(0);
    await flush();
    expect(targets.fires.map((f) => [f.name, f.at - restarted])).toEqual([['t', 0], ['u', 0]]);
    clock.advance(MINUTE);
    await flush();
    expect(targets.fires.filter((f) => f.name === 't')).toHaveLength(2);
    expect(targets.fires.filter((f) => f.name === 'u')).toHaveLength(1);
  });

  it('ended and deleted schedules stay so after a restart', async () => {
    feed('once', { lifecycleEvent: 'CREATE', date: clock.now() + MINUTE });
    alarms.feed('alarm', { namespace: 'guest', params: { lifecycleEvent: 'CREATE', triggerName: 'u', cron: '* * * * *' } });
    clock.advance(MINUTE);
    await flush();
    alarms.feed('alarm', { namespace: 'guest', params: { lifecycleEvent: 'DELETE', triggerName: 'u' } });
    alarms.close();
    targets.fires.length = 0;
    clock.jump(10 * MINUTE);
    alarms = open();
    expect(alarms.size).toBe(1);
    expect(alarms.armed).toBe(0);
    clock.advance(10 * MINUTE);
    await flush();
    expect(targets.fires).toEqual([]);
  });

  it('`cron`-annotated actions: scheduled, rescheduled on update, removed with the annotation', async () => {
    const action = (annotations: { key: string; value: unknown }[]): ActionDoc => ({
      namespace: 'guest',
      pkg: 'pkg',
      name: 'tick',
      version: '0.0.1',
      publish: false,
      exec: { kind: 'nodejs:24', code: '', binary: false },
      parameters: [],
      limits: { timeout: 60000, memory: 256, logs: 10, concurrency: 1 },
      annotations,
      updated: 0,
    });
    alarms.syncAction(action([{ key: 'cron', value: '*/2 * * * *' }]));
    clock.advance(4 * MINUTE);
    await flush();
    expect(targets.fires.map((f) => [f.kind, f.name])).toEqual([['action', 'pkg/tick'], ['action', 'pkg/tick']]);
    alarms.syncAction(action([{ key: 'cron', value: '* * * * *' }]));
    clock.advance(2 * MINUTE);
    await flush();
    expect(targets.fires).toHaveLength(4);
    alarms.syncAction(action([]));
    clock.advance(5 * MINUTE);
    await flush();
    expect(targets.fires).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('10,000 schedules: one timer, and no CPU while idle (real clock)', async () => {
    alarms.close();
    const idle = new Alarms({ clock: systemClock, store: new ScheduleStore(db), targets });
    for (let i = 0; i < 10_000; i++) targets.triggers.add(`guest/t${i}`);
    const before = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const result = idle.feed('alarm', { namespace: 'guest', params: { lifecycleEvent: 'CREATE', triggerName: `t${i}`, cron: `${i % 60} ${i % 24} * * *` } });
      expect(result.statusCode).toBe(0);
    }
    const createMs = performance.now() - before;
    expect(idle.armed).toBe(10_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the set-up's garbage be collected
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const used = process.cpuUsage(cpu);
    idle.close();
    const idleMs = (used.user + used.system) / 1000;
    console.log(`10,000 schedules: created in ${createMs.toFixed(0)} ms; idle 1 s cost ${idleMs.toFixed(1)} ms CPU`);
    expect(idleMs).toBeLessThan(50);
  });
});
