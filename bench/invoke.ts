/** Suite "invoke": warm blocking invoke (POST ?blocking=true&result=true, record persisted) at 1 and 64 connections. */
import { invokeRequest, warmUp, withEdgewhisk, type BenchServer } from './edgewhisk.ts';
import { HELLO } from './hello.ts';
import { load, SECONDS, warmLoad, type LoadResult } from './lib.ts';

/** Warm blocking invokes of an existing action at 1 and 64 connections. */
export async function loadBlockingInvoke(server: BenchServer, action: string): Promise<LoadResult[]> {
  const request = invokeRequest(server.url, action, '?blocking=true&result=true');
  await warmUp(request.url, request);
  await warmLoad(request);
  return [1, 64].map((connections) => load({ ...request, connections }));
}

export async function blockingInvoke(): Promise<LoadResult[]> {
  return withEdgewhisk([], '0', async (server) => {
    await server.createAction('hello', HELLO);
    return loadBlockingInvoke(server, 'hello');
  });
}

if (import.meta.main) {
  console.log(`blocking invoke (${SECONDS}s per run):`, await blockingInvoke());
}
