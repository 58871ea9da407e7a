import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, expectApiError, expectJson, hasKey, kv, LOG_LINE, sleep, type Json } from '../helpers/api.ts';
import { startTestServer, SYSTEM_KEY, type TestServer } from '../helpers/server.ts';

const ID = /^[0-9a-f]{32}$/;

describe('activation records', () => {
  let t: TestServer;
  const create = async (name: string, code: string, extra: Json = {}): Promise<void> => {
    await expectJson(await t.request('PUT', `/api/v1/namespaces/_/actions/${name}`, actionBody(code, extra)), 200);
  };
  const invoke = async (name: string, params: Json = {}, status = 200): Promise<Json> =>
    expectJson(await t.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, params), status);
  const getActivation = async (id: string, suffix = ''): Promise<Json> =>
    expectJson(await t.request('GET', `/api/v1/namespaces/_/activations/${id}${suffix}`), 200);

  beforeAll(async () => {
    t = await startTestServer();
    await create('fields', 'function main(p) { return { got: p.x } }', { limits: { timeout: 3000, memory: 200 } });
    await create('logger', [
      'function main(p) {',
      '  console.log("hello", 42, { a: 1 }, [1, "b"]);',
      '  console.error("bad thing");',
      '  console.info("info goes to stdout");',
      '  console.warn("warn goes to stderr");',
      '  console.log(`run ${p.run}`);',
      '  return {};',
      '}',
    ].join('\n'));
    await create('flood', 'function main() { for (let i = 0; i < 20000; i++) console.log(i + " " + "x".repeat(100)); return { done: true } }', { limits: { logs: 1 } });
    await create('flood-utf8', 'function main() { for (let i = 0; i < 10000; i++) console.log("é€😀".repeat(30)); return {} }', { limits: { logs: 1 } });
    await create('silent', 'function main() { console.log("anything"); return {} }', { limits: { logs: 0 } });
    await create('thrower', 'function main() { console.log("before"); throw new Error("kaboom") }');
  });
  afterAll(async () => t.close());

  it('has OpenWhisk’s fields, with initTime on the cold (first) invoke only', async () => {
    const cold = await invoke('fields', { x: 1 });
    expect(cold.activationId).toMatch(ID);
    expect(cold).toMatchObject({ namespace: 'guest', name: 'fields', version: '0.0.1', subject: 'guest', publish: false });
    expect(typeof cold.start).toBe('number');
    expect(typeof cold.end).toBe('number');
    expect(cold.end).toBeGreaterThanOrEqual(cold.start);
    expect(cold.duration).toBe(cold.end - cold.start);
    expect(Math.abs(cold.start - Date.now())).toBeLessThan(60_000);
    expect(cold.response).toEqual({ status: 'success', statusCode: 0, success: true, result: { got: 1 } });
    expect(cold.logs).toEqual([]);
    expect(kv(cold.annotations, 'path')).toBe('guest/fields');
    expect(kv(cold.annotations, 'kind')).toBe('nodejs:24');
    expect(kv(cold.annotations, 'limits')).toEqual({ timeout: 3000, memory: 200, logs: 10, concurrency: 1 });
    expect(kv(cold.annotations, 'timeout')).toBe(false);
    expect(typeof kv(cold.annotations, 'waitTime')).toBe('number');
    expect(kv(cold.annotations, 'waitTime')).toBeGreaterThanOrEqual(0);
    expect(typeof kv(cold.annotations, 'initTime')).toBe('number');
    expect(kv(cold.annotations, 'initTime')).toBeGreaterThanOrEqual(0);

    const warm = await invoke('fields', { x: 2 });
    expect(warm.activationId).not.toBe(cold.activationId);
    expect(warm.response.result).toEqual({ got: 2 });
    expect(hasKey(warm.annotations, 'initTime')).toBe(false);
    expect(hasKey(warm.annotations, 'waitTime')).toBe(true);
  });

  it('a new version of the action starts cold again and records its version', async () => {
    await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/fields?overwrite=true', { parameters: [{ key: 'x', value: 'default' }] }), 200);
    const record = await invoke('fields');
    expect(record.version).toBe('0.0.2');
    expect(record.response.result).toEqual({ got: 'default' });
    expect(hasKey(record.annotations, 'initTime')).toBe(true);
  });

  it('GET /activations/{id} returns the record; the client gets the same', async () => {
    const record = await invoke('fields', { x: 'get' });
    expect(await getActivation(record.activationId)).toEqual(record);
    expect(await t.ow.activations.get({ name: record.activationId })).toEqual(record);
  });

  it('GET …/result and …/logs', async () => {
    const record = await invoke('logger', { run: 'r1' });
    expect(await getActivation(record.activationId, '/result')).toEqual(record.response);
    expect(await getActivation(record.activationId, '/logs')).toEqual({ logs: record.logs });
    expect(await t.ow.activations.logs({ name: record.activationId })).toEqual({ logs: record.logs });
    expect(((await t.ow.activations.result({ name: record.activationId })) as Json).result).toEqual({});
    await expectApiError(await t.request('GET', `/api/v1/namespaces/_/activations/${record.activationId}/other`), 404);
  });

  it('logs are captured as "<ISO time> stdout|stderr: text", in order', async () => {
    const record = await invoke('logger', { run: 'r2' });
    const logs = record.logs as string[];
    expect(logs).toHaveLength(5);
    for (const line of logs) expect(line).toMatch(LOG_LINE);
    const text = logs.map((line) => line.replace(/^\S+ /, ''));
    expect(text).toEqual([
      "stdout: hello 42 { a: 1 } [ 1, 'b' ]",
      'stderr: bad thing',
      'stdout: info goes to stdout',
      'stderr: warn goes to stderr',
      'stdout: run r2',
    ]);
    const stamp = Date.parse(logs[0]!.split(' ')[0]!);
    expect(stamp).toBeGreaterThanOrEqual(record.start - 5);
    expect(stamp).toBeLessThanOrEqual(record.end + 5);
  });

  it('logs belong to one activation only', async () => {
    const first = await invoke('logger', { run: 'a' });
    const second = await invoke('logger', { run: 'b' });
    expect(first.logs.filter((l: string) => l.includes('run '))).toHaveLength(1);
    expect(second.logs.filter((l: string) => l.includes('run '))).toHaveLength(1);
    expect(second.logs.at(-1)).toMatch(/stdout: run b$/);
  });

  it('a thrown error is logged on stderr, after what was logged before', async () => {
    const record = await invoke('thrower', {}, 502);
    expect(record.logs[0]).toMatch(/ stdout: before$/);
    expect(record.logs.some((l: string) => / stderr: .*kaboom/.test(l))).toBe(true);
  });

  it('a log flood is truncated at limits.logs with a "Logs were truncated" line', async () => {
    const record = await invoke('flood');
    expect(record.response.result).toEqual({ done: true });
    const logs = record.logs as string[];
    expect(logs.length).toBeGreaterThan(100);
    expect(logs.length).toBeLessThan(20000);
    const last = logs.at(-1)!;
    expect(last).toMatch(LOG_LINE);
    expect(last).toMatch(/ stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes\.$/);
    const kept = logs.slice(0, -1);
    expect(kept.every((line) => / stdout: \d+ x{100}$/.test(line))).toBe(true);
    expect(kept.reduce((sum, line) => sum + Buffer.byteLength(line), 0)).toBeLessThanOrEqual(1048576);
    // Truncation keeps the first lines, in order.
    expect(kept[0]).toMatch(/ stdout: 0 x/);
    expect(kept[1]).toMatch(/ stdout: 1 x/);
  });

  it('the log limit counts bytes (UTF-8), not characters', async () => {
    const record = await invoke('flood-utf8');
    const logs = record.logs as string[];
    expect(logs.at(-1)).toMatch(/ stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes\.$/);
    const kept = logs.slice(0, -1);
    expect(kept.length).toBeGreaterThan(100);
    expect(kept.every((line) => line.endsWith('é€😀'.repeat(30)))).toBe(true);
    expect(kept.reduce((sum, line) => sum + Buffer.byteLength(line), 0)).toBeLessThanOrEqual(1048576);
  });

  it('limits.logs 0 keeps no log line, only the truncation notice', async () => {
    const record = await invoke('silent');
    expect(record.logs).toHaveLength(1);
    expect(record.logs[0]).toMatch(/ stderr: Logs were truncated because the total bytes size exceeds the limit of 0 bytes\.$/);
  });

  it('GET an unknown activation → 404; a malformed id → 400', async () => {
    await expectApiError(await t.request('GET', `/api/v1/namespaces/_/activations/${'0'.repeat(32)}`), 404);
    await expectApiError(await t.request('GET', `/api/v1/namespaces/_/activations/${'0'.repeat(32)}/logs`), 404);
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/activations/not-an-id'), 400);
  });

  it('records belong to the caller’s namespace', async () => {
    const record = await invoke('fields', { x: 'mine' });
    await expectApiError(await t.request('GET', `/api/v1/namespaces/_/activations/${record.activationId}`, undefined, { auth: SYSTEM_KEY }), 404);
    await expectApiError(await t.request('GET', `/api/v1/namespaces/guest/activations/${record.activationId}`, undefined, { auth: SYSTEM_KEY }), 403);
  });

  it('activations are read-only', async () => {
    await expectApiError(await t.request('POST', '/api/v1/namespaces/_/activations', {}), 405);
    await expectApiError(await t.request('DELETE', `/api/v1/namespaces/_/activations/${'0'.repeat(32)}`), 405);
  });
});

