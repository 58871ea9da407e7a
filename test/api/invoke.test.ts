import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, clientError, expectApiError, expectJson, kv, poll, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ID = /^[0-9a-f]{32}$/;

describe('invocation', () => {
  let t: TestServer;
  const invoke = (name: string, query: string, params?: unknown): Promise<Response> =>
    t.request('POST', `/api/v1/namespaces/_/actions/${name}${query}`, params);
  const create = async (name: string, code: string, extra: Json = {}): Promise<void> => {
    await expectJson(await t.request('PUT', `/api/v1/namespaces/_/actions/${name}`, actionBody(code, extra)), 200);
  };
  const activation = async (id: string): Promise<Json | undefined> => {
    const response = await t.request('GET', `/api/v1/namespaces/_/activations/${id}`);
    if (response.status === 404) {
      await response.text();
      return undefined;
    }
    return expectJson(response, 200);
  };

  beforeAll(async () => {
    t = await startTestServer();
    await create('echo', 'function main(params) { return params }');
    await create('app-error', 'function main() { return { error: "bad input" } }');
    await create('reject-error', 'async function main() { throw new Error("async boom") }');
    await create('reject-string', 'function main() { return Promise.reject("nope") }');
    await create('throws', 'function main() { throw new Error("boom") }');
    await create('number', 'function main() { return 42 }');
    await create('string', 'function main() { return "text" }');
    await create('undefined', 'function main() {}');
    await create('merge', 'function main(params) { return params }', {
      parameters: [
        { key: 'a', value: 'action' },
        { key: 'b', value: 'action' },
        { key: 'nested', value: { from: 'action' } },
      ],
    });
    await create('hang', 'async function main() { await new Promise(() => {}) }', { limits: { timeout: 1000 } });
  });
  afterAll(async () => t.close());

  it('non-blocking → 202 {activationId}, and the record appears later', async () => {
    const response = await invoke('echo', '', { n: 1 });
    const body = await expectJson(response, 202);
    expect(Object.keys(body)).toEqual(['activationId']);
    expect(body.activationId).toMatch(ID);
    expect(response.headers.get('x-openwhisk-activation-id')).toBe(body.activationId);
    const record = await poll(() => activation(body.activationId));
    expect(record.activationId).toBe(body.activationId);
    expect(record.response).toMatchObject({ status: 'success', success: true, result: { n: 1 } });
  });

  it('non-blocking through the client gives {activationId}', async () => {
    const { activationId } = await t.ow.actions.invoke({ name: 'echo', params: { via: 'client' } });
    expect(activationId).toMatch(ID);
    const record = await poll(async () => {
      try {
        return await t.ow.activations.get({ name: activationId });
      } catch {
        return undefined;
      }
    });
    expect(record.response?.result).toEqual({ via: 'client' });
  });

  it('blocking success → 200 with the full activation', async () => {
    const response = await invoke('echo', '?blocking=true', { hello: 'world' });
    const record = await expectJson(response, 200);
    expect(record.activationId).toMatch(ID);
    expect(response.headers.get('x-openwhisk-activation-id')).toBe(record.activationId);
    expect(record).toMatchObject({ namespace: 'guest', name: 'echo', version: '0.0.1', subject: 'guest' });
    expect(record.response).toEqual({ status: 'success', statusCode: 0, success: true, result: { hello: 'world' } });
    expect(Array.isArray(record.logs)).toBe(true);
    // The blocking answer is the stored record.
    expect(await activation(record.activationId)).toEqual(record);
  });

  it('blocking through the client returns the activation', async () => {
    const record = await t.ow.actions.invoke({ name: 'echo', blocking: true, params: { x: 1 } });
    expect(record.activationId).toMatch(ID);
    expect(record.response).toMatchObject({ success: true, result: { x: 1 } });
  });

  it('result=true → just the result', async () => {
    const response = await invoke('echo', '?blocking=true&result=true', { only: 'this' });
    expect(await expectJson(response, 200)).toEqual({ only: 'this' });
    expect(response.headers.get('x-openwhisk-activation-id')).toMatch(ID);
    expect(await t.ow.actions.invoke({ name: 'echo', blocking: true, result: true, params: { c: 3 } })).toEqual({ c: 3 });
  });

  it('result=true without blocking is still non-blocking', async () => {
    const body = await expectJson(await invoke('echo', '?result=true'), 202);
    expect(body.activationId).toMatch(ID);
  });

  it('returning {error} → 502 application error', async () => {
    const response = await invoke('app-error', '?blocking=true');
    const record = await expectJson(response, 502);
    expect(response.headers.get('x-openwhisk-activation-id')).toBe(record.activationId);
    expect(record.response).toEqual({ status: 'application error', statusCode: 1, success: false, result: { error: 'bad input' } });
    const failure = await clientError(t.ow.actions.invoke({ name: 'app-error', blocking: true, result: true }));
    expect(failure.statusCode).toBe(502);
    expect(failure.error.response.result).toEqual({ error: 'bad input' });
    expect(failure.message).toContain('bad input');
  });

  it('result=true on an application error → 502 with the result', async () => {
    expect(await expectJson(await invoke('app-error', '?blocking=true&result=true'), 502)).toEqual({ error: 'bad input' });
  });

  it('a rejected promise → 502 application error with the serialized error', async () => {
    const record = await expectJson(await invoke('reject-error', '?blocking=true'), 502);
    expect(record.response.status).toBe('application error');
    expect(record.response.statusCode).toBe(1);
    expect(record.response.success).toBe(false);
    expect(record.response.result.error).toMatchObject({ name: 'Error', message: 'async boom' });
    const rejectedString = await expectJson(await invoke('reject-string', '?blocking=true'), 502);
    expect(rejectedString.response).toMatchObject({ status: 'application error', result: { error: 'nope' } });
  });

  it('a thrown error → 502 action developer error', async () => {
    const record = await expectJson(await invoke('throws', '?blocking=true'), 502);
    expect(record.response).toEqual({
      status: 'action developer error',
      statusCode: 2,
      success: false,
      result: { error: 'An error has occurred: Error: boom' },
    });
  });

  it.each(['number', 'string'])('a non-object result (%s) → 502 developer error', async (name) => {
    const record = await expectJson(await invoke(name, '?blocking=true'), 502);
    expect(record.response).toMatchObject({
      status: 'action developer error',
      statusCode: 2,
      success: false,
      result: { error: 'The action did not return a dictionary.' },
    });
  });

  it('an undefined result → {}', async () => {
    const record = await expectJson(await invoke('undefined', '?blocking=true'), 200);
    expect(record.response).toEqual({ status: 'success', statusCode: 0, success: true, result: {} });
  });

  it('parameters merge: action defaults < invoke parameters', async () => {
    const result = await t.ow.actions.invoke({ name: 'merge', blocking: true, result: true, params: { b: 'invoke', c: 'invoke' } });
    expect(result).toEqual({ a: 'action', b: 'invoke', c: 'invoke', nested: { from: 'action' } });
    // Invoke params replace whole values, they do not deep-merge.
    expect(await t.ow.actions.invoke({ name: 'merge', blocking: true, result: true, params: { nested: { other: 1 } } })).toEqual({
      a: 'action',
      b: 'action',
      nested: { other: 1 },
    });
    // Nothing leaks from one invocation to the next.
    expect(await t.ow.actions.invoke({ name: 'merge', blocking: true, result: true })).toEqual({ a: 'action', b: 'action', nested: { from: 'action' } });
  });

  it('an invocation with no body sees only the defaults; a JSON body of any shape of values passes through', async () => {
    expect(await expectJson(await invoke('echo', '?blocking=true&result=true'), 200)).toEqual({});
    const values = { s: 'é ✓', n: -1.5, b: false, z: null, list: [1, [2]], deep: { a: { b: { c: 1 } } } };
    expect(await expectJson(await invoke('echo', '?blocking=true&result=true', values), 200)).toEqual(values);
  });

  it('a blocking call still running past ?timeout → 202 with the activation id; the record comes later', async () => {
    const started = Date.now();
    const response = await invoke('hang', '?blocking=true&timeout=300');
    const body = await expectJson(response, 202);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(900);
    expect(body.activationId).toMatch(ID);
    expect(response.headers.get('x-openwhisk-activation-id')).toBe(body.activationId);
    const record = await poll(() => activation(body.activationId), 5000);
    expect(record.response).toMatchObject({ status: 'action developer error', result: { error: 'The action exceeded its time limits of 1000 milliseconds.' } });
    expect(kv(record.annotations, 'timeout')).toBe(true);
  });

  it.each(['abc', '0', '-5', '1.5', '60001'])('an invalid ?timeout=%s → 400 {error, code}', async (value) => {
    await expectApiError(await invoke('echo', `?blocking=true&timeout=${value}`), 400);
  });

  it.each([
    ['a JSON array', '[1]'],
    ['a JSON number', '5'],
    ['malformed JSON', '{"a":'],
  ])('a payload that is %s → 400 {error, code}', async (_label, body) => {
    await expectApiError(await t.request('POST', '/api/v1/namespaces/_/actions/echo?blocking=true', body), 400);
  });

  it('invoking a missing action → 404 {error, code}', async () => {
    await expectApiError(await invoke('missing', '?blocking=true'), 404);
    expect((await clientError(t.ow.actions.invoke({ name: 'missing', blocking: true }))).statusCode).toBe(404);
  });
});

