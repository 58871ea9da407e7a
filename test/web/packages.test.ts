import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('web actions in packages and bindings', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await t.ow.packages.create({ name: 'tools', package: { parameters: [{ key: 'greeting', value: 'hello' }, { key: 'who', value: 'package' }] } });
    await t.ow.actions.create({
      name: 'tools/greet',
      action: 'function main(p) { return { text: `${p.greeting} ${p.who}` } }',
      annotations: { 'web-export': true },
    });
    await t.ow.packages.create({
      name: 'mytools',
      package: { binding: { namespace: 'guest', name: 'tools' }, parameters: [{ key: 'who', value: 'binding' }] },
    });
  });
  afterAll(async () => t.close());

  it('runs a packaged web action with the package parameters', async () => {
    const res = await fetch(`${t.url}/api/v1/web/guest/tools/greet.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: 'hello package' });
  });

  it('runs it through a binding, whose parameters win over the package, and records the binding', async () => {
    const res = await fetch(`${t.url}/api/v1/web/guest/mytools/greet.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: 'hello binding' });
    const id = res.headers.get('x-openwhisk-activation-id')!;
    const record = await t.ow.activations.get({ name: id });
    expect(record.annotations).toContainEqual({ key: 'binding', value: 'guest/mytools' });
  });

  it('a query cannot reach a missing package: 404', async () => {
    const res = await fetch(`${t.url}/api/v1/web/guest/nope/greet.json`);
    expect(res.status).toBe(404);
  });
});