describe('activations list', () => {
  let t: TestServer;
  /** Oldest first: lister ×3 interleaved with other ×1, all in whisk.system (empty otherwise). */
  const records: Json[] = [];
  const list = async (query = ''): Promise<Json[]> =>
    expectJson(await t.request('GET', `/api/v1/namespaces/_/activations${query}`, undefined, { auth: SYSTEM_KEY }), 200);
  const ids = (items: Json[]): string[] => items.map((a) => a.activationId);
  const byName = (name: string): Json[] => records.filter((r) => r.name === name);

  beforeAll(async () => {
    t = await startTestServer();
    const system = t.client(SYSTEM_KEY);
    await system.actions.create({ name: 'lister', action: 'function main(p) { return { n: p.n } }' });
    await system.actions.create({ name: 'other', action: 'function main() { return { error: "no" } }' });
    for (const [name, n] of [['lister', 1], ['other', 0], ['lister', 2], ['lister', 3]] as const) {
      const response = await t.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, { n }, { auth: SYSTEM_KEY });
      records.push((await response.json()) as Json);
      await sleep(5); // distinct start times
    }
  });
  afterAll(async () => t.close());

  it('lists summaries, newest first', async () => {
    const all = await list();
    expect(ids(all)).toEqual(ids(records).reverse());
    const summary = all[0]!;
    const full = records.at(-1)!;
    expect(summary).toMatchObject({
      activationId: full.activationId,
      namespace: 'whisk.system',
      name: 'lister',
      version: '0.0.1',
      publish: false,
      start: full.start,
      end: full.end,
      duration: full.duration,
      statusCode: 0,
    });
    expect(summary.annotations).toEqual(full.annotations);
    expect(summary).not.toHaveProperty('response');
    expect(summary).not.toHaveProperty('logs');
    expect(all.find((a) => a.name === 'other')!.statusCode).toBe(1);
  });

  it('name= filters by action', async () => {
    expect(ids(await list('?name=lister'))).toEqual(ids(byName('lister')).reverse());
    expect(ids(await list('?name=other'))).toEqual(ids(byName('other')));
    expect(await list('?name=nothing')).toEqual([]);
    expect(await list('?name=pkg/nothing')).toEqual([]);
    const viaClient = await t.client(SYSTEM_KEY).activations.list({ name: 'lister' });
    expect(ids(viaClient)).toEqual(ids(byName('lister')).reverse());
  });

  it('since= and upto= bound the start time, inclusively', async () => {
    const [a, b, c, d] = records as [Json, Json, Json, Json];
    expect(ids(await list(`?since=${b.start}`))).toEqual(ids([d, c, b]));
    expect(ids(await list(`?upto=${b.start}`))).toEqual(ids([b, a]));
    expect(ids(await list(`?since=${b.start}&upto=${c.start}`))).toEqual(ids([c, b]));
    expect(ids(await list(`?name=lister&since=${b.start}`))).toEqual(ids([d, c]));
    expect(await list(`?since=${d.start + 1}`)).toEqual([]);
    const viaClient = await t.client(SYSTEM_KEY).activations.list({ since: c.start });
    expect(ids(viaClient)).toEqual(ids([d, c]));
  });

  it('skip= and limit= page through the list', async () => {
    const newestFirst = ids(records).reverse();
    expect(ids(await list('?limit=1'))).toEqual(newestFirst.slice(0, 1));
    expect(ids(await list('?skip=1&limit=2'))).toEqual(newestFirst.slice(1, 3));
    expect(ids(await list('?skip=3'))).toEqual(newestFirst.slice(3));
    expect(ids(await list('?name=lister&skip=1&limit=1'))).toEqual([records[2]!.activationId]);
    const viaClient = await t.client(SYSTEM_KEY).activations.list({ skip: 2, limit: 1 });
    expect(ids(viaClient)).toEqual(newestFirst.slice(2, 3));
  });

  it('docs=true returns full records', async () => {
    const docs = await list('?docs=true');
    expect(docs).toEqual([...records].reverse());
    expect(await t.client(SYSTEM_KEY).activations.list({ docs: true, name: 'other' })).toEqual(byName('other'));
  });

  it('count=true gives {activations: n}, with the same filters', async () => {
    expect(await list('?count=true')).toEqual({ activations: 4 });
    expect(await list('?count=true&name=lister')).toEqual({ activations: 3 });
    expect(await list(`?count=true&since=${records[2]!.start}`)).toEqual({ activations: 2 });
    expect(await t.client(SYSTEM_KEY).activations.list({ count: true })).toEqual({ activations: 4 });
  });

  it('docs with count → 400 {error, code}', async () => {
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/activations?docs=true&count=true', undefined, { auth: SYSTEM_KEY }), 400);
  });

  it.each(['?since=yesterday', '?upto=-1', '?limit=201', '?skip=-2', '?name=a/b/c', '?name=bad$name'])('bad query %s → 400 {error, code}', async (query) => {
    await expectApiError(await t.request('GET', `/api/v1/namespaces/_/activations${query}`, undefined, { auth: SYSTEM_KEY }), 400);
  });

  it('each namespace lists only its own records', async () => {
    expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/activations'), 200)).toEqual([]);
  });
});
