/** Suite "invoke": warm blocking invoke (POST ?blocking=true&result=true, record persisted) at 1 and 64 connections. */
import { startEdgewhisk, HELLO } from './edgewhisk.ts';
import { GUEST_AUTH, load, SECONDS, type LoadResult } from './lib.ts';

export async function blockingInvoke(): Promise<LoadResult[]> {
  const server = await startEdgewhisk();
  try {
    await server.createAction('hello', HELLO);
    const url = `${server.url}/api/v1/namespaces/_/actions/hello?blocking=true&result=true`;
    const request = { url, method: 'POST', body: '{"name":"world"}', headers: { authorization: GUEST_AUTH, 'content-type': 'application/json' } };
    // Warm up past the promotion to the fast path (16 quick calls) before measuring.
    for (let i = 0; i < 64; i++) {
      const warmup = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
      if (warmup.status !== 200) throw new Error(`warm-up invoke answered ${warmup.status}: ${await warmup.text()}`);
    }
    return [1, 64].map((connections) => load({ ...request, connections }));
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  console.log(`blocking invoke (${SECONDS}s per run):`, await blockingInvoke());
}
