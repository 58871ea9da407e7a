import { randomBytes } from 'node:crypto';
import { zipSync, strToU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('request body limits by route', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('accepts action code far above the 1 MB payload limit, as OpenWhisk does (up to 48 MB)', async () => {
    // Random text barely compresses: the base64 zip is about 3 MB.
    const blob = randomBytes(1_700_000).toString('base64');
    const zip = zipSync({
      'index.js': strToU8("const blob = require('./blob.js'); exports.main = () => ({ length: blob.length });"),
      'blob.js': strToU8(`module.exports = ${JSON.stringify(blob)};`),
    });
    const code = Buffer.from(zip).toString('base64');
    expect(code.length).toBeGreaterThan(2 * 1048576);
    const put = await t.request('PUT', '/api/v1/namespaces/_/actions/big', { exec: { kind: 'nodejs:default', code } });
    expect(put.status).toBe(200);
    expect(await t.ow.actions.invoke({ name: 'big', blocking: true, result: true })).toEqual({ length: blob.length });
  });

  it('still refuses an invoke payload over 1 MB with 413', async () => {
    await t.ow.actions.create({ name: 'small', action: 'function main() { return {} }' });
    const res = await t.request('POST', '/api/v1/namespaces/_/actions/small?blocking=true', { data: 'x'.repeat(1_200_000) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: expect.any(String), code: expect.any(String) });
  });
});
