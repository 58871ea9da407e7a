/**
 * A real isolate worker process (src/runners/workers/entry.ts), started as the supervisor starts
 * it, driven over the real channel: for tests of what the worker itself does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/openwhisk/limits.ts';
import { isolateInput } from '../../src/runners/isolate/outcome.ts';
import { Channel } from '../../src/runners/workers/channel.ts';
import { HOLD_COMPILERS, WORKER_ENV, type FromWorker, type ToWorker, type WorkerOptions } from '../../src/runners/workers/protocol.ts';
import type { RunnableAction } from '../../src/runners/runner.ts';

const ENTRY = fileURLToPath(new URL('../../src/runners/workers/entry.ts', import.meta.url));

export interface DrivenWorker {
  child: ChildProcess;
  channel: Channel;
  stdout: () => string;
  /** Every message the worker sent so far, in order. */
  received: FromWorker[];
  /** The next message of type `t` not yet received when called. */
  next: (t: FromWorker['t']) => Promise<FromWorker>;
  /** A message's payload (an output's text). */
  payloadOf: (message: FromWorker) => string | undefined;
}

/** `launch`: a command the worker runs under (taskset), and node flags of its own. */
export function startWorker(options: Partial<WorkerOptions>, launch: { prefix?: string[]; flags?: string[] } = {}): DrivenWorker {
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
  const argv = [...(launch.prefix ?? []), process.execPath, '--no-node-snapshot', ...flags, ...(launch.flags ?? []), ENTRY];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', [WORKER_ENV]: JSON.stringify(settings) },
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const waiting: { t: string; resolve: (message: FromWorker) => void }[] = [];
  const received: FromWorker[] = [];
  const payloads = new WeakMap<FromWorker, string>();
  const channel = new Channel(child.stdio[3] as unknown as Duplex, (message, payload) => {
    const m = message as FromWorker;
    received.push(m);
    if (payload !== undefined) payloads.set(m, payload);
    const i = waiting.findIndex((w) => w.t === m.t);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
  }, () => undefined);
  const next = (t: FromWorker['t']): Promise<FromWorker> => new Promise((resolve) => waiting.push({ t, resolve }));
  return { child, channel, stdout: () => stdout, received, next, payloadOf: (message) => payloads.get(message) };
}

export const ECHO_ACTION: RunnableAction = { key: 'guest/hot@0.0.1#1', kind: 'nodejs:default', code: 'function main(p) { return { n: p.n } }', binary: false, main: 'main', limits: DEFAULT_LIMITS };

/** Runs `runnable` with `params` as call `n`; its result. */
export async function callWorker(worker: DrivenWorker, n: number, runnable = ECHO_ACTION, params: Record<string, unknown> = { n }): Promise<unknown> {
  const message: ToWorker = { t: 'run', id: n, key: runnable.key, action: runnable };
  const answer = worker.next('output');
  worker.channel.send(message, isolateInput({ action: runnable, params, env: {}, maxResultBytes: 1_048_576 }));
  const output = await answer;
  expect(output).toMatchObject({ t: 'output', id: n });
  return (JSON.parse(worker.payloadOf(output)!) as { r: unknown }).r;
}

/** Ends the worker (the server's end closes); resolves once it has exited. */
export async function endWorker(worker: DrivenWorker): Promise<void> {
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.channel.close();
  await exited;
}
