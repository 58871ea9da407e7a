import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, clientError, expectApiError, expectJson, kv, sleep, type Json } from '../helpers/api.ts';
import { createNamespace } from '../helpers/namespaces.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const DEFAULT_LIMITS = { timeout: 60000, memory: 256, logs: 10, concurrency: 1 };
const CODE = 'function main(params) { return params }';

describe('actions CRUD', () => {
  let t: TestServer;
  const path = (name: string, query = ''): string => `/api/v1/namespaces/_/actions/${encodeURIComponent(name)}${query}`;
  const get = async (name: string, query = ''): Promise<Json> => expectJson(await t.request('GET', path(name, query)), 200);

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('create returns the entity with version 0.0.1, default limits and system annotations', async () => {
    const created = (await t.ow.actions.create({ name: 'created', action: CODE })) as Json;
    expect(created).toMatchObject({
      namespace: 'guest',
      name: 'created',
      version: '0.0.1',
      publish: false,
      exec: { kind: 'nodejs:24', code: CODE, binary: false },
      parameters: [],
      limits: DEFAULT_LIMITS,
    });
    expect(created.annotations).toEqual([
      { key: 'exec', value: 'nodejs:24' },
      { key: 'provide-api-key', value: false },
    ]);
    expect(typeof created.updated).toBe('number');
    expect(await get('created')).toEqual(created);
  });

  it('parameters and annotations round-trip', async () => {
    const params = { a: 1, text: 'x', nested: { list: [1, 'two', null], flag: true } };
    const created = (await t.ow.actions.create({ name: 'kv', action: CODE, params, annotations: { web: 'yes', n: 3, obj: { k: [1] } } })) as Json;
    expect(created.parameters).toEqual([
      { key: 'a', value: 1 },
      { key: 'text', value: 'x' },
      { key: 'nested', value: params.nested },
    ]);
    const fetched = await t.ow.actions.get({ name: 'kv' });
    expect(fetched.parameters).toEqual(created.parameters);
    expect(kv(fetched.annotations, 'web')).toBe('yes');
    expect(kv(fetched.annotations, 'n')).toBe(3);
    expect(kv(fetched.annotations, 'obj')).toEqual({ k: [1] });
    expect(kv(fetched.annotations, 'exec')).toBe('nodejs:24');
    expect(kv(fetched.annotations, 'provide-api-key')).toBe(false);
  });

  it('keeps a provide-api-key annotation the user gave', async () => {
    const created = await expectJson(
      await t.request('PUT', path('with-key'), actionBody(CODE, { annotations: [{ key: 'provide-api-key', value: true }] })),
      200,
    );
    expect(created.annotations.filter((a: Json) => a.key === 'provide-api-key')).toEqual([{ key: 'provide-api-key', value: true }]);
  });

  it('update merges: omitted fields keep their old values; the version is patch-bumped', async () => {
    await t.ow.actions.create({ name: 'merge', action: CODE, params: { keep: 1 }, annotations: { note: 'kept' }, limits: { timeout: 5000 } });

    // The client's update with only code sends only exec.
    const v2 = (await t.ow.actions.update({ name: 'merge', action: 'function main() { return { v: 2 } }' })) as Json;
    expect(v2.version).toBe('0.0.2');
    expect(v2.exec.code).toBe('function main() { return { v: 2 } }');
    expect(v2.parameters).toEqual([{ key: 'keep', value: 1 }]);
    expect(kv(v2.annotations, 'note')).toBe('kept');
    expect(v2.limits).toEqual({ ...DEFAULT_LIMITS, timeout: 5000 });

    // Only parameters: the code stays.
    const v3 = (await t.ow.actions.update({ name: 'merge', params: { other: 2 } })) as Json;
    expect(v3.version).toBe('0.0.3');
    expect(v3.exec.code).toBe('function main() { return { v: 2 } }');
    expect(v3.parameters).toEqual([{ key: 'other', value: 2 }]);
    expect(kv(v3.annotations, 'note')).toBe('kept');

    // Only one limit: the others stay.
    const v4 = await expectJson(await t.request('PUT', path('merge', '?overwrite=true'), { limits: { memory: 128 } }), 200);
    expect(v4.version).toBe('0.0.4');
    expect(v4.limits).toEqual({ timeout: 5000, memory: 128, logs: 10, concurrency: 1 });
    expect(v4.parameters).toEqual([{ key: 'other', value: 2 }]);

    const stored = await get('merge');
    expect(stored.version).toBe('0.0.4');
    expect(stored.exec.code).toBe('function main() { return { v: 2 } }');
    expect(await t.ow.actions.invoke({ name: 'merge', blocking: true, result: true })).toEqual({ v: 2 });
  });

  it('update keeps provide-api-key as it was and refreshes the exec annotation', async () => {
    await t.ow.actions.create({ name: 'upd-annot', action: CODE });
    const updated = await expectJson(
      await t.request('PUT', path('upd-annot', '?overwrite=true'), { exec: { kind: 'nodejs:20', code: CODE }, annotations: [{ key: 'a', value: 1 }] }),
      200,
    );
    expect(kv(updated.annotations, 'exec')).toBe('nodejs:20');
    expect(kv(updated.annotations, 'a')).toBe(1);
  });

  it('PUT without overwrite on an existing action → 409 {error, code}, nothing changes', async () => {
    await t.ow.actions.create({ name: 'taken', action: CODE });
    await expectApiError(await t.request('PUT', path('taken'), actionBody('function main() { return { changed: true } }')), 409);
    await expectApiError(await t.request('PUT', path('taken', '?overwrite=false'), actionBody('function main() {}')), 409);
    const failure = await clientError(t.ow.actions.create({ name: 'taken', action: 'function main() {}' }));
    expect(failure.statusCode).toBe(409);
    const stored = await get('taken');
    expect(stored.version).toBe('0.0.1');
    expect(stored.exec.code).toBe(CODE);
  });

  it('PUT with overwrite=true on a missing action creates it at 0.0.1', async () => {
    const created = await expectJson(await t.request('PUT', path('fresh', '?overwrite=true'), actionBody(CODE)), 200);
    expect(created.version).toBe('0.0.1');
    expect(kv(created.annotations, 'provide-api-key')).toBe(false);
  });

  it('delete returns the entity, then GET → 404 and a second delete → 404', async () => {
    await t.ow.actions.create({ name: 'doomed', action: CODE, params: { p: 1 } });
    const deleted = (await t.ow.actions.delete({ name: 'doomed' })) as Json;
    expect(deleted).toMatchObject({ name: 'doomed', namespace: 'guest', version: '0.0.1', exec: { code: CODE }, parameters: [{ key: 'p', value: 1 }] });
    await expectApiError(await t.request('GET', path('doomed')), 404);
    await expectApiError(await t.request('DELETE', path('doomed')), 404);
    expect((await clientError(t.ow.actions.get({ name: 'doomed' }))).statusCode).toBe(404);
    await expectApiError(await t.request('POST', path('doomed', '?blocking=true')), 404);
  });

  it('code=false omits exec.code and keeps the rest', async () => {
    await t.ow.actions.create({ name: 'nocode', action: CODE });
    const raw = await get('nocode', '?code=false');
    expect(raw.exec).not.toHaveProperty('code');
    expect(raw.exec.kind).toBe('nodejs:24');
    expect(raw.version).toBe('0.0.1');
    const viaClient = (await t.ow.actions.get({ name: 'nocode', code: false } as { name: string })) as Json;
    expect(viaClient.exec).not.toHaveProperty('code');
    expect((await get('nocode', '?code=true')).exec.code).toBe(CODE);
  });

  it('custom main name is kept in exec', async () => {
    const created = await expectJson(await t.request('PUT', path('custom-main'), { exec: { kind: 'nodejs:24', code: 'function run() {}', main: 'run' } }), 200);
    expect(created.exec.main).toBe('run');
    expect((await get('custom-main')).exec.main).toBe('run');
  });

  it.each([
    ['timeout below 100', { timeout: 99 }],
    ['timeout above 300000', { timeout: 300001 }],
    ['memory below 128', { memory: 127 }],
    ['memory above 512', { memory: 513 }],
    ['logs below 0', { logs: -1 }],
    ['logs above 10', { logs: 11 }],
    ['concurrency below 1', { concurrency: 0 }],
    ['concurrency above 500', { concurrency: 501 }],
    ['a non-integer timeout', { timeout: 1000.5 }],
    ['a string memory', { memory: '256' }],
    ['limits not an object', 'big'],
  ])('limits out of range (%s) → 400 {error, code}', async (_label, limits) => {
    await expectApiError(await t.request('PUT', path('bad-limits'), actionBody(CODE, { limits })), 400);
    await expectApiError(await t.request('GET', path('bad-limits')), 404);
  });

  it('limits at the edges of the ranges are accepted', async () => {
    const low = await expectJson(await t.request('PUT', path('limits-low'), actionBody(CODE, { limits: { timeout: 100, memory: 128, logs: 0, concurrency: 1 } })), 200);
    expect(low.limits).toEqual({ timeout: 100, memory: 128, logs: 0, concurrency: 1 });
    const high = await expectJson(await t.request('PUT', path('limits-high'), actionBody(CODE, { limits: { timeout: 300000, memory: 512, logs: 10 } })), 200);
    expect(high.limits).toEqual({ timeout: 300000, memory: 512, logs: 10, concurrency: 1 });
  });

  it('an out-of-range limit on update → 400 and the action is unchanged', async () => {
    await t.ow.actions.create({ name: 'limit-upd', action: CODE });
    await expectApiError(await t.request('PUT', path('limit-upd', '?overwrite=true'), { limits: { timeout: 10 } }), 400);
    const stored = await get('limit-upd');
    expect(stored.version).toBe('0.0.1');
    expect(stored.limits).toEqual(DEFAULT_LIMITS);
  });

  it.each(['python:2', 'nodejs:16', 'cobol', 'nodejs:', 'blackbox-ish', ''])('unknown kind %j → 400 {error, code}', async (kind) => {
    await expectApiError(await t.request('PUT', path('bad-kind'), { exec: { kind, code: CODE } }), 400);
  });

  it('the client reports an unknown kind as a 400', async () => {
    expect((await clientError(t.ow.actions.create({ name: 'bad-kind', kind: 'ruby:2', action: CODE }))).statusCode).toBe(400);
  });

  it.each([
    ['a leading space', ' lead'],
    ['a trailing space', 'trail '],
    ['a dollar sign', 'bad$name'],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-dash'],
    ['a quote', 'it"s'],
    ['a unicode letter', 'café'],
    ['too long', 'a'.repeat(257)],
  ])('an invalid entity name (%s) → 400 {error, code}', async (_label, name) => {
    await expectApiError(await t.request('PUT', path(name), actionBody(CODE)), 400);
    await expectApiError(await t.request('GET', path(name)), 400);
  });

  it.each(['a', 'A_b-c.d@e', 'with space', 'x'.repeat(256), '1numeric'])('a valid entity name %j is accepted', async (name) => {
    const created = await expectJson(await t.request('PUT', path(name), actionBody(CODE)), 200);
    expect(created.name).toBe(name);
    expect((await get(name)).name).toBe(name);
  });

  it.each([
    ['malformed JSON', '{"exec": '],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"text"'],
    ['an empty body', ''],
    ['no exec', '{}'],
    ['exec not an object', '{"exec": "code"}'],
    ['exec without code', '{"exec": {"kind": "nodejs:24"}}'],
    ['exec.code not a string', '{"exec": {"kind": "nodejs:24", "code": 42}}'],
    ['exec without kind', '{"exec": {"code": "function main() {}"}}'],
    ['parameters not an array', '{"exec": {"kind": "nodejs:24", "code": "x"}, "parameters": {"a": 1}}'],
    ['a parameter without key', '{"exec": {"kind": "nodejs:24", "code": "x"}, "parameters": [{"value": 1}]}'],
    ['annotations not an array', '{"exec": {"kind": "nodejs:24", "code": "x"}, "annotations": "a"}'],
    ['publish not a boolean', '{"exec": {"kind": "nodejs:24", "code": "x"}, "publish": "yes"}'],
    ['an empty main', '{"exec": {"kind": "nodejs:24", "code": "x", "main": ""}}'],
  ])('a bad body (%s) → 400 {error, code}', async (_label, body) => {
    await expectApiError(await fetchBody(t, 'PUT', path('bad-body'), body), 400);
    await expectApiError(await t.request('GET', path('bad-body')), 404);
  });

  it('malformed JSON on update → 400 and the action is unchanged', async () => {
    await t.ow.actions.create({ name: 'bad-update', action: CODE });
    await expectApiError(await fetchBody(t, 'PUT', path('bad-update', '?overwrite=true'), '{not json'), 400);
    expect((await get('bad-update')).version).toBe('0.0.1');
  });
});

