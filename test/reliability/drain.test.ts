/**
 * Invoker.drain, what shutdown waits on: false when activations are still running after its
 * limit, true once every one is recorded — and a drain that gave up leaves nothing behind. Real
 * parts: an isolate pool running an action that takes its time, and the SQLite activation store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { Invoker } from '../../src/invoker.ts';
import type { ActionDoc } from '../../src/openwhisk/action.ts';
import { DEFAULT_LIMITS } from '../../src/openwhisk/limits.ts';
import { IsolatePool } from '../../src/runners/isolate/pool.ts';
import { ActivationStore } from '../../src/store/activations.ts';
import { openDatabase } from '../../src/store/db.ts';

let dataDir: string;
let pool: IsolatePool;
let activations: ActivationStore;
let invoker: Invoker;

const slow: ActionDoc = {
  namespace: 'guest',
  pkg: undefined,
  name: 'slow',
  version: '0.0.1',
  publish: false,
  exec: { kind: 'nodejs:default', code: 'async function main() { await new Promise((r) => setTimeout(r, 400)); return { done: true } }', binary: false },
  parameters: [],
  limits: DEFAULT_LIMITS,
  annotations: [],
  updated: 1,
};

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-drain-'));
  pool = new IsolatePool({ memoryBudgetMb: 256, maxInstancesPerAction: 2, fastSliceMs: 10, now: Date.now });
  activations = new ActivationStore(openDatabase(dataDir));
  invoker = new Invoker({ runner: pool, activations, clock: systemClock, apiHost: 'http://127.0.0.1' });
});

afterAll(async () => {
  await pool.close();
  await activations.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Invoker.drain', () => {
  it('is true at once with nothing running', async () => {
    expect(await invoker.drain(0)).toBe(true);
  });

  it('gives up after its limit without leaving a waiter, then sees the activation recorded', async () => {
    const { activationId, done } = invoker.invoke({ action: slow, params: {}, namespace: 'guest', subject: 'guest', authKey: '', transactionId: 't', received: Date.now() });
    expect(invoker.inFlightCount).toBe(1);
    expect(await invoker.drain(20)).toBe(false);
    expect(await invoker.drain(20)).toBe(false);
    // Private, read on purpose: the waiters of the two drains that gave up are gone.
    expect(invoker['idle']).toHaveLength(0);
    expect(await invoker.drain(10_000)).toBe(true);
    expect(invoker.inFlightCount).toBe(0);
    const record = await done;
    expect(record.response.result).toEqual({ done: true });
    expect((await activations.get('guest', activationId))?.response.result).toEqual({ done: true });
  });
});
