/** Suite "web": a warm `.json` web action answering GET, at 1 and 64 connections (records kept). */
import { startEdgewhisk, HELLO } from './edgewhisk.ts';
import { load, SECONDS, type LoadResult } from './lib.ts';

export async function webAction(serverCores = '0'): Promise<LoadResult[]> {
  const server = await startEdgewhisk([], serverCores);
  try {
    await server.createAction('hello', HELLO, { annotations: [{ key: 'web-export', value: true }] });
    const url = `${server.url}/api/v1/web/guest/default/hello.json?name=world`;
    // Warm up past the promotion to the fast path (16 quick calls) before measuring.
    for (let i = 0; i < 64; i++) {
      const res = await fetch(url);
      if (res.status !== 200) throw new Error(`warm-up web call answered ${res.status}: ${await res.text()}`);
    }
    return [1, 64].map((connections) => load({ url, connections }));
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  console.log(`web action (${SECONDS}s per run):`, await webAction());
}
