/** Starts a real edgewhisk server on port 0 with a fresh SQLite file, and an openwhisk client for it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openwhisk from 'openwhisk';
import { loadConfig, type Config } from '../../src/config.ts';
import { startServer, type EdgewhiskServer } from '../../src/main.ts';
import { WELL_KNOWN_KEYS } from '../../src/store/namespaces.ts';

export const GUEST_KEY = WELL_KNOWN_KEYS.guest;
export const SYSTEM_KEY = WELL_KNOWN_KEYS['whisk.system'];

export interface TestServer {
  server: EdgewhiskServer;
  url: string;
  dataDir: string;
  /** The official openwhisk client, as a user would configure it. */
  ow: ReturnType<typeof openwhisk>;
  client(apiKey: string): ReturnType<typeof openwhisk>;
  /** Raw HTTP against the API with the guest key unless told otherwise. */
  request(method: string, path: string, body?: unknown, options?: { auth?: string | null; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

/** Suites invoke far more than OpenWhisk's 120 a minute: the throttles are off unless a test sets them. */
export const UNTHROTTLED: Record<string, string> = { 'invocations-per-minute': '0', 'concurrent-invocations': '0', 'fires-per-minute': '0' };

/**
 * Flags are the CLI's (`{'allow-guest-key': 'false'}`). A given `data-dir` is used as is and kept
 * on close (restart tests); otherwise a fresh temporary one is made and removed on close.
 */
export async function startTestServer(flags: Record<string, string> = {}): Promise<TestServer> {
  const given = flags['data-dir'];
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'edgewhisk-test-'));
  const config: Config = loadConfig({ port: '0', ...UNTHROTTLED, ...flags, 'data-dir': dataDir }, {});
  const server = await startServer(config).catch((error: unknown) => {
    if (given === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const client = (apiKey: string) => openwhisk({ apihost: server.url, api_key: apiKey, namespace: '_' });
  return {
    server,
    url: server.url,
    dataDir,
    ow: client(GUEST_KEY),
    client,
    async request(method, path, body, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const auth = options.auth === undefined ? GUEST_KEY : options.auth;
      if (auth !== null) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${server.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    },
    async close() {
      await server.close();
      if (given === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
