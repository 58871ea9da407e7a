/**
 * The blank-isolate stock (src/runners/isolate/blank.ts): it fills itself, a take is refilled once
 * blanks have not been asked for during its quiet time, a deploy makes one at once when none is
 * ready, and what it hands out runs an action. And the runtime's code cache follows V8's flags.
 */
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { BlankIsolates, makeBlankIsolate, runtimeCacheState, type BlankIsolate } from '../../src/runners/isolate/blank.ts';
import { poll } from '../helpers/api.ts';

function runs(blank: BlankIsolate): unknown {
  blank.adopt({ onNotify: () => undefined, onRequest: () => undefined, onModule: () => undefined });
  expect(blank.init.applySync(undefined, ['function main(p) { return { twice: p.n * 2 } }', 'main', '', 1, '{}'])).toBe('OK');
  const input = JSON.stringify({ p: { n: 21 }, e: {}, logLimit: 1 << 20, resultLimit: 1 << 20 });
  return JSON.parse(blank.start.applySync(undefined, [input, 1]));
}

const full = (stock: BlankIsolates, count: number) => poll(async () => (stock.stocked === count ? true : undefined));

describe('BlankIsolates', () => {
  let stock: BlankIsolates | undefined;
  afterEach(async () => {
    await stock?.close();
    stock = undefined;
  });

  it('fills its stock, and refills a take once no blank has been asked for during the quiet time', async () => {
    stock = new BlankIsolates(64, 2, 400);
    await full(stock, 2);
    const blank = stock.take(64);
    expect(runs(blank)).toMatchObject({ c: 0, r: { twice: 42 } });
    blank.isolate.dispose();
    stock.coldStartDone();
    // Less than the quiet time has passed since the answer: nothing is made meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stock.stocked).toBe(1);
    await full(stock, 2);
  });

  it('puts a refill off while blanks keep being asked for', async () => {
    stock = new BlankIsolates(64, 2, 400);
    await full(stock, 2);
    stock.take(64).isolate.dispose();
    // A cold start answered every 50 ms for 300 ms: each restarts the quiet time.
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stock.coldStartDone();
      expect(stock.stocked).toBe(1);
    }
    await full(stock, 2);
  });

  it('a deploy (prepare) makes a blank at once when none is ready, and no more than one', async () => {
    stock = new BlankIsolates(64, 1, 60_000);
    await full(stock, 1);
    stock.take(64).isolate.dispose();
    expect(stock.stocked).toBe(0);
    stock.prepare();
    expect(stock.stocked).toBe(1);
    stock.prepare();
    expect(stock.stocked).toBe(1);
    const blank = stock.take(64);
    expect(runs(blank)).toMatchObject({ c: 0, r: { twice: 42 } });
    blank.isolate.dispose();
  });

  it('a refill (made by an isolate of its own, off the event loop) has the same globals as a blank made on the spot, and no isolated-vm', async () => {
    stock = new BlankIsolates(64, 1);
    await full(stock, 1);
    const refilled = stock.take(64);
    const onTheSpot = makeBlankIsolate(64);
    const globals = (blank: BlankIsolate): unknown => blank.context.evalSync('JSON.stringify([typeof ivm, Object.getOwnPropertyNames(globalThis).sort()])');
    try {
      expect(JSON.parse(globals(refilled) as string)[0]).toBe('undefined');
      expect(globals(refilled)).toBe(globals(onTheSpot));
      expect(runs(refilled)).toMatchObject({ c: 0, r: { twice: 42 } });
    } finally {
      refilled.isolate.dispose();
      onTheSpot.isolate.dispose();
    }
  });

  it('an empty stock, or another memory size, makes a blank on the spot', () => {
    stock = new BlankIsolates(64, 0);
    const blank = stock.take(64);
    const other = stock.take(32);
    expect(other.memoryMb).toBe(32);
    expect(runs(blank)).toMatchObject({ c: 0, r: { twice: 42 } });
    blank.isolate.dispose();
    other.isolate.dispose();
    expect(stock.stocked).toBe(0);
  });
});

describe('the runtime code cache', () => {
  const blank = (): void => {
    const made = makeBlankIsolate(64);
    expect(runs(made)).toMatchObject({ c: 0, r: { twice: 42 } });
    made.isolate.dispose();
  };

  // This file's own process (vitest runs each file in one): the flag change stays here.
  it('is made by the first isolate, and made again when V8 rejects it under changed flags (the compilers turned on after start-up)', () => {
    blank();
    const before = runtimeCacheState();
    expect(before.cached).toBe(true);
    blank();
    expect(runtimeCacheState()).toEqual(before);
    setFlagsFromString('--no-maglev');
    try {
      blank();
      expect(runtimeCacheState()).toEqual({ cached: false, rejections: before.rejections + 1 });
      blank();
      expect(runtimeCacheState()).toEqual({ cached: true, rejections: before.rejections + 1 });
      blank();
      expect(runtimeCacheState()).toEqual({ cached: true, rejections: before.rejections + 1 });
    } finally {
      setFlagsFromString('--maglev');
    }
  });
});
