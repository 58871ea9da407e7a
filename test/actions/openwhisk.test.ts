/**
 * require('openwhisk') inside actions: the official client's call shapes, configured from the
 * activation's environment with zero arguments, answered by this server as the activation's caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientError, sleep } from '../helpers/api.ts';
import { startTestServer, SYSTEM_KEY, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.ow.actions.create({ name: 'adder', action: 'function main({ a, b }) { return { sum: a + b, ns: process.env.__OW_NAMESPACE } }' });
  await t.ow.actions.create({ name: 'failing', action: 'function main() { return { error: "no luck" } }' });
});
afterAll(async () => {
  await t.close();
});

const invoke = (name: string, params: Record<string, unknown> = {}) => t.ow.actions.invoke({ name, params, blocking: true, result: true });

describe("require('openwhisk') in an action", () => {
  it('invokes another action (blocking with result, and blocking for the record), gets and lists actions', async () => {
    const code = `const openwhisk = require('openwhisk');
    async function main() {
      const ow = openwhisk();
      const result = await ow.actions.invoke({ name: 'adder', params: { a: 2, b: 3 }, blocking: true, result: true });
      const record = await ow.actions.invoke({ actionName: 'adder', params: { a: 1, b: 1 }, blocking: true });
      const fetched = await ow.activations.get({ activationId: record.activationId });
      const action = await ow.actions.get('adder');
      const names = (await ow.actions.list()).map((a) => a.name).sort();
      const queued = await ow.actions.invoke({ name: '/_/adder', params: { a: 0, b: 0 } });
      return { result, recordSum: record.response.result.sum, fetched: fetched.activationId === record.activationId,
        kind: action.exec.kind, names, queued: typeof queued.activationId, key: process.env.__OW_API_KEY === undefined };
    }`;
    await t.ow.actions.create({ name: 'caller', action: code });
    expect(await invoke('caller')).toEqual({
      result: { sum: 5, ns: 'guest' }, recordSum: 2, fetched: true, kind: 'nodejs:24', names: ['adder', 'caller', 'failing'], queued: 'string', key: true,
    });
  });

  it("reports the API's errors as OpenWhiskError with statusCode and body", async () => {
    const code = `const ow = require('openwhisk')();
    async function main() {
      const errors = {};
      try { await ow.actions.invoke({ name: 'no-such-action', blocking: true }) } catch (e) { errors.missing = [e.name, e.statusCode, e.message] }
      try { await ow.actions.invoke({ name: 'failing', blocking: true, result: true }) } catch (e) { errors.failed = [e.statusCode, e.error.response.result] }
      try { await ow.actions.get() } catch (e) { errors.options = e.message }
      return errors;
    }`;
    await t.ow.actions.create({ name: 'errors', action: code });
    const result = await invoke('errors');
    expect(result.missing[0]).toBe('OpenWhiskError');
    expect(result.missing[1]).toBe(404);
    expect(result.missing[2]).toMatch(/^POST http.*\/api\/v1\/namespaces\/guest\/actions\/no-such-action\?blocking=true Returned HTTP 404 \(Not Found\) --> "The requested resource does not exist."$/);
    expect(result.failed).toEqual([502, { error: 'no luck' }]);
    expect(result.options).toBe('Missing resource identifier from parameters, supported parameter names: name, actionName');
  });

  it('fires a trigger, and its rule invokes an action', async () => {
    await t.ow.triggers.create({ name: 'tick' });
    await t.ow.actions.create({ name: 'listener', action: 'function main(p) { return { heard: p.x } }' });
    await t.ow.rules.create({ name: 'tick-rule', trigger: 'tick', action: 'listener' });
    const code = "const openwhisk = require('openwhisk'); async function main() { const fired = await openwhisk().triggers.invoke({ name: 'tick', params: { x: 42 } }); return { id: typeof fired.activationId } }";
    await t.ow.actions.create({ name: 'firer', action: code });
    expect(await invoke('firer')).toEqual({ id: 'string' });
    let heard: unknown;
    for (let i = 0; i < 50 && heard === undefined; i++) {
      const listed = (await t.ow.activations.list({ name: 'listener', docs: true } as never)) as unknown as { response: { result: { heard?: number } } }[];
      heard = listed[0]?.response.result.heard;
      if (heard === undefined) await sleep(20);
    }
    expect(heard).toBe(42);
  });

  it('works from an ES module action and from a module-level client', async () => {
    await t.ow.actions.create({ name: 'esm-caller', action: "import openwhisk from 'openwhisk';\nconst ow = openwhisk();\nexport async function main() { return ow.actions.invoke({ name: 'adder', params: { a: 20, b: 22 }, blocking: true, result: true }) }" });
    expect(await invoke('esm-caller')).toEqual({ sum: 42, ns: 'guest' });
    // A warm call reuses the module-level client.
    expect(await invoke('esm-caller')).toEqual({ sum: 42, ns: 'guest' });
  });

  it("acts as the caller only in the caller's own namespace unless the action is annotated provide-api-key", async () => {
    const system = t.client(SYSTEM_KEY);
    const code = "async function main() { try { await require('openwhisk')().actions.list(); return { listed: true } } catch (e) { return { refused: e.message } } }";
    expect((await t.request('PUT', '/api/v1/namespaces/whisk.system/packages/shared', { publish: true }, { auth: SYSTEM_KEY })).status).toBe(200);
    const put = (annotations: { key: string; value: unknown }[]) =>
      t.request('PUT', '/api/v1/namespaces/whisk.system/actions/shared/lister?overwrite=true', { exec: { kind: 'nodejs:default', code }, annotations }, { auth: SYSTEM_KEY });
    expect((await put([])).status).toBe(200);
    // guest runs whisk.system's shared code: that code may not act as guest…
    expect((await invoke('/whisk.system/shared/lister')).refused).toMatch(/may not call the OpenWhisk API as its caller/);
    // …but run by its owner, it acts as its owner.
    expect(await system.actions.invoke({ name: 'shared/lister', blocking: true, result: true })).toEqual({ listed: true });
    // Once the owner asks for the caller's key (as upstream's provide-api-key does), it may.
    expect((await put([{ key: 'provide-api-key', value: true }])).status).toBe(200);
    expect(await invoke('/whisk.system/shared/lister')).toEqual({ listed: true });
  });
});
