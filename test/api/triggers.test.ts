import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientError, expectApiError, expectJson, poll, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ID = /^[0-9a-f]{32}$/;

describe('triggers', () => {
  let t: TestServer;
  const activation = async (id: string): Promise<Json | undefined> => {
    const response = await t.request('GET', `/api/v1/namespaces/_/activations/${id}`);
    if (response.status === 404) return void (await response.text());
    return expectJson(response, 200);
  };

  beforeAll(async () => {
    t = await startTestServer();
    await t.ow.actions.create({ name: 'echo', action: 'function main(p) { return p }' });
    await t.ow.actions.create({ name: 'other', action: 'function main(p) { return { other: true, n: p.n } }' });
  });
  afterAll(async () => t.close());

  it('CRUD: create 0.0.1 with parameters and empty limits, update merges, delete returns it', async () => {
    const created = (await t.ow.triggers.create({ name: 'crud', trigger: { parameters: [{ key: 'a', value: 1 }], annotations: [{ key: 'k', value: 'v' }] } })) as Json;
    expect(created).toMatchObject({ namespace: 'guest', name: 'crud', version: '0.0.1', publish: false, limits: {}, parameters: [{ key: 'a', value: 1 }] });
    expect(created).not.toHaveProperty('rules');
    await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/triggers/crud', {}), 409);
    const updated = (await t.ow.triggers.update({ name: 'crud', trigger: { publish: true } })) as Json;
    expect(updated).toMatchObject({ version: '0.0.2', publish: true, parameters: [{ key: 'a', value: 1 }] });
    const listed = (await t.ow.triggers.list()) as Json[];
    expect(listed.find((x) => x.name === 'crud')).toMatchObject({ namespace: 'guest', version: '0.0.2' });
    expect(listed[0]).not.toHaveProperty('parameters');
    expect(((await t.ow.triggers.delete({ name: 'crud' })) as Json).name).toBe('crud');
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/triggers/crud'), 404);
    await expectApiError(await t.request('DELETE', '/api/v1/namespaces/_/triggers/crud'), 404);
    const body = await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/triggers/badfeed', { annotations: [{ key: 'feed', value: 42 }] }), 400);
    expect(body.error).toBe('Feed name is not valid');
  });

  it('fire without an active rule → 204 and no record', async () => {
    await t.ow.triggers.create({ name: 'lonely' });
    const before = await expectJson(await t.request('GET', '/api/v1/namespaces/_/activations?count=true'), 200);
    const response = await t.request('POST', '/api/v1/namespaces/_/triggers/lonely', { x: 1 });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/activations?count=true'), 200)).toEqual(before);
    await expectApiError(await t.request('POST', '/api/v1/namespaces/_/triggers/missing', {}), 404);
  });

  it('fire with active rules → 202 {activationId}; the record holds the payload and one log line per rule', async () => {
    await t.ow.triggers.create({ name: 'fired', trigger: { parameters: [{ key: 'fromTrigger', value: 'yes' }, { key: 'n', value: 0 }] } });
    await t.ow.rules.create({ name: 'to-echo', trigger: 'fired', action: 'echo' });
    await t.ow.rules.create({ name: 'to-other', trigger: 'fired', action: 'other' });
    const response = await t.request('POST', '/api/v1/namespaces/_/triggers/fired', { n: 7 });
    const { activationId } = await expectJson(response, 202);
    expect(activationId).toMatch(ID);
    expect(response.headers.get('x-openwhisk-activation-id')).toBe(activationId);

    const record = (await poll(() => activation(activationId)))!;
    expect(record).toMatchObject({ name: 'fired', namespace: 'guest', version: '0.0.1', response: { success: true, status: 'success', result: { n: 7 } } });
    expect(record).not.toHaveProperty('end');
    expect(record).not.toHaveProperty('duration');
    const lines = record.logs.map((line: string) => JSON.parse(line) as Json);
    expect(lines.map((l: Json) => l.rule).sort()).toEqual(['guest/to-echo', 'guest/to-other']);
    for (const line of lines) {
      expect(line).toMatchObject({ statusCode: 0, success: true });
      expect(line.activationId).toMatch(ID);
    }
    const echoLine = lines.find((l: Json) => l.rule === 'guest/to-echo');
    expect(echoLine.action).toBe('guest/echo');

    const ruleRecord = (await poll(() => activation(echoLine.activationId)))!;
    expect(ruleRecord.name).toBe('echo');
    expect(ruleRecord.cause).toBe(activationId);
    expect(ruleRecord.response.result).toMatchObject({ fromTrigger: 'yes', n: 7 });
    expect(ruleRecord.response.result.__ow_headers).toMatchObject({ 'content-type': 'application/json' });
    expect(ruleRecord.response.result.__ow_headers).not.toHaveProperty('authorization');
    const otherRecord = (await poll(() => activation(lines.find((l: Json) => l.rule === 'guest/to-other').activationId)))!;
    expect(otherRecord.response.result).toEqual({ other: true, n: 7 });

    // The activations list shows the trigger record without end, duration or statusCode.
    const summary = ((await t.ow.activations.list({ name: 'fired' })) as Json[])[0]!;
    expect(summary.activationId).toBe(activationId);
    expect(summary).not.toHaveProperty('statusCode');
  });

  it('fire through the client; an empty payload is {}', async () => {
    await t.ow.triggers.create({ name: 'via-client' });
    await t.ow.rules.create({ name: 'via-client-rule', trigger: 'via-client', action: 'echo' });
    const { activationId } = (await t.ow.triggers.invoke({ name: 'via-client' })) as Json;
    const record = (await poll(() => activation(activationId)))!;
    expect(record.response.result).toEqual({});
  });

  it('GET shows the rules and their status', async () => {
    const trigger = (await t.ow.triggers.get({ name: 'fired' })) as Json;
    expect(trigger.rules).toEqual({
      'guest/to-echo': { action: { path: 'guest', name: 'echo' }, status: 'active' },
      'guest/to-other': { action: { path: 'guest', name: 'other' }, status: 'active' },
    });
  });

  it('a rule whose action is gone logs an error line; the others still run', async () => {
    await t.ow.actions.create({ name: 'doomed', action: 'function main() { return {} }' });
    await t.ow.triggers.create({ name: 'partial' });
    await t.ow.rules.create({ name: 'to-doomed', trigger: 'partial', action: 'doomed' });
    await t.ow.rules.create({ name: 'to-echo-2', trigger: 'partial', action: 'echo' });
    await t.ow.actions.delete({ name: 'doomed' });
    const { activationId } = (await t.ow.triggers.invoke({ name: 'partial', params: { a: 1 } })) as Json;
    const record = (await poll(() => activation(activationId)))!;
    const lines = record.logs.map((line: string) => JSON.parse(line) as Json);
    expect(lines.find((l: Json) => l.rule === 'guest/to-doomed')).toEqual({
      rule: 'guest/to-doomed',
      action: 'guest/doomed',
      statusCode: 1,
      success: false,
      error: 'The requested resource does not exist.',
    });
    expect(lines.find((l: Json) => l.rule === 'guest/to-echo-2')).toMatchObject({ success: true });
  });

  it('rules may fire actions in packages and in public packages of other namespaces', async () => {
    await t.ow.triggers.create({ name: 'to-system' });
    await t.ow.rules.create({ name: 'to-utils', trigger: 'to-system', action: '/whisk.system/utils/echo' });
    const { activationId } = (await t.ow.triggers.invoke({ name: 'to-system', params: { via: 'utils' } })) as Json;
    const record = (await poll(() => activation(activationId)))!;
    const line = JSON.parse(record.logs[0]) as Json;
    expect(line).toMatchObject({ action: 'whisk.system/utils/echo', success: true });
    const echoed = (await poll(() => activation(line.activationId)))!;
    expect(echoed.response.result).toMatchObject({ via: 'utils' });
  });
});

