import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectJson, poll, type Json } from '../helpers/api.ts';
import { startTestServer, SYSTEM_KEY } from '../helpers/server.ts';

describe('restart on the same data dir', () => {
  let dataDir: string;
  let action: Json;
  let blocking: Json;
  let nonBlockingId: string;
  let systemRecord: Json;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-restart-'));
    const t = await startTestServer({ 'data-dir': dataDir });
    try {
      await t.ow.actions.create({ name: 'keep', action: 'let n = 0; function main(p) { n++; return { p, n } }', params: { a: 1 }, annotations: { note: 'x' }, limits: { timeout: 4000 } });
      action = (await t.ow.actions.update({ name: 'keep', params: { a: 2 } })) as Json;
      blocking = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/keep?blocking=true', { b: 1 }), 200);
      nonBlockingId = (await t.ow.actions.invoke({ name: 'keep', params: { c: 1 } })).activationId;
      await poll(async () => {
        const response = await t.request('GET', `/api/v1/namespaces/_/activations/${nonBlockingId}`);
        await response.text();
        return response.status === 200 ? true : undefined;
      });
      const system = t.client(SYSTEM_KEY);
      await system.actions.create({ name: 'sys', action: 'function main() { return { sys: true } }' });
      systemRecord = await system.actions.invoke({ name: 'sys', blocking: true });
    } finally {
      await t.close();
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('actions and activation records survive a close and a start', async () => {
    const t = await startTestServer({ 'data-dir': dataDir });
    try {
      expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/actions/keep'), 200)).toEqual(action);
      expect(await expectJson(await t.request('GET', `/api/v1/namespaces/_/activations/${blocking.activationId}`), 200)).toEqual(blocking);
      const nonBlocking = await expectJson(await t.request('GET', `/api/v1/namespaces/_/activations/${nonBlockingId}`), 200);
      expect(nonBlocking.response.result).toEqual({ p: { a: 2, c: 1 }, n: 2 });
      expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/activations?count=true'), 200)).toEqual({ activations: 2 });
      expect(await expectJson(await t.request('GET', '/api/v1/namespaces/_/actions?count=true'), 200)).toEqual({ actions: 1 });
      expect(await t.client(SYSTEM_KEY).activations.get({ name: systemRecord.activationId })).toEqual(systemRecord);
    } finally {
      await t.close();
    }
  });

  it('after the restart the action runs (cold) and can be updated from its stored version', async () => {
    const t = await startTestServer({ 'data-dir': dataDir });
    try {
      const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/keep?blocking=true', {}), 200);
      expect(record.response.result).toEqual({ p: { a: 2 }, n: 1 });
      expect(record.version).toBe('0.0.2');
      expect(record.annotations.some((a: Json) => a.key === 'initTime')).toBe(true);
      const updated = (await t.ow.actions.update({ name: 'keep', params: { a: 3 } })) as Json;
      expect(updated.version).toBe('0.0.3');
      expect(updated.limits.timeout).toBe(4000);
    } finally {
      await t.close();
    }
  });

  it('an activation accepted (202) just before close is recorded, not lost', async () => {
    const t = await startTestServer({ 'data-dir': dataDir });
    let id: string;
    try {
      await t.ow.actions.create({ name: 'late', action: 'function main() { const end = Date.now() + 150; while (Date.now() < end) {} return { late: true } }' });
      id = (await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/late', {}), 202)).activationId;
    } finally {
      await t.close();
    }
    const again = await startTestServer({ 'data-dir': dataDir });
    try {
      const record = await expectJson(await again.request('GET', `/api/v1/namespaces/_/activations/${id}`), 200);
      expect(record.response).toMatchObject({ status: 'success', result: { late: true } });
    } finally {
      await again.close();
    }
  });

  it('the well-known keys are not seeded twice', async () => {
    const t = await startTestServer({ 'data-dir': dataDir });
    try {
      expect(await t.ow.namespaces.list()).toEqual(['guest']);
      expect(await t.client(SYSTEM_KEY).namespaces.list()).toEqual(['whisk.system']);
    } finally {
      await t.close();
    }
  });
});
