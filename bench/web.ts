/** Suite "web": a warm `.json` web action answering GET, at 1 and 64 connections (records kept). */
import { warmUp, withEdgewhisk, type BenchServer } from './edgewhisk.ts';
import { HELLO } from './hello.ts';
import { load, SECONDS, warmLoad, type LoadResult } from './lib.ts';

/** Deploys the hello web action on `server` and warms it; returns the URL the suite loads. */
export async function warmHelloWebAction(server: BenchServer): Promise<string> {
  await server.createAction('hello', HELLO, { annotations: [{ key: 'web-export', value: true }] });
  const url = `${server.url}/api/v1/web/guest/default/hello.json?name=world`;
  await warmUp(url);
  return url;
}

/** `serverCores` is the server's taskset list: `0,1` lets it (and its isolate worker) use both cores. */
export async function webAction(serverCores = '0'): Promise<LoadResult[]> {
  return withEdgewhisk([], serverCores, async (server) => {
    const url = await warmHelloWebAction(server);
    await warmLoad({ url, connections: 1 });
    return [1, 64].map((connections) => load({ url, connections }));
  });
}

if (import.meta.main) {
  console.log(`web action (${SECONDS}s per run):`, await webAction());
}