describe('actions list', () => {
  let t: TestServer;
  // A fresh namespace starts empty, so counts are exact (whisk.system holds the catalog packages).
  let listerKey = '';
  const list = async (query = ''): Promise<Json[]> => expectJson(await t.request('GET', `/api/v1/namespaces/_/actions${query}`, undefined, { auth: listerKey }), 200);
  const names = ['one', 'two', 'three', 'four', 'five'];

  beforeAll(async () => {
    t = await startTestServer();
    listerKey = createNamespace(t.dataDir, 'lister');
    const system = t.client(listerKey);
    for (const name of names) {
      await system.actions.create({ name, action: CODE, params: { secret: name } });
      await sleep(3); // distinct `updated`, so the order is defined
    }
  });
  afterAll(async () => t.close());

  it('lists summaries, most recently updated first, without code or parameters', async () => {
    const all = await list();
    expect(all.map((a) => a.name)).toEqual([...names].reverse());
    for (const item of all) {
      expect(item).toMatchObject({ namespace: 'lister', version: '0.0.1', publish: false, limits: DEFAULT_LIMITS, exec: { binary: false } });
      expect(item.exec).not.toHaveProperty('code');
      expect(item).not.toHaveProperty('parameters');
      expect(kv(item.annotations, 'exec')).toBe('nodejs:24');
      expect(typeof item.updated).toBe('number');
    }
  });

  it('the client lists the same', async () => {
    const listed = await t.client(listerKey).actions.list();
    expect(listed.map((a) => a.name)).toEqual([...names].reverse());
  });

  it('limit and skip page through the list', async () => {
    const all = (await list()).map((a) => a.name);
    expect((await list('?limit=2')).map((a) => a.name)).toEqual(all.slice(0, 2));
    expect((await list('?skip=1&limit=2')).map((a) => a.name)).toEqual(all.slice(1, 3));
    expect((await list('?skip=4')).map((a) => a.name)).toEqual(all.slice(4));
    expect(await list('?skip=5')).toEqual([]);
    expect((await list('?limit=0')).map((a) => a.name)).toEqual(all);
    const viaClient = await t.client(listerKey).actions.list({ skip: 2, limit: 2 });
    expect(viaClient.map((a) => a.name)).toEqual(all.slice(2, 4));
  });

  it('count=true gives {actions: n}', async () => {
    expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/actions?count=true', undefined, { auth: listerKey }), 200)).toEqual({ actions: 5 });
    expect(await t.client(listerKey).actions.list({ count: true })).toEqual({ actions: 5 });
    // guest's own namespace is separate
    expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/actions?count=true'), 200)).toEqual({ actions: 0 });
  });

  it('an update moves the action to the front', async () => {
    await t.client(listerKey).actions.update({ name: 'one', params: { secret: 'again' } });
    expect((await list('?limit=1'))[0]!.name).toBe('one');
  });

  it.each(['?limit=201', '?limit=-1', '?limit=abc', '?skip=-1', '?skip=x'])('bad paging %s → 400 {error, code}', async (query) => {
    await expectApiError(await t.request('GET', `/api/v1/namespaces/_/actions${query}`, undefined, { auth: listerKey }), 400);
  });
});

/** Sends `body` verbatim as JSON content. */
function fetchBody(t: TestServer, method: string, path: string, body: string): Promise<Response> {
  return t.request(method, path, body === '' ? undefined : body, { headers: { 'content-type': 'application/json' } });
}
