/** Starts the real edgewhisk server (pinned to the server core) on a fresh data dir for a suite. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, spawnServer, type ServerProcess } from './lib.ts';

export interface BenchServer extends ServerProcess {
  createAction(name: string, code: string, extra?: Record<string, unknown>): Promise<void>;
}

export async function startEdgewhisk(flags: string[] = [], core: string | undefined = '0'): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-bench-'));
  // OpenWhisk's per-namespace throttles (120 invocations a minute) would cap any benchmark: lifted.
  const unthrottled = ['--invocations-per-minute', '0', '--concurrent-invocations', '0', '--fires-per-minute', '0'];
  const server = await spawnServer('src/cli.ts', ['serve', '--port', '0', '--data-dir', dataDir, ...unthrottled, ...flags], core);
  return {
    ...server,
    async createAction(name, code, extra = {}) {
      const res = await api(server.url, 'PUT', `/api/v1/namespaces/_/actions/${name}?overwrite=true`, {
        exec: { kind: 'nodejs:default', code },
        ...extra,
      });
      if (!res.ok) throw new Error(`creating ${name}: ${res.status} ${await res.text()}`);
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const HELLO = 'function main(params) { return { hello: params.name || "world" } }';
