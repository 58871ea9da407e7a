import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { actionBody, clientError, expectApiError, expectJson } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, SYSTEM_KEY, type TestServer } from '../helpers/server.ts';

const GUEST_UUID = GUEST_KEY.split(':')[0]!;

describe('basic authentication', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('seeds guest and whisk.system with OpenWhisk’s well-known keys', async () => {
    expect(GUEST_KEY).toBe('23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP');
    expect(SYSTEM_KEY).toBe('789c46b1-71f6-4ed5-8c54-816aa4f8c502:abczO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP');
    expect(await t.ow.namespaces.list()).toEqual(['guest']);
    expect(await t.client(SYSTEM_KEY).namespaces.list()).toEqual(['whisk.system']);
  });

  it('missing credentials → 401 {error, code}', async () => {
    await expectApiError(await t.request('GET', '/api/v1/namespaces', undefined, { auth: null }), 401);
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions', undefined, { auth: null }), 401);
  });

  it.each([
    ['a wrong key for the guest uuid', `${GUEST_UUID}:not-the-key`],
    ['an unknown uuid', '00000000-0000-0000-0000-000000000000:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP'],
    ['the guest key for whisk.system’s uuid', `789c46b1-71f6-4ed5-8c54-816aa4f8c502:${GUEST_KEY.split(':')[1]}`],
    ['no colon', 'justsomething'],
    ['an empty key', `${GUEST_UUID}:`],
  ])('wrong credentials (%s) → 401 {error, code}', async (_label, auth) => {
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions', undefined, { auth }), 401);
  });

  it('a non-Basic Authorization header → 401', async () => {
    await expectApiError(await t.request('GET', '/api/v1/namespaces', undefined, { auth: null, headers: { authorization: 'Bearer abc' } }), 401);
  });

  it('the openwhisk client sees a wrong key as a 401', async () => {
    const failure = await clientError(t.client(`${GUEST_UUID}:wrong`).actions.list());
    expect(failure.statusCode).toBe(401);
    expect(typeof failure.error.error).toBe('string');
  });

  it('`_` is the caller’s namespace', async () => {
    const created = await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/mine', actionBody('function main() {}')), 200);
    expect(created.namespace).toBe('guest');
    const byName = await expectJson(await t.request('GET', '/api/v1/namespaces/guest/actions/mine'), 200);
    expect(byName.name).toBe('mine');
    // The same name under whisk.system's `_` is a different, missing entity.
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/mine', undefined, { auth: SYSTEM_KEY }), 404);
  });

  it('another namespace → 403 {error, code}', async () => {
    await expectApiError(await t.request('GET', '/api/v1/namespaces/whisk.system/actions'), 403);
    await expectApiError(await t.request('GET', '/api/v1/namespaces/guest/actions/mine', undefined, { auth: SYSTEM_KEY }), 403);
    await expectApiError(await t.request('PUT', '/api/v1/namespaces/whisk.system/actions/x', actionBody('function main() {}')), 403);
    await expectApiError(await t.request('POST', '/api/v1/namespaces/whisk.system/actions/x?blocking=true'), 403);
    await expectApiError(await t.request('GET', '/api/v1/namespaces/whisk.system/activations'), 403);
    const failure = await clientError(t.ow.actions.list({ namespace: 'whisk.system' }));
    expect(failure.statusCode).toBe(403);
  });

  it('a 403 did not create anything in the other namespace', async () => {
    const list = await expectJson<{ namespace: string }[]>(await t.request('GET', '/api/v1/namespaces/_/actions', undefined, { auth: SYSTEM_KEY }), 200);
    // Only the seeded catalog packages' actions (namespace 'whisk.system/<package>') are there.
    expect(list.filter((a) => a.namespace === 'whisk.system')).toEqual([]);
  });
});

describe('well-known keys off loopback', () => {
  it('loadConfig refuses them by default on a non-loopback host and accepts them on loopback', () => {
    expect(loadConfig({ host: '0.0.0.0' }, {}).allowWellKnownKeys).toBe(false);
    expect(loadConfig({ host: '::' }, {}).allowWellKnownKeys).toBe(false);
    expect(loadConfig({ host: '127.0.0.1' }, {}).allowWellKnownKeys).toBe(true);
    expect(loadConfig({ host: 'localhost' }, {}).allowWellKnownKeys).toBe(true);
    expect(loadConfig({ host: '::1' }, {}).allowWellKnownKeys).toBe(true);
    expect(loadConfig({}, {}).allowWellKnownKeys).toBe(true);
  });

  it('an explicit choice wins over the host rule, from a flag or the environment', () => {
    expect(loadConfig({ host: '0.0.0.0', 'allow-guest-key': 'true' }, {}).allowWellKnownKeys).toBe(true);
    expect(loadConfig({ host: '127.0.0.1', 'allow-guest-key': 'false' }, {}).allowWellKnownKeys).toBe(false);
    expect(loadConfig({}, { EDGEWHISK_HOST: '0.0.0.0' }).allowWellKnownKeys).toBe(false);
    expect(loadConfig({}, { EDGEWHISK_HOST: '0.0.0.0', EDGEWHISK_ALLOW_GUEST_KEY: 'yes' }).allowWellKnownKeys).toBe(true);
  });

  it('a server told not to accept them answers 401 to the guest and whisk.system keys', async () => {
    const t = await startTestServer({ 'allow-guest-key': 'false' });
    try {
      await expectApiError(await t.request('GET', '/api/v1/namespaces'), 401);
      await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions', undefined, { auth: SYSTEM_KEY }), 401);
      expect((await clientError(t.ow.actions.list())).statusCode).toBe(401);
      // Discovery stays open.
      expect((await t.request('GET', '/api/v1', undefined, { auth: null })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
