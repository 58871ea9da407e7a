import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, clientError, expectApiError, expectJson, kv, poll, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('sequences', () => {
  let t: TestServer;
  const activation = async (id: string): Promise<Json> => expectJson(await t.request('GET', `/api/v1/namespaces/_/activations/${id}`), 200);
  const put = (name: string, components: unknown, query = ''): Promise<Response> =>
    t.request('PUT', `/api/v1/namespaces/_/actions/${name}${query}`, { exec: { kind: 'sequence', components } });

  /** The client takes `sequence` (its typings do not list it). */
  const createSequence = (name: string, sequence: string[]): Promise<Json> =>
    (t.ow.actions as unknown as { create(options: { name: string; sequence: string[] }): Promise<Json> }).create({ name, sequence });

  beforeAll(async () => {
    t = await startTestServer();
    await t.ow.actions.create({ name: 'inc', action: 'function main(p) { return { n: (p.n ?? 0) + 1, by: p.by } }', params: { by: 'inc' } });
    await t.ow.actions.create({ name: 'double', action: 'function main(p) { return { n: p.n * 2 } }' });
    await t.ow.actions.create({ name: 'fail', action: 'function main() { return { error: "stop here" } }' });
    await t.ow.actions.create({ name: 'crash', action: 'function main() { throw new Error("crashed") }' });
    await t.ow.packages.create({ name: 'tools' });
    await t.ow.actions.create({ name: 'tools/neg', action: 'function main(p) { return { n: -p.n } }' });
  });
  afterAll(async () => t.close());

  it('each component gets the previous result; the record is the sequence’s, its logs the components’ ids', async () => {
    const created = (await createSequence('calc', ['/_/inc', '/guest/double', '/guest/tools/neg'])) as Json;
    expect(created.exec).toEqual({ kind: 'sequence', components: ['/guest/inc', '/guest/double', '/guest/tools/neg'] });
    expect(kv(created.parameters, '_actions')).toEqual(['/guest/inc', '/guest/double', '/guest/tools/neg']);
    expect(kv(created.annotations, 'exec')).toBe('sequence');

    const record = (await t.ow.actions.invoke({ name: 'calc', params: { n: 4 }, blocking: true })) as Json;
    expect(record.response).toMatchObject({ status: 'success', success: true, result: { n: -10 } });
    expect(record.name).toBe('calc');
    expect(kv(record.annotations, 'kind')).toBe('sequence');
    expect(kv(record.annotations, 'topmost')).toBe(true);
    expect(kv(record.annotations, 'path')).toBe('guest/calc');
    expect(kv(record.annotations, 'causedBy')).toBeUndefined();
    expect(record).not.toHaveProperty('cause');
    expect(record.logs).toHaveLength(3);

    const components = await Promise.all(record.logs.map((id: string) => activation(id)));
    expect(components.map((c) => c.name)).toEqual(['inc', 'double', 'neg']);
    expect(components.map((c) => c.response.result)).toEqual([{ n: 5, by: 'inc' }, { n: 10 }, { n: -10 }]);
    for (const component of components) {
      expect(component.cause).toBe(record.activationId);
      expect(kv(component.annotations, 'causedBy')).toBe('sequence');
    }
    expect(record.duration).toBe(components.reduce((sum, c) => sum + c.duration, 0));
  });

  it('an error stops the chain and becomes the sequence’s outcome', async () => {
    await createSequence('stops', ['/guest/inc', '/guest/fail', '/guest/double']);
    const response = await t.request('POST', '/api/v1/namespaces/_/actions/stops?blocking=true', { n: 1 });
    const record = await expectJson(response, 502);
    expect(record.response).toMatchObject({ status: 'application error', success: false, result: { error: 'stop here' } });
    expect(record.logs).toHaveLength(2);

    await createSequence('crashes', ['/guest/crash', '/guest/double']);
    const crashed = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/crashes?blocking=true', {}), 502);
    expect(crashed.response.status).toBe('action developer error');
    expect(crashed.logs).toHaveLength(1);
  });

  it('result=true gives the last result; non-blocking gives 202 and the record later', async () => {
    expect(await t.ow.actions.invoke({ name: 'calc', params: { n: 0 }, blocking: true, result: true })).toEqual({ n: -2 });
    const { activationId } = await t.ow.actions.invoke({ name: 'calc', params: { n: 1 } });
    const record = await poll(async () => {
      const response = await t.request('GET', `/api/v1/namespaces/_/activations/${activationId}`);
      return response.status === 200 ? ((await response.json()) as Json) : (await response.text(), undefined);
    });
    expect(record.response.result).toEqual({ n: -4 });
  });

  it('a nested sequence is an inner activation caused by the outer one', async () => {
    await createSequence('outer', ['/guest/calc', '/guest/inc']);
    const record = (await t.ow.actions.invoke({ name: 'outer', params: { n: 1 }, blocking: true })) as Json;
    expect(record.response.result).toEqual({ n: -3, by: 'inc' });
    const inner = await activation(record.logs[0]);
    expect(inner.name).toBe('calc');
    expect(inner.cause).toBe(record.activationId);
    expect(kv(inner.annotations, 'topmost')).toBe(false);
    expect(kv(inner.annotations, 'causedBy')).toBe('sequence');
    expect(inner.logs).toHaveLength(3);
  });

  it('components may come from public packages of other namespaces', async () => {
    await createSequence('sorter', ['/whisk.system/utils/split', '/whisk.system/utils/sort', '/whisk.system/utils/head']);
    const result = await t.ow.actions.invoke({ name: 'sorter', params: { payload: 'c,a,b', separator: ',', num: 2 }, blocking: true, result: true });
    // head gets sort's result only: num is not passed along, so it takes 1.
    expect(result).toEqual({ lines: ['a'], num: 1 });
  });

  it.each([
    ['a missing component', ['/guest/nothing'], 'Sequence component does not exist.'],
    ['a missing package', ['/guest/nopkg/inc'], 'Sequence component does not exist.'],
    ['no components', [], 'No component specified for the sequence.'],
    ['51 components', Array.from({ length: 51 }, () => '/guest/inc'), 'Too many actions in the sequence.'],
    ['a name without namespace', ['inc'], 'The fully qualified name of the entity must contain at least the namespace and the name of the entity.'],
  ])('%s → 400', async (_label, components, message) => {
    const body = await expectApiError(await put('badseq', components), 400);
    expect(body.error).toBe(message);
  });

  it('inlined nested sequences count toward the 50 actions', async () => {
    const thirty = Array.from({ length: 30 }, () => '/guest/inc');
    expect((await put('thirty', thirty)).status).toBe(200);
    const body = await expectApiError(await put('sixty', ['/guest/thirty', '/guest/thirty']), 400);
    expect(body.error).toBe('Too many actions in the sequence.');
  });

  it('a sequence may not refer to itself, directly or through another', async () => {
    await t.ow.actions.create({ name: 'selfish', action: 'function main() { return {} }' });
    const direct = await expectApiError(await put('selfish', ['/guest/inc', '/guest/selfish'], '?overwrite=true'), 400);
    expect(direct.error).toBe('Sequence may not refer to itself.');
    await createSequence('ring-a', ['/guest/inc']);
    await createSequence('ring-b', ['/guest/ring-a']);
    const indirect = await expectApiError(await put('ring-a', ['/guest/ring-b'], '?overwrite=true'), 400);
    expect(indirect.error).toBe('Sequence may not refer to itself.');
  });

  it('a component another namespace keeps private → 403', async () => {
    const failure = await clientError(createSequence('sneaky', ['/whisk.system/private/x']));
    expect(failure.statusCode).toBe(403);
  });

  it('a component deleted after creation fails the sequence at run time', async () => {
    await t.ow.actions.create({ name: 'temp', action: 'function main(p) { return p }' });
    await createSequence('fragile', ['/guest/inc', '/guest/temp']);
    await t.ow.actions.delete({ name: 'temp' });
    const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/fragile?blocking=true', {}), 502);
    expect(record.response).toMatchObject({ status: 'application error', result: { error: 'Sequence component does not exist.' } });
    expect(record.logs).toHaveLength(1);
  });

  it('updating a sequence into code drops _actions; updating without exec keeps the components', async () => {
    await createSequence('morph', ['/guest/inc']);
    const same = (await t.ow.actions.update({ name: 'morph', params: { ignored: true } })) as Json;
    expect(same.exec.components).toEqual(['/guest/inc']);
    expect(same.parameters).toEqual([{ key: '_actions', value: ['/guest/inc'] }]);
    const code = await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/morph?overwrite=true', actionBody('function main() { return { code: true } }')), 200);
    expect(code.parameters).toEqual([]);
    expect(await t.ow.actions.invoke({ name: 'morph', blocking: true, result: true })).toEqual({ code: true });
  });
});
