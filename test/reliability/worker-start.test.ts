/**
 * Isolate worker processes start on demand (src/runners/workers/supervisor.ts): the server answers
 * at once without one, an idle server holds none, deploying an action starts its worker, calls
 * made while one starts wait for it, a restart with schedules starts one at once, and a worker
 * that cannot start fails its calls with a system error instead of blaming the action.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

async function metric(t: TestServer, name: string): Promise<number> {
  const text = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('isolate worker processes start when first needed', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const put = async (server: TestServer, name: string, code: string): Promise<void> => {
    const res = await server.request('PUT', `/api/v1/namespaces/_/actions/${name}?overwrite=true`, { exec: { kind: 'nodejs:default', code } });
    expect(res.status, await res.text()).toBe(200);
  };
  const invoke = async (server: TestServer, name: string, params: Json = {}): Promise<{ status: number; record: Json }> => {
    const res = await server.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, params);
    return { status: res.status, record: (await res.json()) as Json };
  };

  it('an idle server has none; deploying starts one; calls made while it starts all wait for it; the spare follows', async () => {
    t = await startTestServer();
    const server = t;
    await sleep(300);
    expect(await metric(server, 'edgewhisk_isolate_worker_processes')).toBe(0);

    await put(server, 'echo', 'function main(p) { return { n: p.n } }');
    expect(await metric(server, 'edgewhisk_isolate_worker_processes')).toBe(1);
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => invoke(server, 'echo', { n })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.record.response.result.n)).toEqual([1, 2, 3, 4, 5]);
    // The shared worker, then the spare kept for replacing it once it is up.
    await until('the spare', async () => (await metric(server, 'edgewhisk_isolate_worker_processes')) === 2);
    expect(await metric(server, 'edgewhisk_isolate_worker_crashes_total')).toBe(0);
  });

  it('a worker that cannot start fails its calls as a system error (not the action), and a later start serves', async () => {
    t = await startTestServer();
    const server = t;
    const saved = process.env.NODE_OPTIONS;
    // Every process the supervisor spawns now dies at once: Node cannot load this preload.
    process.env.NODE_OPTIONS = `${saved ?? ''} --require=/nonexistent/edgewhisk-missing-preload.cjs`.trim();
    let failed: { status: number; record: Json };
    try {
      await put(server, 'echo', 'function main(p) { return { n: p.n } }');
      failed = await invoke(server, 'echo', { n: 1 });
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    expect(failed.status).toBe(500);
    expect(failed.record.response).toMatchObject({ statusCode: 3, status: 'whisk internal error', result: { error: 'The action could not be run: its isolate worker process did not start.' } });
    // Not taken for a crash of the action's making: no quarantine, the next call runs normally.
    const next = await invoke(server, 'echo', { n: 2 });
    expect(next.status).toBe(200);
    expect(next.record.response.result).toEqual({ n: 2 });
  });

  it('a restart without schedules stays idle until a call; with one, its worker starts at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-worker-start-'));
    const open: TestServer[] = [];
    const start = async (): Promise<TestServer> => {
      const server = await startTestServer({ 'data-dir': dataDir });
      open.push(server);
      return server;
    };
    const stop = async (server: TestServer): Promise<void> => {
      open.splice(open.indexOf(server), 1);
      await server.close();
    };
    try {
      const first = await start();
      await put(first, 'echo', 'function main(p) { return { n: p.n } }');
      await stop(first);
      const idle = await start();
      await sleep(300);
      expect(await metric(idle, 'edgewhisk_isolate_worker_processes')).toBe(0);
      expect((await invoke(idle, 'echo', { n: 1 })).record.response.result).toEqual({ n: 1 });
      const res = await idle.request('PUT', '/api/v1/namespaces/_/actions/echo?overwrite=true', { exec: { kind: 'nodejs:default', code: 'function main(p) { return { n: p.n } }' }, annotations: [{ key: 'cron', value: '0 0 1 1 *' }] });
      expect(res.status).toBe(200);
      await stop(idle);
      const scheduled = await start();
      expect(await metric(scheduled, 'edgewhisk_isolate_worker_processes')).toBe(1);
    } finally {
      for (const server of open) await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
