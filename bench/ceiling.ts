/** Suite "ceiling": the bare uWebSockets.js hello-world on the server core, the baseline for every ratio. */
import { load, SECONDS, spawnServer, type LoadResult } from './lib.ts';

export async function ceiling(): Promise<LoadResult[]> {
  const server = await spawnServer('bench/servers/bare-uws.ts', [], '0');
  try {
    return [1, 64].map((connections) => load({ url: `${server.url}/`, connections }));
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  console.log(`ceiling (${SECONDS}s per run):`, await ceiling());
}
