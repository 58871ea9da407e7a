/** Starts the real edgewhisk server (pinned to the server core) on a fresh data dir for a suite. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, GUEST_AUTH, spawnServer, type LoadOptions, type ServerProcess } from './lib.ts';

export interface BenchServer extends ServerProcess {
  createAction(name: string, code: string, extra?: Record<string, unknown>): Promise<void>;
  /** PUT of any entity (`triggers/t`, `rules/r`, `actions/seq` …) in the guest namespace, overwriting. */
  put(path: string, body: unknown): Promise<void>;
  /**
   * Activation records of the guest namespace readable now: of action or trigger `name` only, if
   * given, and only those started at or after `since` (epoch ms), if given.
   */
  countActivations(name?: string, since?: number): Promise<number>;
}

/** `script`: the sources (default), or the bundle `npm start` runs (scripts/build.ts's BUNDLE_CLI, built first). */
export async function startEdgewhisk(flags: string[] = [], core: string | undefined = '0', script = 'src/cli.ts'): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-bench-'));
  // OpenWhisk's per-namespace throttles (120 invocations a minute) would cap any benchmark: lifted.
  const unthrottled = ['--invocations-per-minute', '0', '--concurrent-invocations', '0', '--fires-per-minute', '0'];
  const server = await spawnServer(script, ['serve', '--port', '0', '--data-dir', dataDir, ...unthrottled, ...flags], core);
  const put = async (path: string, body: unknown): Promise<void> => {
    const res = await api(server.url, 'PUT', `/api/v1/namespaces/_/${path}?overwrite=true`, body);
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  };
  return {
    ...server,
    put,
    createAction: (name, code, extra = {}) => put(`actions/${name}`, { exec: { kind: 'nodejs:default', code }, ...extra }),
    async countActivations(name, since) {
      const filter = `${name ? `&name=${name}` : ''}${since === undefined ? '' : `&since=${since}`}`;
      const res = await api(server.url, 'GET', `/api/v1/namespaces/_/activations?count=true${filter}`);
      if (!res.ok) throw new Error(`counting activations: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { activations: number }).activations;
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `body` against a fresh server, stopped afterwards whatever happens. */
export async function withEdgewhisk<T>(flags: string[], core: string | undefined, body: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await startEdgewhisk(flags, core);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** The load request of an invoke of `action` (POST with a small JSON body); `query` e.g. `?blocking=true&result=true`. */
export function invokeRequest(url: string, action: string, query = ''): LoadOptions & { method: string; body: string; headers: Record<string, string> } {
  return {
    url: `${url}/api/v1/namespaces/_/actions/${action}${query}`,
    connections: 1,
    method: 'POST',
    body: '{"name":"world"}',
    headers: { authorization: GUEST_AUTH, 'content-type': 'application/json' },
  };
}

/**
 * Sends the request `calls` times one after another, past the promotion to the fast path (16 quick
 * calls), before a suite measures; throws unless each answers `status`.
 */
export async function warmUp(url: string, init: RequestInit = {}, status = 200, calls = 64): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const res = await fetch(url, init);
    const text = await res.text();
    if (res.status !== status) throw new Error(`warm-up ${init.method ?? 'GET'} ${url} answered ${res.status}: ${text}`);
  }
}