describe('main entry points', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it.each([
    ['function main', 'function main(p) { return { form: "function", p } }', undefined],
    ['exports.main', 'exports.main = (p) => ({ form: "exports", p })', undefined],
    ['module.exports.main', 'module.exports.main = function (p) { return { form: "module.exports", p } }', undefined],
    ['module.exports = {main}', 'module.exports = { main: (p) => ({ form: "object", p }) }', undefined],
    ['async main', 'async function main(p) { await null; return { form: "async", p } }', undefined],
    ['a promise-returning main', 'function main(p) { return Promise.resolve().then(() => new Promise((r) => r({ form: "promise", p }))) }', undefined],
    ['a custom main name', 'function handler(p) { return { form: "custom", p } }', 'handler'],
    ['a custom main on exports', 'exports.entry = (p) => ({ form: "custom-exports", p })', 'entry'],
  ])('%s', async (label, code, main) => {
    const name = label.replace(/[^\w]+/g, '-');
    const exec: Json = { kind: 'nodejs:24', code };
    if (main) exec.main = main;
    await expectJson(await t.request('PUT', `/api/v1/namespaces/_/actions/${name}`, { exec }), 200);
    const result = (await t.ow.actions.invoke({ name, blocking: true, result: true, params: { k: 'v' } })) as Json;
    const form = /form: "([^"]+)"/.exec(code)![1];
    expect(result).toEqual({ form, p: { k: 'v' } });
  });

  it('with a custom main name, a function called main is not used', async () => {
    const code = 'function main() { return { which: "main" } }\nfunction other() { return { which: "other" } }';
    await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/pick', { exec: { kind: 'nodejs:24', code, main: 'other' } }), 200);
    expect(await t.ow.actions.invoke({ name: 'pick', blocking: true, result: true })).toEqual({ which: 'other' });
  });

  it('code without its main → 502 developer error naming the entry point', async () => {
    await t.ow.actions.create({ name: 'no-main', action: 'function notMain() {}' });
    const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/no-main?blocking=true'), 502);
    expect(record.response.status).toBe('action developer error');
    expect(record.response.result.error).toMatch(/main/);
  });

  it('a syntax error → 502 developer error', async () => {
    await t.ow.actions.create({ name: 'syntax', action: 'function main( {' });
    const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/syntax?blocking=true'), 502);
    expect(record.response.status).toBe('action developer error');
    expect(record.response.result.error).toMatch(/SyntaxError/);
  });
});
