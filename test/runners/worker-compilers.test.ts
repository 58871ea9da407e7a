/**
 * An isolate worker process starts with V8's optimizing compilers off and turns them on as its
 * first call arrives (src/runners/workers/protocol.ts HOLD_COMPILERS). A real worker process
 * (src/runners/workers/entry.ts), started as the supervisor starts it plus --trace-opt, driven
 * over the real channel; V8's --trace-opt lines on its stdout say what it optimized.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/openwhisk/limits.ts';
import { isolateInput } from '../../src/runners/isolate/outcome.ts';
import { Channel } from '../../src/runners/workers/channel.ts';
import { HOLD_COMPILERS, WORKER_ENV, type FromWorker, type ToWorker, type WorkerOptions } from '../../src/runners/workers/protocol.ts';
import type { RunnableAction } from '../../src/runners/runner.ts';
import { optimizations } from '../helpers/v8.ts';

const ENTRY = fileURLToPath(new URL('../../src/runners/workers/entry.ts', import.meta.url));

interface Worker {
  child: ChildProcess;
  channel: Channel;
  stdout: () => string;
  next: (t: FromWorker['t']) => Promise<FromWorker>;
}

let running: ChildProcess | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  running = undefined;
});

function startWorker(options: Partial<WorkerOptions>): Worker {
  const settings: WorkerOptions = {
    memoryBudgetMb: 256,
    idleProcesses: 0,
    maxInstancesPerAction: 1,
    fastSliceMs: 50,
    egress: { deny: [], maxResponseBytes: 1_048_576 },
    api: false,
    compilersHeld: true,
    ...options,
  };
  const flags = settings.compilersHeld ? HOLD_COMPILERS : [];
  const child = spawn(process.execPath, ['--no-node-snapshot', '--trace-opt', ...flags, ENTRY], {
    stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', [WORKER_ENV]: JSON.stringify(settings) },
  });
  running = child;
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const waiting: { t: string; resolve: (message: FromWorker) => void }[] = [];
  const channel = new Channel(child.stdio[3] as unknown as Duplex, (message) => {
    const m = message as FromWorker;
    const i = waiting.findIndex((w) => w.t === m.t);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
  }, () => undefined);
  const next = (t: FromWorker['t']): Promise<FromWorker> => new Promise((resolve) => waiting.push({ t, resolve }));
  return { child, channel, stdout: () => stdout, next };
}

const action: RunnableAction = { key: 'guest/hot@0.0.1#1', kind: 'nodejs:default', code: 'function main(p) { return { n: p.n } }', binary: false, main: 'main', limits: DEFAULT_LIMITS };

async function call(worker: Worker, n: number): Promise<void> {
  const message: ToWorker = { t: 'run', id: n, key: action.key, action };
  const answer = worker.next('output');
  worker.channel.send(message, isolateInput({ action, params: { n }, env: {}, maxResultBytes: 1_048_576 }));
  expect(await answer).toMatchObject({ t: 'output', id: n });
}

/** Ends the worker (the server's end closes) and gives what V8 printed: complete once it has exited. */
async function finish(worker: Worker): Promise<string[]> {
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.channel.close();
  await exited;
  return optimizations(worker.stdout());
}

describe('V8’s optimizing compilers in an isolate worker process', () => {
  it('stay off through start-up: a worker that gets no call optimizes nothing (the spare)', async () => {
    const worker = startWorker({});
    await worker.next('ready');
    const pong = worker.next('pong');
    worker.channel.send({ t: 'ping' } satisfies ToWorker);
    await pong;
    expect(await finish(worker)).toEqual([]);
  }, 30_000);

  it('come on with the first call: a worker under calls optimizes its hot code', async () => {
    const worker = startWorker({});
    await worker.next('ready');
    for (let n = 1; n <= 1500; n++) await call(worker, n);
    expect((await finish(worker)).length).toBeGreaterThan(5);
  }, 30_000);

  it('without the hold (compilersHeld false, as under --jitless), start-up alone has V8 optimize', async () => {
    const worker = startWorker({ compilersHeld: false });
    await worker.next('ready');
    expect((await finish(worker)).length).toBeGreaterThan(0);
  }, 30_000);
});
