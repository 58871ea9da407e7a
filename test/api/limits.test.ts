import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, expectJson, hasKey, kv, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('limits are enforced', () => {
  let t: TestServer;
  const create = async (name: string, code: string, extra: Json = {}, query = ''): Promise<Json> =>
    expectJson(await t.request('PUT', `/api/v1/namespaces/_/actions/${name}${query}`, actionBody(code, extra)), 200);
  const invoke = (name: string, params: Json = {}): Promise<Response> =>
    t.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, params);

  beforeAll(async () => {
    t = await startTestServer();
    await create('spin', 'function main(p) { if (p.loop) { while (true) {} } return { ok: true } }', { limits: { timeout: 500 } });
    await create('quick', 'function main() { return { quick: true } }');
    await create('bomb', [
      'function main(p) {',
      '  if (!p.bomb) return { ok: true };',
      '  const hoard = [];',
      '  for (;;) hoard.push(new Array(1e5).fill(hoard.length));',
      '}',
    ].join('\n'), { limits: { memory: 128 } });
  });
  afterAll(async () => t.close());

  it('an infinite loop past limits.timeout → 502 developer error, annotation timeout:true', async () => {
    const started = Date.now();
    const record = await expectJson(await invoke('spin', { loop: true }), 502);
    const elapsed = Date.now() - started;
    expect(record.response).toEqual({
      status: 'action developer error',
      statusCode: 2,
      success: false,
      result: { error: 'The action exceeded its time limits of 500 milliseconds.' },
    });
    expect(kv(record.annotations, 'timeout')).toBe(true);
    expect(record.duration).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3000);
  });

  it('the server keeps answering other actions while a loop runs', async () => {
    const looping = invoke('spin', { loop: true });
    const started = Date.now();
    // The API itself and other actions answer while the loop holds its isolate.
    expect((await t.request('GET', '/api/v1/namespaces/_/actions/spin')).status).toBe(200);
    const other = await expectJson(await invoke('quick'), 200);
    expect(other.response.result).toEqual({ quick: true });
    expect(Date.now() - started).toBeLessThan(300);
    const record = await expectJson(await looping, 502);
    expect(kv(record.annotations, 'timeout')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('the same action works again after its timeout, in a fresh isolate', async () => {
    await expectJson(await invoke('spin', { loop: true }), 502);
    const record = await expectJson(await invoke('spin'), 200);
    expect(record.response.result).toEqual({ ok: true });
    expect(kv(record.annotations, 'timeout')).toBe(false);
    expect(hasKey(record.annotations, 'initTime')).toBe(true);
  });

  it('a timeout in top-level code (initialization) → 502 developer error with timeout:true', async () => {
    await create('init-spin', 'while (true) {}\nfunction main() { return {} }', { limits: { timeout: 300 } });
    const record = await expectJson(await invoke('init-spin'), 502);
    expect(record.response.status).toBe('action developer error');
    expect(record.response.result.error).toMatch(/^The action exceeded its time limits of 300 milliseconds/);
    expect(kv(record.annotations, 'timeout')).toBe(true);
  });

  it('a heap bomb past limits.memory → 502 developer error; the next call works', async () => {
    const record = await expectJson(await invoke('bomb', { bomb: true }), 502);
    expect(record.response).toEqual({
      status: 'action developer error',
      statusCode: 2,
      success: false,
      result: { error: 'The action exhausted its memory and was aborted.' },
    });
    expect(kv(record.annotations, 'timeout')).toBe(false);
    const next = await expectJson(await invoke('bomb'), 200);
    expect(next.response.result).toEqual({ ok: true });
    expect(await expectJson(await invoke('quick'), 200)).toMatchObject({ response: { result: { quick: true } } });
  });

  it('after many quick calls (hot action) a loop is still stopped and the server still answers', async () => {
    await create('hot-spin', 'function main(p) { if (p.loop) { while (true) {} } return { ok: true } }', { limits: { timeout: 500 } });
    for (let i = 0; i < 40; i++) await expectJson(await invoke('hot-spin'), 200);
    const looping = invoke('hot-spin', { loop: true });
    const started = Date.now();
    expect((await expectJson(await invoke('quick'), 200)).response.result).toEqual({ quick: true });
    expect(Date.now() - started).toBeLessThan(300);
    const record = await expectJson(await looping, 502);
    expect(record.response.result).toEqual({ error: 'The action exceeded its time limits of 500 milliseconds.' });
    expect(kv(record.annotations, 'timeout')).toBe(true);
    expect((await expectJson(await invoke('hot-spin'), 200)).response.result).toEqual({ ok: true });
  });

  it('a result over 1 MB → 502 developer error', async () => {
    await create('huge', 'function main() { return { s: "x".repeat(1100000) } }');
    const record = await expectJson(await invoke('huge'), 502);
    expect(record.response.status).toBe('action developer error');
    expect(record.response.result.error).toMatch(/exceeded the allowed length/);
  });
});

describe('warm isolates', () => {
  let t: TestServer;
  const counter = (tag: string): string => `let count = 0;\nfunction main() { count++; return { tag: ${JSON.stringify(tag)}, count } }`;
  const call = async (name: string): Promise<Json> => t.ow.actions.invoke({ name, blocking: true, result: true }) as Promise<Json>;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('module-level state persists between warm calls of the same version', async () => {
    await t.ow.actions.create({ name: 'counter', action: counter('v1') });
    expect(await call('counter')).toEqual({ tag: 'v1', count: 1 });
    expect(await call('counter')).toEqual({ tag: 'v1', count: 2 });
    expect(await call('counter')).toEqual({ tag: 'v1', count: 3 });
  });

  it('state persists across warm calls whatever each call costs (short, busy, async)', async () => {
    const code = [
      'let n = 0;',
      'async function main(p) {',
      '  n++;',
      '  const end = Date.now() + (p.busy || 0);',
      '  while (Date.now() < end) {}',
      '  if (p.wait) for (let i = 0; i < 1000; i++) await null;',
      '  return { n };',
      '}',
    ].join('\n');
    await t.ow.actions.create({ name: 'costs', action: code });
    const run = async (params: Json): Promise<unknown> => (await t.ow.actions.invoke({ name: 'costs', blocking: true, result: true, params }) as Json).n;
    expect(await run({})).toBe(1);
    expect(await run({ busy: 40 })).toBe(2);
    expect(await run({})).toBe(3);
    expect(await run({ wait: true })).toBe(4);
    expect(await run({ busy: 40, wait: true })).toBe(5);
    expect(await run({})).toBe(6);
  });

  it('an update replaces the isolate: the new code runs at once, with fresh state', async () => {
    await t.ow.actions.update({ name: 'counter', action: counter('v2') });
    expect(await call('counter')).toEqual({ tag: 'v2', count: 1 });
    expect(await call('counter')).toEqual({ tag: 'v2', count: 2 });
  });

  it('an update that keeps the code still starts a fresh isolate for the new version', async () => {
    await t.ow.actions.update({ name: 'counter', params: { p: 1 } });
    const record = await t.ow.actions.invoke({ name: 'counter', blocking: true });
    expect(record.version).toBe('0.0.3');
    expect(record.response?.result).toEqual({ tag: 'v2', count: 1 });
    expect(hasKey(record.annotations as { key: string }[], 'initTime')).toBe(true);
  });

  it('delete then create under the same name runs the new code', async () => {
    await t.ow.actions.delete({ name: 'counter' });
    await t.ow.actions.create({ name: 'counter', action: counter('v3') });
    expect(await call('counter')).toEqual({ tag: 'v3', count: 1 });
  });

  it('an update while a call is running: the running call finishes, the next one runs the new code', async () => {
    await t.ow.actions.create({ name: 'slow', action: 'async function main() { for (let i = 0; i < 2e6; i++) await null; return { v: "old" } }' });
    const running = t.ow.actions.invoke({ name: 'slow', blocking: true, result: true });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await t.ow.actions.update({ name: 'slow', action: 'function main() { return { v: "new" } }' });
    expect(await call('slow')).toEqual({ v: 'new' });
    const old: { result?: unknown; statusCode?: number } = await running.then(
      (result) => ({ result }),
      (error: { statusCode?: number }) => ({ statusCode: error.statusCode ?? 0 }),
    );
    // Either it completed with the old code or it was cut off; it must not silently run the new code.
    if (old.statusCode === undefined) expect(old.result).toEqual({ v: 'old' });
    else expect(old.statusCode).toBeGreaterThanOrEqual(500);
  });
});
