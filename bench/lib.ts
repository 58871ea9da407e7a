/**
 * Benchmark plumbing: start a server process pinned to a core, drive load from another core with
 * wrk (or autocannon when wrk is missing), and report requests/s and latency percentiles.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { announcedUrl } from '../src/cli/listening.ts';
import { BYTES_PER_MB, BYTES_PER_MIB } from './units.ts';

export const ROOT = new URL('..', import.meta.url).pathname;
export const NODE = process.execPath;
export const GUEST = '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP';
export const GUEST_AUTH = `Basic ${Buffer.from(GUEST).toString('base64')}`;

const hasCommand = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
export const HAS_TASKSET = hasCommand('taskset') && cpus().length >= 2;
// This process is the client of the suites that time single requests (cold starts, fan-out): it
// belongs on the load core too, or it competes with the server it measures. So no server script
// (bench/servers) may import this module: it would move itself beside the load it answers.
if (HAS_TASKSET) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
export const HAS_WRK = hasCommand('wrk');

/** Seconds per load run; BENCH_SECONDS=1 makes a quick smoke run. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Seconds of unmeasured load before a server's first measured run (warmLoad); BENCH_WARM_SECONDS. */
export const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? Math.min(3, SECONDS));
/** The idle time after the warm-up load, before the measured runs (warmLoad). */
const SETTLE_MS = 600;

export interface LoadResult {
  connections: number;
  /** Responses received in the run (any status). */
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
}

/** `taskset -c CORE cmd …` where taskset exists, so server and load do not share a core. */
export function pinned(core: string | undefined, cmd: string, args: string[]): [string, string[]] {
  if (!HAS_TASKSET || core === undefined) return [cmd, args];
  return ['taskset', ['-c', core, cmd, ...args]];
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns a server script that prints `listening <url>` on stdout once it serves. */
export async function spawnServer(script: string, args: string[], core: string | undefined, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const [cmd, argv] = pinned(core, NODE, ['--no-node-snapshot', script, ...args]);
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await announcedUrl(child);
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Starts a server script pinned to core 0 and loads `path` at 1 and 64 connections. */
export async function loadServer(script: string, args: string[] = [], path = '/'): Promise<LoadResult[]> {
  const server = await spawnServer(script, args, '0');
  try {
    await warmLoad({ url: `${server.url}${path}`, connections: 1 });
    return [1, 64].map((connections) => load({ url: `${server.url}${path}`, connections }));
  } finally {
    await server.stop();
  }
}

export interface LoadOptions {
  url: string;
  connections: number;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  core?: string;
  /** Each request's path: `template` with `{i}` replaced by a random 0..count-1 (wrk only). */
  randomPath?: { template: string; count: number };
  /** How long the run lasts (default SECONDS). */
  seconds?: number;
}

/** A load generator run: the command line, and how to read its output. */
interface LoadCommand {
  cmd: string;
  argv: string[];
  parse(stdout: string, stderr: string): LoadResult;
}

/**
 * Brings a server to its steady state before its measured runs: `options`' load for WARM_SECONDS,
 * not measured, then SETTLE_MS with no request. Every server gets the same (the ceiling, the
 * peers, the floor, edgewhisk), so the figures compare servers as they run for hours, not in their
 * first seconds. What the first seconds held, measured (3-second runs back to back at 1 connection
 * on a fresh server, a scratch script not kept): edgewhisk's rate rose from 3.5–4.0k req/s in the first 6 s
 * to 4.2–5.4k after, the floor's stayed at 5.2–6.9k — V8 still optimizing the server's code (about
 * 150 functions in the first 10 s, --trace-opt), and edgewhisk's spare worker process starting 5 s
 * into a load that never pauses (0.15–0.3 s of the server's core, supervisor.ts SPARE_MAX_WAIT_MS).
 * The idle time after the warm-up is such a pause: the spare starts in it, as at a server's first
 * pause in its calls.
 */
export async function warmLoad(options: LoadOptions): Promise<void> {
  if (WARM_SECONDS <= 0) return;
  load({ ...options, seconds: WARM_SECONDS });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** Drives `connections` concurrent connections for `seconds` (SECONDS) against url. */
export function load(options: LoadOptions): LoadResult {
  const { cmd, argv, parse } = loadCommand(options);
  const run = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parse(run.stdout, run.stderr);
}

/** Several loads at once (each with its own url, connections and core): their results in order. */
export function loadAll(options: LoadOptions[]): Promise<LoadResult[]> {
  return Promise.all(
    options.map((o) => {
      const { cmd, argv, parse } = loadCommand(o);
      const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      return new Promise<LoadResult>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', () => {
          try {
            resolve(parse(stdout, stderr));
          } catch (error) {
            reject(error as Error);
          }
        });
      });
    }),
  );
}

