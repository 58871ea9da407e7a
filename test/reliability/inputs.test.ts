/**
 * Size and shape limits on what comes in, with OpenWhisk's answers: entity fields larger than
 * allowed (413 "<field> larger than allowed: n > m bytes."), JSON nested too deep (400, also in
 * web action bodies and in results), and the inputs fuzzing found answering 500 before.
 * (Payloads over 1 MB and bodies over --max-body are in test/api/errors.test.ts, results over
 * 1 MB in the hostile catalog.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, expectApiError, expectJson } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

describe('entity sizes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ 'max-body': String(64 * 1048576) });
  });
  afterAll(async () => t.close());

  const big = [{ key: 'blob', value: 'x'.repeat(1_048_600) }];
  const size = 4 + 1_048_600 + 2;

  it.each([
    ['an action’s parameters', 'actions/a1', { ...actionBody('function main() {}'), parameters: big }, 'parameters'],
    ['an action’s annotations', 'actions/a2', { ...actionBody('function main() {}'), annotations: big }, 'annotations'],
    ['a trigger’s parameters', 'triggers/t1', { parameters: big }, 'parameters'],
    ['a package’s parameters', 'packages/p1', { parameters: big }, 'parameters'],
  ])('%s over 1 MB → 413 with upstream’s message; nothing stored', async (_label, path, body, field) => {
    const error = await expectApiError(await t.request('PUT', `/api/v1/namespaces/_/${path}`, body), 413);
    expect(error.error).toBe(`${field} larger than allowed: ${size} > 1048576 bytes.`);
    await expectApiError(await t.request('GET', `/api/v1/namespaces/_/${path}`), 404);
  });

  it('parameters of exactly 1 MB are accepted', async () => {
    const fits = [{ key: 'k', value: 'y'.repeat(1_048_576 - 1 - 2) }];
    expect((await t.request('PUT', '/api/v1/namespaces/_/actions/fits', { ...actionBody('function main(p) { return { n: p.k.length } }'), parameters: fits })).status).toBe(200);
    expect(await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/fits?blocking=true&result=true', {}), 200)).toEqual({ n: 1_048_573 });
  });

  it('code over 48 MB → 413 "exec larger than allowed" (when --max-body lets such a body in at all)', async () => {
    const code = `function main() { return {} }\n//${'z'.repeat(48 * 1048576)}`;
    const error = await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/actions/huge-code', actionBody(code)), 413);
    expect(error.error).toBe(`exec larger than allowed: ${Buffer.byteLength(code)} > 50331648 bytes.`);
  });
});

describe('JSON nesting and other fuzzing finds', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await t.request('PUT', '/api/v1/namespaces/_/actions/echo', { ...actionBody('function main(p) { return p }'), annotations: [{ key: 'web-export', value: true }] });
  });
  afterAll(async () => t.close());

  it.each([
    ['an invoke payload', 'POST', '/api/v1/namespaces/_/actions/echo?blocking=true', `{"a":${deep(5000)}}`],
    ['an action’s parameters', 'PUT', '/api/v1/namespaces/_/actions/d?overwrite=true', `{"exec":{"kind":"nodejs:default","code":"x"},"parameters":[{"key":"a","value":${deep(5000)}}]}`],
    ['a trigger fire', 'POST', '/api/v1/namespaces/_/triggers/t', `{"a":${deep(100_000)}}`],
    ['a package', 'PUT', '/api/v1/namespaces/_/packages/p', `{"annotations":[{"key":"a","value":${deep(2000)}}]}`],
  ])('%s nested deeper than 1000 levels → 400 (it answered 500 and lost the activation before)', async (_label, method, path, body) => {
    const error = await expectApiError(await t.request(method, path, body), 400);
    expect(error.error).toBe('The request content was malformed: JSON nested deeper than 1000 levels.');
  });

  it('nesting up to the limit is fine', async () => {
    const result = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/echo?blocking=true&result=true', `{"a":${deep(900)}}`), 200);
    expect(JSON.stringify(result)).toBe(`{"a":${deep(900)}}`);
  });

  it('a web action’s JSON body nested too deep → 400', async () => {
    const res = await fetch(`${t.url}/api/v1/web/guest/default/echo.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"a":${deep(5000)}}` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/malformed/);
  });

  it('a result nested too deep is a developer error, and the worker lives on', async () => {
    await t.request('PUT', '/api/v1/namespaces/_/actions/deep', actionBody('function main(p) { let v = 1; for (let i = 0; i < p.n; i++) v = [v]; return { v } }'));
    const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/deep?blocking=true', { n: 5000 }), 502);
    expect(record.response.result.error).toBe('The action did not produce a valid JSON response: it is nested deeper than 1000 levels.');
    expect((await t.request('POST', '/api/v1/namespaces/_/actions/deep?blocking=true', { n: 10 })).status).toBe(200);
    const metrics = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
    expect(metrics).toMatch(/^edgewhisk_isolate_worker_crashes_total 0$/m);
  });

  it('skip past 2^53 → 400 (SQLite refused the float: 500 before)', async () => {
    for (const collection of ['actions', 'activations', 'packages', 'triggers', 'rules']) {
      const error = await expectApiError(await t.request('GET', `/api/v1/namespaces/_/${collection}?skip=99999999999999999999`), 400);
      expect(error.error).toBe(`The value '99999999999999999999' is not an integer for ${collection}.`);
    }
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions?limit=99999999999999999999'), 400);
  });
});
