/**
 * Suite "beside": what cold starts do to the warm calls around them. The warm `.json` web action is
 * loaded at 1 connection (each request waits for the one before, so any stall shows in its
 * latencies) while another client deploys a new action and invokes it once, every COLD_EVERY_MS:
 * each cold start takes a blank isolate and the worker makes another. Run with the server on core 0
 * and on cores 0 and 1 (the load stays on core 1; the cold client, this process, too).
 */
import { warmHelloWebAction } from './web.ts';
import { withEdgewhisk } from './edgewhisk.ts';
import { httpClient, loadAll, type LoadResult } from './lib.ts';
import { coldActionCode, deployAction } from './cold.ts';

/** A cold start every this many ms (plus its own time): about 40 a second. */
const COLD_EVERY_MS = 20;

export interface BesideRun {
  serverCores: string;
  warm: LoadResult;
  /** Cold starts made during the warm load. */
  coldStarts: number;
}

async function besideOn(serverCores: string): Promise<BesideRun> {
  return withEdgewhisk([], serverCores, async (server) => {
    const url = await warmHelloWebAction(server);
    const send = httpClient(server.url);
    let loading = true;
    let coldStarts = 0;
    const colds = (async () => {
      for (let i = 0; loading; i++) {
        await deployAction(send, `beside${i}`, coldActionCode(i));
        const post = await send('POST', `/api/v1/namespaces/_/actions/beside${i}?blocking=true&result=true`, { name: 'x' });
        if (post.status !== 200) throw new Error(`cold start beside the load: POST ${post.status} ${post.text}`);
        coldStarts++;
        await new Promise((resolve) => setTimeout(resolve, COLD_EVERY_MS));
      }
    })();
    let warm: LoadResult;
    try {
      [warm] = (await loadAll([{ url, connections: 1 }])) as [LoadResult];
    } finally {
      loading = false;
      await colds;
    }
    return { serverCores, warm, coldStarts };
  });
}

export async function beside(): Promise<BesideRun[]> {
  return [await besideOn('0'), await besideOn('0,1')];
}

if (import.meta.main) {
  console.log('warm calls beside cold starts:', await beside());
}