function loadCommand(options: LoadOptions): LoadCommand {
  const { url, connections, method = 'GET', body, headers = {}, seconds = SECONDS } = options;
  if (HAS_WRK) return wrk(url, connections, seconds, method, body, headers, options.core, options.randomPath);
  // autocannon cannot vary the path per request here: it measures the first path only.
  const first = options.randomPath ? new URL(options.randomPath.template.replace('{i}', '0'), url).href : url;
  return autocannon(first, connections, seconds, method, body, headers, options.core);
}

/**
 * The cores a load pinned to `core` (taskset's list: "1", "0,1", "2-3") may use: wrk runs a thread
 * for each. Two wrk threads on one core take turns, and a response that arrives for the one not
 * running waits for its turn: the bare hello's p99 at 64 connections was 4.4–4.5 ms with two threads
 * on the load core and 0.7–1.3 ms with one, at the same requests/s (three alternated runs). Unpinned,
 * two threads, as before.
 */
export function loadCores(core: string | undefined): number {
  if (!HAS_TASKSET || core === undefined) return 2;
  let count = 0;
  for (const part of core.split(',')) {
    const [from, to] = part.split('-').map(Number);
    count += to === undefined ? 1 : to - from! + 1;
  }
  return Math.max(1, count);
}

function wrk(url: string, connections: number, seconds: number, method: string, body: string | undefined, headers: Record<string, string>, core = '1', randomPath?: LoadOptions['randomPath']): LoadCommand {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const script = join(dir, 'req.lua');
  // The script sets the request and prints the latency percentiles as JSON at the end.
  writeFileSync(script, `
wrk.method = ${JSON.stringify(method)}
${body !== undefined ? `wrk.body = ${JSON.stringify(body)}` : ''}
${Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n')}
${randomPath ? `request = function()
  local path = string.gsub(${JSON.stringify(randomPath.template)}, "{i}", tostring(math.random(0, ${randomPath.count - 1})))
  return wrk.format(nil, path)
end` : ''}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration":%d,"p50":%d,"p99":%d,"max":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end`);
  const threads = Math.min(loadCores(core), connections);
  const [cmd, argv] = pinned(core, 'wrk', ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', script, url]);
  const parse = (stdout: string, stderr: string): LoadResult => {
    const line = /RESULT (\{.*\})/.exec(stdout);
    if (!line) throw new Error(`wrk failed: ${stderr || stdout}`);
    const r = JSON.parse(line[1]!) as { requests: number; duration: number; p50: number; p99: number; max: number; errors: number; non2xx: number };
    return {
      connections,
      requests: r.requests,
      requestsPerSec: r.requests / (r.duration / 1e6),
      p50Ms: r.p50 / 1000,
      p99Ms: r.p99 / 1000,
      maxMs: r.max / 1000,
      errors: r.errors,
      non2xx: r.non2xx,
    };
  };
  return { cmd, argv, parse };
}

function autocannon(url: string, connections: number, seconds: number, method: string, body: string | undefined, headers: Record<string, string>, core = '1'): LoadCommand {
  const args = [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds), '-m', method];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (body !== undefined) args.push('-b', body);
  args.push(url);
  const [cmd, argv] = pinned(core, NODE, args);
  const parse = (stdout: string): LoadResult => {
    const r = JSON.parse(stdout) as { requests: { average: number; total: number }; latency: { p50: number; p99: number; max: number }; errors: number; non2xx: number };
    return { connections, requests: r.requests.total, requestsPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, errors: r.errors, non2xx: r.non2xx };
  };
  return { cmd, argv, parse };
}

export interface TableRow {
  figure: string;
  connections: number | string;
  reqPerSec: string;
  p50: string;
  p99: string;
  max: string;
  ratio: string;
}

