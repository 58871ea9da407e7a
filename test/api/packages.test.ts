import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, clientError, expectApiError, expectJson, kv, type Json } from '../helpers/api.ts';
import { createNamespace } from '../helpers/namespaces.ts';
import { startTestServer, SYSTEM_KEY, type TestServer } from '../helpers/server.ts';

const ECHO = 'function main(params) { return params }';

describe('packages', () => {
  let t: TestServer;
  const pkgPath = (name: string, query = ''): string => `/api/v1/namespaces/_/packages/${name}${query}`;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('create → 0.0.1 with parameters, annotations, publish; GET adds actions and feeds', async () => {
    const created = (await t.ow.packages.create({
      name: 'p1',
      package: { parameters: [{ key: 'a', value: 1 }], annotations: [{ key: 'note', value: 'x' }], publish: true },
    })) as Json;
    expect(created).toMatchObject({ namespace: 'guest', name: 'p1', version: '0.0.1', publish: true, binding: {}, parameters: [{ key: 'a', value: 1 }] });
    expect(kv(created.annotations, 'note')).toBe('x');
    expect(created).not.toHaveProperty('actions');
    await t.ow.actions.create({ name: 'p1/hello', action: ECHO });
    await t.ow.actions.create({ name: 'p1/feedy', action: ECHO, annotations: { feed: true } });
    const got = (await t.ow.packages.get({ name: 'p1' })) as Json;
    expect(got.actions.map((a: Json) => a.name)).toEqual(['hello']);
    expect(got.feeds.map((a: Json) => a.name)).toEqual(['feedy']);
    expect(Object.keys(got.actions[0]).sort()).toEqual(['annotations', 'name', 'version']);
  });

  it('PUT of an existing package without overwrite → 409; with it, a merge and a patch bump', async () => {
    await t.ow.packages.create({ name: 'p2', package: { parameters: [{ key: 'a', value: 1 }] } });
    await expectApiError(await t.request('PUT', pkgPath('p2'), {}), 409);
    const updated = (await t.ow.packages.update({ name: 'p2', package: { publish: true } })) as Json;
    expect(updated).toMatchObject({ version: '0.0.2', publish: true, parameters: [{ key: 'a', value: 1 }] });
  });

  it('the name "default" is reserved', async () => {
    const body = await expectApiError(await t.request('PUT', pkgPath('default'), {}), 400);
    expect(body.error).toBe("Package name 'default' is reserved.");
  });

  it('list gives summaries with binding false or {namespace, name}; count', async () => {
    await t.ow.packages.create({ name: 'listed' });
    await t.ow.packages.create({ name: 'listed-binding', package: { binding: { namespace: '_', name: 'listed' } } });
    const list = (await t.ow.packages.list()) as Json[];
    const byName = Object.fromEntries(list.map((p) => [p.name, p]));
    expect(byName.listed).toMatchObject({ namespace: 'guest', binding: false, version: '0.0.1' });
    expect(byName['listed-binding'].binding).toEqual({ namespace: 'guest', name: 'listed' });
    expect(byName.listed).not.toHaveProperty('parameters');
    expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/packages?count=true'), 200)).toEqual({ packages: list.length });
  });

  it('actions inside a package: PUT needs the package; GET …/actions/pkg/ lists only that package', async () => {
    await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/actions/nopkg/a', actionBody(ECHO)), 404);
    await t.ow.packages.create({ name: 'holder' });
    await t.ow.actions.create({ name: 'holder/one', action: ECHO });
    await t.ow.actions.create({ name: 'holder/two', action: ECHO });
    await t.ow.actions.create({ name: 'outside', action: ECHO });
    const listed = await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/actions/holder/'), 200);
    expect(listed.map((a) => a.name).sort()).toEqual(['one', 'two']);
    expect(listed[0]!.namespace).toBe('guest/holder');
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/nopkg/'), 404);
    const action = await t.ow.actions.get({ name: 'holder/one' });
    expect(action.namespace).toBe('guest/holder');
  });

  it('DELETE of a package with actions → 409 unless force=true, which deletes them too', async () => {
    await t.ow.packages.create({ name: 'full' });
    await t.ow.actions.create({ name: 'full/a', action: ECHO });
    const refused = await expectApiError(await t.request('DELETE', pkgPath('full')), 409);
    expect(refused.error).toBe('Package not empty (contains 1 entity). Set force param or delete package contents.');
    const deleted = await expectJson(await t.request('DELETE', pkgPath('full', '?force=true')), 200);
    expect(deleted).toMatchObject({ name: 'full', binding: {} });
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/full/a'), 404);
    await expectApiError(await t.request('GET', pkgPath('full')), 404);
    await t.ow.packages.create({ name: 'empty' });
    expect(((await t.ow.packages.delete({ name: 'empty' })) as Json).name).toBe('empty');
  });

  it('unknown or malformed → 404/400 {error, code}; POST → 405', async () => {
    await expectApiError(await t.request('GET', pkgPath('nothing')), 404);
    await expectApiError(await t.request('DELETE', pkgPath('nothing')), 404);
    await expectApiError(await t.request('PUT', pkgPath('bad'), { binding: 'x' }), 400);
    await expectApiError(await t.request('PUT', pkgPath('bad'), { publish: 'yes' }), 400);
    await expectApiError(await t.request('POST', pkgPath('p1')), 405);
  });
});

