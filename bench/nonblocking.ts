/**
 * Suite "nonblocking": POST invokes without `blocking` at 64 connections — how fast the 202s come
 * back — then how fast their activation records become readable. wrk does not hand back the
 * activation ids, so the records are counted through the list API (`?count=true&name=hello`)
 * before the load and after it, polling until the count has stopped growing.
 */
import { invokeRequest, warmUp, withEdgewhisk, type BenchServer } from './edgewhisk.ts';
import { HELLO } from './hello.ts';
import { load, pollUntil, SECONDS, type LoadResult } from './lib.ts';

export interface NonBlockingResult {
  /** The load itself: requests/s and latency of the 202 answers. */
  accepted: LoadResult;
  /** 202s received (responses less the non-2xx ones). */
  acceptedCount: number;
  /** Records of this load readable in the end (requests still in flight when wrk stopped may add a few). */
  records: number;
  /** Of them, readable the moment the load ended. */
  readableAtLoadEnd: number;
  /** From the end of the load to the last record readable. */
  drainMs: number;
  /** Records over the time from the start of the load to the last record readable. */
  recordsPerSec: number;
}

/** The count is final once it has not grown for this long (and reached what was accepted). */
const QUIET_MS = 1_000;
/** If it stays below what was accepted, this long without growth ends the wait (records lost). */
const STALLED_MS = 10_000;

/**
 * Polls the count of `name`'s records until it stops growing, starting from `count` seen at
 * `seenAt`; the final count and when it was first seen.
 */
async function settle(server: BenchServer, name: string, expected: number, count: number, seenAt: number): Promise<{ count: number; lastGrowth: number }> {
  let lastGrowth = seenAt;
  await pollUntil(
    async () => {
      const now = await server.countActivations(name);
      const at = performance.now();
      if (now !== count) {
        count = now;
        lastGrowth = at;
        return undefined;
      }
      return at - lastGrowth >= (count >= expected ? QUIET_MS : STALLED_MS) ? true : undefined;
    },
    300_000,
    5,
  );
  return { count, lastGrowth };
}

export async function nonBlockingInvoke(connections = 64): Promise<NonBlockingResult> {
  return withEdgewhisk([], '0', async (server) => {
    await server.createAction('hello', HELLO);
    const request = invokeRequest(server.url, 'hello');
    await warmUp(request.url, request, 202);
    const before = (await settle(server, 'hello', 64, -1, performance.now())).count;

    const started = performance.now();
    const accepted = load({ ...request, connections });
    const ended = performance.now();
    const atLoadEnd = await server.countActivations('hello');
    const acceptedCount = accepted.requests - accepted.non2xx;
    const { count, lastGrowth } = await settle(server, 'hello', before + acceptedCount, atLoadEnd, ended);
    const records = count - before;
    return {
      accepted,
      acceptedCount,
      records,
      readableAtLoadEnd: atLoadEnd - before,
      drainMs: lastGrowth - ended,
      recordsPerSec: records / ((lastGrowth - started) / 1000),
    };
  });
}

if (import.meta.main) {
  console.log(`non-blocking invoke (${SECONDS}s load):`, await nonBlockingInvoke());
}
