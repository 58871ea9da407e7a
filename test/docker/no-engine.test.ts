/** With no container engine: python actions are created as usual, invoking one is a clear developer error, nothing else changes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/errors.ts';
import { expectJson, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('no container engine', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ 'docker-host': 'unix:///nonexistent/docker.sock' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a python action is created, and invoking it is a developer error naming the cause', async () => {
    await t.ow.actions.create({ name: 'py', action: 'def main(args):\n    return {}\n', kind: 'python:default' });
    const started = Date.now();
    const record = await expectJson<Json>(await t.request('POST', '/api/v1/namespaces/_/actions/py?blocking=true', {}), 502);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(record.response).toEqual({ status: 'action developer error', statusCode: 2, success: false, result: { error: MESSAGES.noEngine } });
    expect(record.annotations).toContainEqual({ key: 'kind', value: 'python:3' });
    // Asked again later: still a quick, clear answer.
    const again = await expectJson<Json>(await t.request('POST', '/api/v1/namespaces/_/actions/py?blocking=true', {}), 502);
    expect(again.response.result).toEqual({ error: MESSAGES.noEngine });
  });

  it('blackbox actions too', async () => {
    await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/box', { exec: { kind: 'blackbox', image: 'openwhisk/dockerskeleton' } }), 200);
    const record = await expectJson<Json>(await t.request('POST', '/api/v1/namespaces/_/actions/box?blocking=true', {}), 502);
    expect(record.response.result).toEqual({ error: MESSAGES.noEngine });
  });

  it('JavaScript actions are unaffected', async () => {
    await t.ow.actions.create({ name: 'js', action: 'function main(p) { return { ok: true } }' });
    expect(await t.ow.actions.invoke({ name: 'js', blocking: true, result: true })).toEqual({ ok: true });
  });

  it('a DOCKER_HOST the runner cannot use (tcp://) disables container actions only', async () => {
    const other = await startTestServer({ 'docker-host': 'tcp://127.0.0.1:2375' });
    try {
      await other.ow.actions.create({ name: 'py', action: 'def main(args):\n    return {}\n', kind: 'python:3' });
      const record = await expectJson<Json>(await other.request('POST', '/api/v1/namespaces/_/actions/py?blocking=true', {}), 502);
      expect(record.response.result).toEqual({ error: MESSAGES.noEngine });
    } finally {
      await other.close();
    }
  });
});
