import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('smoke', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('creates and invokes an action with the openwhisk client', async () => {
    await t.ow.actions.create({ name: 'hello', action: 'function main(p) { return { hello: p.name } }' });
    const result = await t.ow.actions.invoke({ name: 'hello', params: { name: 'edge' }, blocking: true, result: true });
    expect(result).toEqual({ hello: 'edge' });
  });
});
