/**
 * An isolate worker process tells the server its pool's stats (instances, cold starts, heap…, for
 * /metrics) with the answers they follow, and only when they changed: in steady state they stay
 * the same from call to call, and a stats message with every answer cost the worker about 1 µs a
 * call. A real worker process driven over the real channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FromWorker } from '../../src/runners/workers/protocol.ts';
import type { RunnableAction } from '../../src/runners/runner.ts';
import { callWorker, ECHO_ACTION, endWorker, startWorker, type DrivenWorker } from '../helpers/isolate-worker.ts';

let worker: DrivenWorker | undefined;
afterEach(() => {
  worker?.child.kill('SIGKILL');
  worker = undefined;
});

const statsIn = (messages: FromWorker[]): Extract<FromWorker, { t: 'stats' }>['stats'][] =>
  messages.flatMap((m) => (m.t === 'stats' ? [m.stats] : []));

describe('the isolate worker’s stats messages', () => {
  it('come with a change (a cold start, an invalidation), not with every answer', async () => {
    const driven = (worker = startWorker({ compilersHeld: false }));
    await driven.next('ready');

    await callWorker(driven, 1);
    // The stats leave in the same write as the answer, after it: wait for them if they are not in yet.
    if (statsIn(driven.received).length === 0) await driven.next('stats');
    expect(statsIn(driven.received)).toEqual([expect.objectContaining({ instances: 1, coldStarts: 1 })]);

    // The action is promoted to the fast path after some quick calls: that is a change.
    let n = 1;
    while (!statsIn(driven.received).some((stats) => stats.fastActions === 1) && n < 200) await callWorker(driven, ++n);
    const sent = statsIn(driven.received).length;
    expect(sent).toBe(2);
    // Warm calls change nothing more, and the heap is measured again only every 256 calls of an instance.
    for (let i = 0; i < 100; i++) await callWorker(driven, ++n);
    const pong = driven.next('pong');
    driven.channel.send({ t: 'ping' });
    await pong;
    expect(statsIn(driven.received)).toHaveLength(sent);

    const other: RunnableAction = { ...ECHO_ACTION, key: 'guest/other@0.0.1#1' };
    const afterCold = driven.next('stats');
    await callWorker(driven, ++n, other);
    expect((await afterCold)).toMatchObject({ stats: { instances: 2, coldStarts: 2 } });

    const afterInvalidate = driven.next('stats');
    driven.channel.send({ t: 'invalidate', prefix: 'guest/other@' });
    expect((await afterInvalidate)).toMatchObject({ stats: { instances: 1, coldStarts: 2 } });
    expect(statsIn(driven.received)).toHaveLength(sent + 2);
    await endWorker(driven);
  }, 30_000);
});
