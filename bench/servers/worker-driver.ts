/**
 * Drives one isolate-running child process the way a server does, for the "worker" suite
 * (bench/worker.ts): edgewhisk's isolate worker (src/runners/workers/entry.ts, over its channel,
 * with the input a web call sends) or the floor's child (bench/servers/floor.ts isolate-process,
 * its frames). `batch` calls leave in one write; the next batch leaves when all are answered.
 * Prints one JSON line: per call, the mean round trip and the child's CPU (all its threads, from
 * /proc), and its context switches. Started on the server core; the child inherits that core.
 *
 * Not a server, but it lives here for the same reason the servers do: it must not import
 * bench/lib.ts, which moves its importer to the load core.
 *
 * Usage: node --no-node-snapshot bench/servers/worker-driver.ts worker|floor <calls> <batch>...
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { DEFAULT_LIMITS, SYSTEM_LIMITS } from '../../src/openwhisk/limits.ts';
import { isolateInput } from '../../src/runners/isolate/outcome.ts';
import { Channel } from '../../src/runners/workers/channel.ts';
import type { WorkerOptions } from '../../src/runners/workers/protocol.ts';
import { HELLO } from '../hello.ts';

const [child = 'worker', callsArg = '20000', ...batchArgs] = process.argv.slice(2);
const calls = Number(callsArg);
const batches = batchArgs.length > 0 ? batchArgs.map(Number) : [1, 16];
const ROOT = new URL('../..', import.meta.url).pathname;
const CLOCK_TICK_MS = 10;

/** What a `.json` web call of the hello action sends: its parameters and environment. */
const PARAMS = { name: 'world', __ow_method: 'get', __ow_headers: { host: '127.0.0.1', 'user-agent': 'wrk' }, __ow_path: '' };
const ENV = {
  __OW_ACTION_NAME: '/guest/hello',
  __OW_ACTION_VERSION: '0.0.1',
  __OW_NAMESPACE: 'guest',
  __OW_ACTIVATION_ID: 'a'.repeat(32),
  __OW_TRANSACTION_ID: 'b'.repeat(32),
  __OW_DEADLINE: String(Date.now() + 60_000),
  __OW_API_HOST: 'http://127.0.0.1:3233',
};

interface Driven {
  pid: number;
  /** Sends `count` calls in one write; `done` runs once all are answered. */
  batch(count: number, done: () => void): void;
  close(): void;
}

async function driveWorker(): Promise<Driven> {
  const options: WorkerOptions = {
    memoryBudgetMb: 1024,
    idleProcesses: 1,
    maxInstancesPerAction: 4,
    fastSliceMs: 10,
    egress: { deny: [], maxResponseBytes: 10 * 1048576 },
    api: false,
    compilersHeld: false,
  };
  // As the supervisor starts one on a one-core server (supervisor.ts launch).
  const proc = spawn(process.execPath, ['--no-node-snapshot', '--v8-pool-size=1', `${ROOT}src/runners/workers/entry.ts`], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { MALLOC_ARENA_MAX: '1', ...process.env, EDGEWHISK_WORKER: JSON.stringify(options) },
  });
  const action = { key: 'guest/hello@1', kind: 'nodejs:24', code: HELLO, binary: false, main: 'main', limits: DEFAULT_LIMITS };
  // The isolate input exactly as the server builds it.
  const input = isolateInput({ action, params: PARAMS, env: ENV, maxResultBytes: SYSTEM_LIMITS.maxResultSize });
  let left = 0;
  let done = (): void => {};
  let ready = (): void => {};
  const up = new Promise<void>((resolve) => (ready = resolve));
  const channel = new Channel(proc.stdio[3] as Socket, (message) => {
    const { t } = message as { t: string };
    if (t === 'ready') ready();
    else if ((t === 'output' || t === 'result') && --left === 0) done();
  }, (error) => {
    throw error;
  });
  await up;
  let id = 0;
  let known = false;
  return {
    pid: proc.pid!,
    batch(count, whenDone) {
      left = count;
      done = whenDone;
      for (let i = 0; i < count; i++) {
        channel.send(known ? { t: 'run', id: ++id, key: action.key } : { t: 'run', id: ++id, key: action.key, action }, input);
        known = true;
      }
      channel.flush();
    },
    close: () => channel.send({ t: 'close' }),
  };
}

async function driveFloor(): Promise<Driven> {
  const proc = spawn(process.execPath, ['--no-node-snapshot', `${ROOT}bench/servers/floor.ts`, 'isolate-process'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
  const socket = proc.stdio[3] as Socket;
  let done = (): void => {};
  // The floor answers a batch with one frame: a read may hold it whole or in parts.
  let expected = 0;
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (expected === 0 && received >= 4) expected = chunk.readUInt32LE(0) + 4;
    if (expected > 0 && received >= expected) {
      expected = received = 0;
      done();
    }
  });
  const one = JSON.stringify(PARAMS);
  // Its child answers once its isolate is made; a first call waits for that.
  await new Promise<void>((resolve) => {
    done = resolve;
    send(1);
  });
  function send(count: number): void {
    const text = `b${Array.from({ length: count }, () => one).join('\x01')}`;
    const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(text));
    frame.writeUInt32LE(frame.write(text, 4), 0);
    socket.write(frame);
  }
  return {
    pid: proc.pid!,
    batch(count, whenDone) {
      done = whenDone;
      send(count);
    },
    close: () => socket.end(),
  };
}

/** CPU (ms, all threads) and context switches of process `pid` so far. */
function usage(pid: number): { cpuMs: number; switches: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  let switches = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      switches += Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return { cpuMs: (Number(stat[11]) + Number(stat[12])) * CLOCK_TICK_MS, switches };
}

const driven = child === 'floor' ? await driveFloor() : await driveWorker();
const round = (count: number): Promise<void> => new Promise((resolve) => driven.batch(count, resolve));
const results = [];
for (const batch of batches) {
  for (let i = 0; i < Math.max(1, 3000 / batch); i++) await round(batch); // warm, as the suites warm a server
  const before = usage(driven.pid);
  const started = performance.now();
  const rounds = Math.max(1, Math.round(calls / batch));
  for (let i = 0; i < rounds; i++) await round(batch);
  const elapsedMs = performance.now() - started;
  const after = usage(driven.pid);
  const n = rounds * batch;
  results.push({
    batch,
    calls: n,
    roundTripUsPerCall: (elapsedMs * 1000) / n,
    cpuUsPerCall: ((after.cpuMs - before.cpuMs) * 1000) / n,
    switchesPerCall: (after.switches - before.switches) / n,
  });
}
driven.close();
// Where this ran: the suite and its test check that it stayed on the core it was started on.
const cpus = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
console.log(JSON.stringify({ child, cpus, results }));
process.exit(0);