/** One console.table row per load result, requests/s also as a share of the baseline at the same connection count. */
export function tableRows(figure: string, results: LoadResult[], baseline: LoadResult[] = []): TableRow[] {
  return results.map((r) => {
    const base = baseline.find((b) => b.connections === r.connections);
    const broken = r.errors + r.non2xx > 0 ? ` (${r.errors} errors, ${r.non2xx} non-2xx)` : '';
    return {
      figure: figure + broken,
      connections: r.connections,
      reqPerSec: r.requestsPerSec.toFixed(0),
      p50: r.p50Ms.toFixed(2),
      p99: r.p99Ms.toFixed(2),
      max: r.maxMs.toFixed(2),
      ratio: base ? `${((100 * r.requestsPerSec) / base.requestsPerSec).toFixed(1)}%` : '',
    };
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The package's version in node_modules (or the project's own, for '.'), as its package.json says. */
function packageVersion(name: string): string {
  try {
    const file = name === '.' ? join(ROOT, 'package.json') : join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The commit measured, `+changes` when the work tree differs from it (results of uncommitted code). */
function commit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' });
  return `${head.stdout.trim()}${status.stdout.trim() === '' ? '' : '+changes'}`;
}

/** `wrk --version`'s first line (wrk prints it and exits 1), or autocannon's package version. */
function loadVersion(): string {
  if (!HAS_WRK) return `autocannon ${packageVersion('autocannon')}`;
  const run = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`.split('\n')[0]!.replace(/ Copyright.*$/, '').trim();
}

export function machine(): Record<string, unknown> {
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    edgewhisk: `${packageVersion('.')} at ${commit()}`,
    packages: Object.fromEntries(['uWebSockets.js', 'isolated-vm', 'better-sqlite3'].map((name) => [name, packageVersion(name)])),
    load: loadVersion(),
    pinned: HAS_TASKSET ? 'server on core 0, load on core 1' : 'not pinned (no taskset or one core)',
    secondsPerRun: SECONDS,
    warmSecondsPerServer: WARM_SECONDS,
  };
}

/** Prints what every full report starts with (title, command as run, machine); the machine's figures. */
export function header(title: string, command: string): Record<string, unknown> {
  const info = machine();
  console.log(`${title} — ${new Date().toISOString()}`);
  console.log(`command: ${command} (${process.argv.slice(1).join(' ')})`);
  console.log('machine:', JSON.stringify(info));
  return info;
}

export { BYTES_PER_MB, BYTES_PER_MIB };

/** An answer read whole: status and body text. */
export interface Answer {
  status: number;
  text: string;
}

/** Sends an API request as the guest and reads the answer whole. */
export type ApiClient = (method: string, path: string, body?: unknown) => Promise<Answer>;

/** The API through `fetch` (undici): what most Node code would use. */
export function fetchClient(url: string): ApiClient {
  return async (method, path, body) => {
    const res = await api(url, method, path, body);
    return { status: res.status, text: await res.text() };
  };
}

/**
 * The API through node:http over one kept-alive connection: fewer layers than fetch between the
 * socket and the caller, so less of a round trip's time is the client's own (its GET floor here
 * is about half of fetch's).
 */
export function httpClient(url: string): ApiClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = { authorization: GUEST_AUTH };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      const req = request(`${url}${path}`, { method, agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
}

/** Resident memory of a process in MB (10^6 bytes), from /proc (Linux): VmRSS counts KiB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return (kib * 1024) / BYTES_PER_MB;
}

/** Resident memory of a process and all its descendants (the isolate worker processes), in MB (10^6 bytes). */
export function treeRssMb(pid: number): number {
  let total = 0;
  for (const next of processTree(pid)) {
    try {
      total += rssMb(next);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** The pids of a process and all its descendants, from /proc (Linux). */
export function processTree(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    try {
      const children = readFileSync(`/proc/${next}/task/${next}/children`, 'utf8').trim();
      found.push(next);
      if (children) pending.push(...children.split(/\s+/).map(Number));
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

/** Linux's USER_HZ: /proc counts CPU time in these ticks (100 a second on every common build). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system, ms) a process has used so far, all its threads, from /proc (10 ms resolution); 0 once it ended. */
export function processCpuMs(pid: number): number {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** User + system time (ms) of a /proc stat line: after the name (in parentheses, may hold spaces), the 12th and 13th fields. */
function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** A thread's CPU time so far (user + system, ms), its process and its name (comm, 15 characters at most). */
export interface ThreadTime {
  pid: number;
  name: string;
  ms: number;
}

/** Every thread of the processes `pids`, by thread id, from /proc (10 ms resolution); threads that ended meanwhile are left out. */
export function threadTimes(pids: number[]): Map<number, ThreadTime> {
  const times = new Map<number, ThreadTime>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        times.set(Number(tid), { pid, name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: statCpuMs(stat) });
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return times;
}

/** Calls `check` every `intervalMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 1): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function inParallel<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

export async function api(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: { authorization: GUEST_AUTH, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