describe('bindings', () => {
  let t: TestServer;
  let otherKey: string;

  beforeAll(async () => {
    t = await startTestServer();
    otherKey = createNamespace(t.dataDir, 'other');
    await t.ow.packages.create({ name: 'base', package: { parameters: [{ key: 'p', value: 'package' }, { key: 'b', value: 'package' }, { key: 'a', value: 'package' }, { key: 'i', value: 'package' }] } });
    await t.ow.actions.create({ name: 'base/echo', action: ECHO, params: { a: 'action', i: 'action' } });
    await t.ow.packages.create({ name: 'bound', package: { binding: { namespace: 'guest', name: 'base' }, parameters: [{ key: 'b', value: 'binding' }, { key: 'a', value: 'binding' }] } });
  });
  afterAll(async () => t.close());

  it('parameter precedence: package < binding < action < invoke', async () => {
    const result = await t.ow.actions.invoke({ name: 'bound/echo', params: { i: 'invoke' }, blocking: true, result: true });
    expect(result).toEqual({ p: 'package', b: 'binding', a: 'action', i: 'invoke' });
    const direct = await t.ow.actions.invoke({ name: 'base/echo', blocking: true, result: true });
    expect(direct).toEqual({ p: 'package', b: 'package', a: 'action', i: 'action' });
  });

  it('the activation through a binding names the real action in path and the binding in binding', async () => {
    const record = (await t.ow.actions.invoke({ name: 'bound/echo', blocking: true })) as Json;
    expect(kv(record.annotations, 'path')).toBe('guest/base/echo');
    expect(kv(record.annotations, 'binding')).toBe('guest/bound');
    expect(record.namespace).toBe('guest');
  });

  it('GET of a binding shows its binding, merged parameters and the bound package’s actions', async () => {
    const got = (await t.ow.packages.get({ name: 'bound' })) as Json;
    expect(got).toMatchObject({ name: 'bound', namespace: 'guest', binding: { namespace: 'guest', name: 'base' } });
    expect(Object.fromEntries(got.parameters.map((p: Json) => [p.key, p.value]))).toEqual({ p: 'package', b: 'binding', a: 'binding', i: 'package' });
    expect(got.actions.map((a: Json) => a.name)).toEqual(['echo']);
    expect(kv(got.annotations, 'binding')).toEqual({ namespace: 'guest', name: 'base' });
    const action = (await t.ow.actions.get({ name: 'bound/echo' })) as Json;
    expect(action.namespace).toBe('guest/base');
    const listed = await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/actions/bound/'), 200);
    expect(listed.map((a) => a.name)).toEqual(['echo']);
  });

  it('binding a binding or a missing package → 400 with upstream’s messages', async () => {
    const toBinding = await clientError(t.ow.packages.create({ name: 'b2', package: { binding: { namespace: 'guest', name: 'bound' } } }));
    expect(toBinding.statusCode).toBe(400);
    expect(toBinding.error.error).toBe('Cannot bind to another package binding.');
    const toMissing = await clientError(t.ow.packages.create({ name: 'b3', package: { binding: { namespace: 'guest', name: 'missing' } } }));
    expect(toMissing.statusCode).toBe(400);
    expect(toMissing.error.error).toBe('Binding references a package that does not exist.');
  });

  it('a package cannot become a binding (409)', async () => {
    const body = await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/packages/base?overwrite=true', { binding: { namespace: 'guest', name: 'bound' } }), 409);
    expect(body.error).toBe('Resource is a package and cannot be converted into a binding.');
  });

  it('writing or deleting an action inside a binding → 400 "Operation not permitted on package binding."', async () => {
    const put = await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/actions/bound/new', actionBody(ECHO)), 400);
    expect(put.error).toBe('Operation not permitted on package binding.');
    await expectApiError(await t.request('DELETE', '/api/v1/namespaces/_/actions/bound/echo'), 400);
  });

  it('deleting a binding leaves the package; a binding whose package is gone → 404 on invoke', async () => {
    await t.ow.packages.create({ name: 'short', package: { binding: { namespace: '_', name: 'base' } } });
    expect(((await t.ow.packages.delete({ name: 'short' })) as Json).binding).toEqual({ namespace: 'guest', name: 'base' });
    await t.ow.packages.create({ name: 'gone' });
    await t.ow.actions.create({ name: 'gone/x', action: ECHO });
    await t.ow.packages.create({ name: 'dangling', package: { binding: { namespace: 'guest', name: 'gone' } } });
    await expectJson(await t.request('DELETE', '/api/v1/namespaces/_/packages/gone?force=true'), 200);
    await expectApiError(await t.request('POST', '/api/v1/namespaces/_/actions/dangling/x?blocking=true', {}), 404);
  });

  it('binds to a published package of another namespace; a private one → 403', async () => {
    const other = t.client(otherKey);
    await other.packages.create({ name: 'shared', package: { publish: true, parameters: [{ key: 'owner', value: 'other' }] } });
    await other.actions.create({ name: 'shared/who', action: 'function main(p) { return { p, ns: process.env.__OW_NAMESPACE } }' });
    await other.packages.create({ name: 'private' });
    await t.ow.packages.create({ name: 'mine', package: { binding: { namespace: 'other', name: 'shared' }, parameters: [{ key: 'mine', value: true }] } });
    const result = await t.ow.actions.invoke({ name: 'mine/who', blocking: true, result: true });
    expect(result).toEqual({ p: { owner: 'other', mine: true }, ns: 'guest' });
    const refused = await clientError(t.ow.packages.create({ name: 'nope', package: { binding: { namespace: 'other', name: 'private' } } }));
    expect(refused.statusCode).toBe(403);
    expect((await clientError(t.ow.packages.create({ name: 'nope', package: { binding: { namespace: 'other', name: 'absent' } } }))).statusCode).toBe(403);
  });
});