describe('rules', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
    await t.ow.actions.create({ name: 'act', action: 'function main(p) { return p }' });
    await t.ow.actions.create({ name: 'act2', action: 'function main(p) { return p }' });
    await t.ow.triggers.create({ name: 'trig' });
    await t.ow.triggers.create({ name: 'trig2' });
  });
  afterAll(async () => t.close());

  it('create → active, with trigger and action as {path, name}', async () => {
    const rule = (await t.ow.rules.create({ name: 'r', trigger: 'trig', action: 'act' })) as Json;
    expect(rule).toMatchObject({
      namespace: 'guest',
      name: 'r',
      version: '0.0.1',
      publish: false,
      status: 'active',
      trigger: { path: 'guest', name: 'trig' },
      action: { path: 'guest', name: 'act' },
    });
    expect(await t.ow.rules.get({ name: 'r' })).toMatchObject({ status: 'active' });
    const listed = (await t.ow.rules.list()) as Json[];
    expect(listed.map((r) => r.name)).toEqual(['r']);
    await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/rules/r', { trigger: '/_/trig', action: '/_/act' }), 409);
  });

  it('disable → fire gives 204 and the trigger shows the rule inactive; enable → 202 again', async () => {
    const disabled = (await t.ow.rules.disable({ name: 'r' })) as Json;
    expect(disabled.status).toBe('inactive');
    expect((await t.ow.rules.get({ name: 'r' })) as Json).toMatchObject({ status: 'inactive' });
    expect(((await t.ow.triggers.get({ name: 'trig' })) as Json).rules['guest/r'].status).toBe('inactive');
    expect((await t.request('POST', '/api/v1/namespaces/_/triggers/trig', {})).status).toBe(204);
    await t.ow.rules.enable({ name: 'r' });
    expect((await t.ow.rules.get({ name: 'r' })) as Json).toMatchObject({ status: 'active' });
    const fired = await t.request('POST', '/api/v1/namespaces/_/triggers/trig', {});
    expect(fired.status).toBe(202);
    await fired.text();
  });

  it('an inactive rule beside an active one is logged as not activated', async () => {
    await t.ow.rules.create({ name: 'r-off', trigger: 'trig', action: 'act2' });
    await t.ow.rules.disable({ name: 'r-off' });
    const { activationId } = (await t.ow.triggers.invoke({ name: 'trig' })) as Json;
    const record = await poll(async () => {
      const response = await t.request('GET', `/api/v1/namespaces/_/activations/${activationId}`);
      return response.status === 200 ? ((await response.json()) as Json) : (await response.text(), undefined);
    });
    const off = record.logs.map((l: string) => JSON.parse(l) as Json).find((l: Json) => l.rule === 'guest/r-off');
    expect(off).toEqual({
      rule: 'guest/r-off',
      action: 'guest/act2',
      statusCode: 1,
      success: false,
      error: "Rule 'guest/r-off' is inactive, action 'guest/act2' was not activated.",
    });
    await t.ow.rules.delete({ name: 'r-off' });
  });

  it('bad status → 400; missing rule → 404', async () => {
    const body = await expectApiError(await t.request('POST', '/api/v1/namespaces/_/rules/r', { status: 'paused' }), 400);
    expect(body.error).toBe("'paused' is not a recognized rule state, must be one of ['active', 'inactive']");
    await expectApiError(await t.request('POST', '/api/v1/namespaces/_/rules/nope', { status: 'active' }), 404);
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/rules/nope'), 404);
  });

  it('trigger and action must exist (400); another namespace’s trigger → 403', async () => {
    const noTrigger = await clientError(t.ow.rules.create({ name: 'x', trigger: 'ghost', action: 'act' }));
    expect(noTrigger.statusCode).toBe(400);
    expect(noTrigger.error.error).toBe('trigger /guest/ghost does not exist');
    const noAction = await clientError(t.ow.rules.create({ name: 'x', trigger: 'trig', action: 'ghost' }));
    expect(noAction.error.error).toBe('action /guest/ghost does not exist');
    const missing = await expectApiError(await t.request('PUT', '/api/v1/namespaces/_/rules/x', { trigger: '/_/trig' }), 400);
    expect(missing.error).toBe('rule requires a valid trigger and a valid action');
    expect((await clientError(t.ow.rules.create({ name: 'x', trigger: '/whisk.system/t', action: 'act' }))).statusCode).toBe(403);
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/rules/x'), 404);
  });

  it('update moves a rule to another trigger, keeping its status', async () => {
    await t.ow.rules.create({ name: 'mover', trigger: 'trig', action: 'act' });
    await t.ow.rules.disable({ name: 'mover' });
    const moved = (await t.ow.rules.update({ name: 'mover', trigger: 'trig2', action: 'act2' })) as Json;
    expect(moved).toMatchObject({ version: '0.0.2', status: 'inactive', trigger: { name: 'trig2' }, action: { name: 'act2' } });
    expect(((await t.ow.triggers.get({ name: 'trig' })) as Json).rules).not.toHaveProperty('guest/mover');
    expect(((await t.ow.triggers.get({ name: 'trig2' })) as Json).rules['guest/mover']).toEqual({ action: { path: 'guest', name: 'act2' }, status: 'inactive' });
  });

  it('deleting the trigger leaves the rule inactive; it can still be deleted, but not enabled', async () => {
    await t.ow.triggers.create({ name: 'short-lived' });
    await t.ow.rules.create({ name: 'orphan', trigger: 'short-lived', action: 'act' });
    await t.ow.triggers.delete({ name: 'short-lived' });
    expect((await t.ow.rules.get({ name: 'orphan' })) as Json).toMatchObject({ status: 'inactive' });
    const enable = await expectApiError(await t.request('POST', '/api/v1/namespaces/_/rules/orphan', { status: 'active' }), 404);
    expect(enable.error).toBe('Only rules with existing triggers can be activated');
    const deleted = (await t.ow.rules.delete({ name: 'orphan' })) as Json;
    expect(deleted).toMatchObject({ name: 'orphan', status: 'inactive' });
    await expectApiError(await t.request('GET', '/api/v1/namespaces/_/rules/orphan'), 404);
  });

  it('deleting a rule unlinks it from its trigger', async () => {
    await t.ow.rules.delete({ name: 'r' });
    expect(((await t.ow.triggers.get({ name: 'trig' })) as Json).rules ?? {}).not.toHaveProperty('guest/r');
    expect((await t.request('POST', '/api/v1/namespaces/_/triggers/trig', {})).status).toBe(204);
  });
});
