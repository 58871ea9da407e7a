/**
 * Suite "sequence": a warm blocking invoke of a sequence of 3 actions at 1 and 64 connections (as
 * the "invoke" suite), and trigger fan-out: one trigger with 10 rules to 10 actions, fired one fire
 * at a time, each timed from the fire request to all 11 records (the trigger's and its 10 rule
 * activations') readable through the activations count.
 */
import { loadBlockingInvoke } from './invoke.ts';
import { withEdgewhisk, type BenchServer } from './edgewhisk.ts';
import { api, percentile, pollUntil, SECONDS, type LoadResult } from './lib.ts';

export interface FanOutResult {
  fires: number;
  rules: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SequenceResult {
  sequence: LoadResult[];
  fanOut: FanOutResult;
}

const RULES = 10;
const FAN_OUT_WARMUP = 20;
/** Each component passes the greeting on and counts itself. */
const step = (i: number): string => `function main(p) { return { hello: p.hello || p.name || "world", n: (p.n || 0) + 1, step: ${i} } }`;

async function sequenceOf3(server: BenchServer): Promise<LoadResult[]> {
  for (let i = 1; i <= 3; i++) await server.createAction(`step${i}`, step(i));
  await server.put('actions/seq', { exec: { kind: 'sequence', components: ['/guest/step1', '/guest/step2', '/guest/step3'] } });
  return loadBlockingInvoke(server, 'seq');
}

/**
 * Fires the trigger and waits until its RULES + 1 records are readable: the milliseconds it took.
 * The polls count only records started since the fire (a range of the start index): counting the
 * whole namespace — the sequence suite's hundreds of thousands of records — took the server
 * several ms a poll, and the figure was mostly the polling.
 */
async function fireOnce(server: BenchServer): Promise<number> {
  // Untimed: the last fire's records all started at least 2 ms before `since` (start >= since counts).
  await new Promise((resolve) => setTimeout(resolve, 2));
  const since = Date.now();
  const started = performance.now();
  const res = await api(server.url, 'POST', '/api/v1/namespaces/_/triggers/fan', { name: 'world' });
  if (res.status !== 202) throw new Error(`fire answered ${res.status}: ${await res.text()}`);
  await res.text();
  await pollUntil(async () => ((await server.countActivations(undefined, since)) >= RULES + 1 ? true : undefined), 30_000);
  return performance.now() - started;
}

async function fanOut(server: BenchServer, fires: number): Promise<FanOutResult> {
  await server.put('triggers/fan', {});
  for (let i = 0; i < RULES; i++) {
    await server.createAction(`fan${i}`, step(i));
    await server.put(`rules/fan${i}`, { trigger: '/_/fan', action: `/_/fan${i}` });
  }
  let count = await server.countActivations();
  const times: number[] = [];
  for (let i = 0; i < FAN_OUT_WARMUP + fires; i++) {
    count += RULES + 1;
    const ms = await fireOnce(server);
    if (i >= FAN_OUT_WARMUP) times.push(ms);
  }
  // A fire that wrote more than its 11 records would have ended the next fire's wait early.
  const total = await server.countActivations();
  if (total !== count) throw new Error(`fan-out: ${total} records where ${count} were expected`);
  return { fires, rules: RULES, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), maxMs: Math.max(...times) };
}

export async function sequenceAndFanOut(fires = Number(process.env.BENCH_FANOUT_FIRES ?? 200)): Promise<SequenceResult> {
  return withEdgewhisk([], '0', async (server) => ({ sequence: await sequenceOf3(server), fanOut: await fanOut(server, fires) }));
}

if (import.meta.main) {
  console.log(`sequence of 3 (${SECONDS}s per run) and trigger fan-out:`, await sequenceAndFanOut());
}