describe('cross-namespace access', () => {
  let t: TestServer;
  let otherKey: string;
  const other = (method: string, path: string, body?: unknown): Promise<Response> => t.request(method, path, body, { auth: otherKey });

  beforeAll(async () => {
    t = await startTestServer();
    otherKey = createNamespace(t.dataDir, 'other');
    await t.ow.packages.create({ name: 'pub', package: { publish: true, parameters: [{ key: 'from', value: 'pub' }] } });
    await t.ow.actions.create({ name: 'pub/echo', action: ECHO });
    await t.ow.packages.create({ name: 'priv' });
    await t.ow.actions.create({ name: 'priv/echo', action: ECHO });
    await t.ow.actions.create({ name: 'loose', action: ECHO });
    await t.ow.packages.create({ name: 'pubbinding', package: { publish: true, binding: { namespace: 'guest', name: 'pub' } } });
  });
  afterAll(async () => t.close());

  it('reads and invokes actions of a published package; the record is the caller’s', async () => {
    const got = await expectJson(await other('GET', '/api/v1/namespaces/guest/packages/pub'), 200);
    expect(got.actions.map((a: Json) => a.name)).toEqual(['echo']);
    const action = await expectJson(await other('GET', '/api/v1/namespaces/guest/actions/pub/echo'), 200);
    expect(action.namespace).toBe('guest/pub');
    const listed = await expectJson<Json[]>(await other('GET', '/api/v1/namespaces/guest/actions/pub/'), 200);
    expect(listed.map((a) => a.name)).toEqual(['echo']);
    const record = await expectJson(await other('POST', '/api/v1/namespaces/guest/actions/pub/echo?blocking=true', { x: 1 }), 200);
    expect(record.namespace).toBe('other');
    expect(record.response.result).toEqual({ from: 'pub', x: 1 });
    expect(kv(record.annotations, 'path')).toBe('guest/pub/echo');
    await expectJson(await t.request('GET', `/api/v1/namespaces/other/activations/${record.activationId}`, undefined, { auth: otherKey }), 200);
  });

  it('lists only published packages of another namespace', async () => {
    const listed = await expectJson<Json[]>(await other('GET', '/api/v1/namespaces/guest/packages'), 200);
    expect(listed.map((p) => p.name)).toEqual(['pub']);
    expect(await expectJson(await other('GET', '/api/v1/namespaces/guest/packages?count=true'), 200)).toEqual({ packages: 1 });
  });

  it.each([
    ['GET', '/api/v1/namespaces/guest/packages/priv'],
    ['GET', '/api/v1/namespaces/guest/packages/missing'],
    ['GET', '/api/v1/namespaces/guest/packages/pubbinding'],
    ['GET', '/api/v1/namespaces/guest/actions/priv/echo'],
    ['POST', '/api/v1/namespaces/guest/actions/priv/echo'],
    ['POST', '/api/v1/namespaces/guest/actions/pubbinding/echo'],
    ['GET', '/api/v1/namespaces/guest/actions/loose'],
    ['GET', '/api/v1/namespaces/guest/actions'],
    ['PUT', '/api/v1/namespaces/guest/actions/pub/new'],
    ['DELETE', '/api/v1/namespaces/guest/actions/pub/echo'],
    ['PUT', '/api/v1/namespaces/guest/packages/pub'],
    ['DELETE', '/api/v1/namespaces/guest/packages/pub'],
    ['GET', '/api/v1/namespaces/guest/triggers'],
    ['GET', '/api/v1/namespaces/guest/rules'],
  ])('%s %s → 403', async (method, path) => {
    await expectApiError(await other(method, path, method === 'PUT' ? actionBody(ECHO) : undefined), 403);
  });
});

