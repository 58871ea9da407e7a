/**
 * Security beyond test/api/auth.test.ts and the cross-namespace paths of test/api/packages.test.ts:
 * keys at rest, the comparison, the guest key on a listener that is not loopback, and every
 * indirect way into another namespace (activations by id, sequences, rules, trigger fires, web
 * URLs, the API from inside an action).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { actionBody, expectApiError, expectJson, type Json } from '../helpers/api.ts';
import { createNamespace } from '../helpers/namespaces.ts';
import { GUEST_KEY, startTestServer, type TestServer } from '../helpers/server.ts';

const compare = vi.hoisted(() => ({ calls: [] as [number, number][] }));
// The server takes node:crypto through src/crypto.ts (loaded at first use): its comparisons are seen there.
vi.mock('../../src/crypto.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/crypto.ts')>();
  const real = original.nodeCrypto();
  const seen: typeof real = {
    ...real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compare.calls.push([a.byteLength, b.byteLength]);
      return real.timingSafeEqual(a, b);
    },
  };
  return { ...original, nodeCrypto: () => seen };
});

describe('keys', () => {
  let t: TestServer;
  let aliceKey: string;
  beforeAll(async () => {
    t = await startTestServer();
    aliceKey = createNamespace(t.dataDir, 'alice');
  });
  afterAll(async () => t.close());

  it('are stored as SHA-256 hashes only: the key appears nowhere in the database files', async () => {
    const [uuid, key] = aliceKey.split(':') as [string, string];
    expect(key.length).toBeGreaterThanOrEqual(32);
    // The new namespace works…
    expect(await expectJson(await t.request('GET', '/api/v1/namespaces', undefined, { auth: aliceKey }), 200)).toEqual(['alice']);
    // …and its key is nowhere on disk, in the database or its write-ahead log.
    for (const file of ['edgewhisk.db', 'edgewhisk.db-wal']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(t.dataDir, file));
      } catch {
        continue;
      }
      expect(bytes.includes(Buffer.from(key)), `${file} holds the key`).toBe(false);
      expect(bytes.includes(Buffer.from(GUEST_KEY.split(':')[1]!)), `${file} holds the guest key`).toBe(false);
      if (file === 'edgewhisk.db-wal' || bytes.includes(Buffer.from(uuid))) {
        // What is stored is the digest.
        const digest = createHash('sha256').update(key).digest('hex');
        expect(bytes.includes(Buffer.from(digest)) || file === 'edgewhisk.db-wal').toBe(true);
      }
    }
  });

  it('are compared as fixed-size digests in constant time, whatever the length of the key given', async () => {
    const [uuid, key] = aliceKey.split(':') as [string, string];
    // The right key but its last character (a key is random base64url: it may end in 'Z' itself).
    const lastChanged = `${key.slice(0, -1)}${key.endsWith('Z') ? 'Y' : 'Z'}`;
    const wrong = [`${uuid}:x`, `${uuid}:${'y'.repeat(2000)}`, `${uuid}:${lastChanged}`];
    compare.calls.length = 0;
    // Twice each: a wrong key is never remembered, every attempt is compared again.
    for (const candidate of [...wrong, ...wrong]) {
      expect((await t.request('GET', '/api/v1/namespaces', undefined, { auth: candidate })).status).toBe(401);
    }
    // Every comparison was timingSafeEqual on two 32-byte SHA-256 digests, whatever the key's length.
    expect(compare.calls).toHaveLength(6);
    expect(compare.calls.every(([a, b]) => a === 32 && b === 32)).toBe(true);
  });

  it('that verified are remembered: the same credential is compared once, whatever the number of requests', async () => {
    const bob = createNamespace(t.dataDir, 'bob');
    compare.calls.length = 0;
    for (let i = 0; i < 5; i++) {
      expect(await expectJson(await t.request('GET', '/api/v1/namespaces', undefined, { auth: bob }), 200)).toEqual(['bob']);
    }
    expect(compare.calls).toEqual([[32, 32]]);
  });
});

describe('the guest key on a listener that is not loopback', () => {
  it('is refused by default and accepted with --allow-guest-key true', async () => {
    const strict = await startTestServer({ host: '0.0.0.0' });
    try {
      // Even reached through 127.0.0.1: what matters is what the server listens on.
      const url = strict.url.replace('0.0.0.0', '127.0.0.1');
      const refused = await fetch(`${url}/api/v1/namespaces`, { headers: { authorization: `Basic ${Buffer.from(GUEST_KEY).toString('base64')}` } });
      expect(refused.status).toBe(401);
      const aliceKey = createNamespace(strict.dataDir, 'alice');
      const own = await fetch(`${url}/api/v1/namespaces`, { headers: { authorization: `Basic ${Buffer.from(aliceKey).toString('base64')}` } });
      expect(await own.json()).toEqual(['alice']);
    } finally {
      await strict.close();
    }
    const open = await startTestServer({ host: '0.0.0.0', 'allow-guest-key': 'true' });
    try {
      const url = open.url.replace('0.0.0.0', '127.0.0.1');
      const accepted = await fetch(`${url}/api/v1/namespaces`, { headers: { authorization: `Basic ${Buffer.from(GUEST_KEY).toString('base64')}` } });
      expect(await accepted.json()).toEqual(['guest']);
    } finally {
      await open.close();
    }
  });
});

describe('another namespace’s entities, by every indirect way', () => {
  let t: TestServer;
  let aliceKey: string;
  let secretActivation = '';
  const alice = (method: string, path: string, body?: unknown): Promise<Response> => t.request(method, path, body, { auth: aliceKey });

  beforeAll(async () => {
    t = await startTestServer();
    aliceKey = createNamespace(t.dataDir, 'alice');
    // guest's private things.
    await t.request('PUT', '/api/v1/namespaces/_/actions/secret', actionBody('function main() { return { secret: 42 } }'));
    await t.request('PUT', '/api/v1/namespaces/_/actions/hidden-web', actionBody('function main() { return { body: "secret" } }'));
    await t.request('PUT', '/api/v1/namespaces/_/triggers/guest-trigger', {});
    await t.request('PUT', '/api/v1/namespaces/_/rules/guest-rule', { trigger: '/guest/guest-trigger', action: '/guest/secret' });
    const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/secret?blocking=true', {}), 200);
    secretActivation = record.activationId as string;
  });
  afterAll(async () => t.close());

  it('activation records, logs and results by id: 403 by name, 404 through `_`', async () => {
    for (const tail of ['', '/logs', '/result']) {
      await expectApiError(await alice('GET', `/api/v1/namespaces/guest/activations/${secretActivation}${tail}`), 403);
      await expectApiError(await alice('GET', `/api/v1/namespaces/_/activations/${secretActivation}${tail}`), 404);
    }
    const listed = await expectJson<Json[]>(await alice('GET', '/api/v1/namespaces/_/activations?name=secret'), 200);
    expect(listed).toEqual([]);
    await expectApiError(await alice('GET', '/api/v1/namespaces/guest/activations'), 403);
  });

  it('a sequence cannot take a private action of another namespace as a component', async () => {
    const refused = await alice('PUT', '/api/v1/namespaces/_/actions/steal', { exec: { kind: 'sequence', components: ['/guest/secret'] } });
    expect([400, 403]).toContain(refused.status);
    await expectApiError(refused, refused.status);
    await expectApiError(await alice('POST', '/api/v1/namespaces/_/actions/steal?blocking=true', {}), 404);
  });

  it('a rule cannot link another namespace’s action or trigger; another’s trigger cannot be fired', async () => {
    await alice('PUT', '/api/v1/namespaces/_/triggers/mine', {});
    const byAction = await alice('PUT', '/api/v1/namespaces/_/rules/r1', { trigger: '/alice/mine', action: '/guest/secret' });
    expect([400, 403]).toContain(byAction.status);
    await expectApiError(byAction, byAction.status);
    await expectApiError(await alice('PUT', '/api/v1/namespaces/_/rules/r2', { trigger: '/guest/guest-trigger', action: '/guest/secret' }), 403);
    await expectApiError(await alice('POST', '/api/v1/namespaces/guest/triggers/guest-trigger', {}), 403);
    await expectApiError(await alice('GET', '/api/v1/namespaces/guest/rules/guest-rule'), 403);
    await expectApiError(await alice('POST', '/api/v1/namespaces/guest/rules/guest-rule', { status: 'inactive' }), 403);
  });

  it('an action that is not web-exported has no web URL, for anyone', async () => {
    for (const auth of [null, aliceKey, GUEST_KEY]) {
      const res = await t.request('GET', '/api/v1/web/guest/default/hidden-web', undefined, { auth });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('require("openwhisk") inside an action acts as the action’s caller: no way into another namespace', async () => {
    const code = [
      'const openwhisk = require("openwhisk");',
      'async function main() {',
      '  const ow = openwhisk();',
      '  const tries = {};',
      '  const attempt = async (name, f) => { try { await f(); tries[name] = "allowed" } catch (e) { tries[name] = e.statusCode || String(e) } };',
      '  await attempt("get", () => ow.actions.get({ name: "/guest/secret" }));',
      '  await attempt("invoke", () => ow.actions.invoke({ name: "/guest/secret", blocking: true }));',
      '  await attempt("activations", () => ow.activations.list({ namespace: "guest" }));',
      '  await attempt("fire", () => ow.triggers.invoke({ name: "/guest/guest-trigger" }));',
      '  return { tries, key: typeof process.env.__OW_API_KEY }',
      '}',
    ].join('\n');
    expect((await alice('PUT', '/api/v1/namespaces/_/actions/probe', actionBody(code))).status).toBe(200);
    const record = await expectJson(await alice('POST', '/api/v1/namespaces/_/actions/probe?blocking=true', {}), 200);
    expect(record.response.result).toEqual({ tries: { get: 403, invoke: 403, activations: 403, fire: 403 }, key: 'undefined' });
  });

  it('an action finds no gc() of the process that runs it (the worker takes its collector without exposing it)', async () => {
    const code = 'function main() { return { gc: typeof gc, global: typeof globalThis.gc, own: Object.getOwnPropertyNames(globalThis).includes("gc") } }';
    expect((await alice('PUT', '/api/v1/namespaces/_/actions/gc-probe', actionBody(code))).status).toBe(200);
    const record = await expectJson(await alice('POST', '/api/v1/namespaces/_/actions/gc-probe?blocking=true', {}), 200);
    expect(record.response.result).toEqual({ gc: 'undefined', global: 'undefined', own: false });
  });

  it('nothing of the above ran guest’s action', async () => {
    const listed = await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/activations?name=secret&limit=200'), 200);
    expect(listed.map((a) => a.activationId)).toEqual([secretActivation]);
  });
});