describe('whisk.system catalog', () => {
  let t: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-catalog-'));
    t = await startTestServer({ 'data-dir': dataDir });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('utils and alarms are published packages of whisk.system', async () => {
    const listed = (await t.ow.packages.list({ namespace: 'whisk.system' })) as Json[];
    expect(listed.map((p) => p.name).sort()).toEqual(['alarms', 'utils']);
    const utils = (await t.ow.packages.get({ name: '/whisk.system/utils' })) as Json;
    expect(utils.actions.map((a: Json) => a.name).sort()).toEqual(['cat', 'date', 'echo', 'head', 'hosturl', 'namespace', 'smash', 'sort', 'split']);
    const alarms = (await t.ow.packages.get({ name: '/whisk.system/alarms' })) as Json;
    expect(alarms.feeds.map((a: Json) => a.name).sort()).toEqual(['alarm', 'interval', 'once']);
    expect(alarms.actions).toEqual([]);
  });

  it('the utils behave like the catalog’s', async () => {
    const run = (name: string, params: Json = {}): Promise<Json> =>
      t.ow.actions.invoke({ name: `/whisk.system/utils/${name}`, params, blocking: true, result: true }) as Promise<Json>;
    expect(await run('echo', { a: 1 })).toEqual({ a: 1 });
    expect(await run('sort', { lines: ['b', 'c', 'a'] })).toEqual({ lines: ['a', 'b', 'c'], length: 3 });
    expect(await run('head', { lines: [4, 2, 3], num: 2 })).toEqual({ lines: [4, 2], num: 2 });
    expect(await run('head', { lines: [4, 2, 3] })).toEqual({ lines: [4], num: 1 });
    expect(await run('cat', { lines: [4, 2, 3] })).toEqual({ lines: [4, 2, 3], payload: '4\n2\n3' });
    expect(await run('split', { payload: 'one,two,three', separator: ',' })).toEqual({ lines: ['one', 'two', 'three'], payload: 'one,two,three' });
    expect(await run('split', { payload: 'a\nb' })).toEqual({ lines: ['a', 'b'], payload: 'a\nb' });
    expect(Date.parse((await run('date')).date as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(await run('namespace')).toEqual({ namespace: 'guest' });
    expect(await run('smash', { a: 1, $fieldName: 'p' })).toEqual({ p: { a: 1 } });
  });

  it('seeding is idempotent across restarts', async () => {
    const before = (await t.client(SYSTEM_KEY).actions.get({ name: 'utils/echo' })) as Json;
    await t.close();
    t = await startTestServer({ 'data-dir': dataDir });
    const after = (await t.client(SYSTEM_KEY).actions.get({ name: 'utils/echo' })) as Json;
    expect(after).toEqual(before);
  });
});
