/**
 * Property-based fuzzing of every route over raw HTTP/1.1 keep-alive connections: malformed JSON,
 * wrong types, odd and oversized headers, hostile names (`..`, NUL, 300 characters, unicode,
 * broken percent-encoding), bogus query values, unknown methods. Whatever comes in, the answer
 * is never a server failure: an error is 4xx with OpenWhisk's {"error", "code"} body, a success
 * is JSON, nothing hangs, and the server still works afterwards. (A 5xx is allowed only as what it
 * is in OpenWhisk: the activation record of an invoke whose action failed.)
 *
 * EDGEWHISK_FUZZ_CASES sets the number of requests (default 12,000); EDGEWHISK_FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_KEY, startTestServer, SYSTEM_KEY, type TestServer } from '../helpers/server.ts';
import { RawClient, type RawRequest, type RawResponse } from './raw-http.ts';

const CASES = Number(process.env.EDGEWHISK_FUZZ_CASES ?? 12_000);
const BATCH = 24;
const SEED = process.env.EDGEWHISK_FUZZ_SEED === undefined ? undefined : Number(process.env.EDGEWHISK_FUZZ_SEED);

const basic = (credential: string): string => `Basic ${Buffer.from(credential).toString('base64')}`;

// ---- arbitraries -------------------------------------------------------------------------------

const hostileName = fc.constantFrom(
  '..', '.', '%2e%2e', '%2E', '%00', 'a%00b', '%2F', 'a%2Fb', '%', '%E0%A4%A', '%FF', '%C0%AF', '%ZZ', 'é', '%C3%A9', '%F0%9F%98%80',
  '%20', '%20a', 'a%20', 'a'.repeat(256), 'a'.repeat(257), 'b'.repeat(300), '_', 'guest', 'whisk.system', 'fx', 'pk', 'tr', 'ru',
  'default', '', 'a@b', '-a', 'a.', '%24', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'null', 'undefined',
  '%5Cetc%5Cpasswd', '..%2F..%2Fetc%2Fpasswd', '%0D%0AX-Injected:%201', 'a;b', 'a,b', '*', '~', "'", '%22', '%3Cscript%3E',
);
const randomName = fc.oneof(
  fc.string({ maxLength: 24 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
  fc.stringMatching(/^[\w@ .-]{1,40}$/).map(encodeURIComponent),
);
const name = fc.oneof({ weight: 3, arbitrary: hostileName }, { weight: 2, arbitrary: randomName });
const namespace = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('_', 'guest', 'whisk.system') }, { weight: 1, arbitrary: name });
const collection = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('actions', 'activations', 'packages', 'triggers', 'rules', 'limits') }, { weight: 1, arbitrary: name });
const activationId = fc.oneof(fc.constant('ID'), fc.stringMatching(/^[0-9a-f]{32}$/), name);
const extension = fc.constantFrom('', '.json', '.http', '.html', '.svg', '.text', '.', '.xyz', '.json.json', '.%00');

const path = fc.oneof(
  fc.constantFrom('/', '/api/v1', '/api/v1/', '/healthz', '/metrics', '/api/v1/namespaces', '/api/v1/namespaces/', '/api', '/api/v2'),
  fc.tuple(namespace).map(([ns]) => `/api/v1/namespaces/${ns}`),
  fc.tuple(namespace, collection).map(([ns, c]) => `/api/v1/namespaces/${ns}/${c}`),
  fc.tuple(namespace, collection, name).map(([ns, c, n]) => `/api/v1/namespaces/${ns}/${c}/${n}`),
  fc.tuple(namespace, name, name).map(([ns, p, n]) => `/api/v1/namespaces/${ns}/actions/${p}/${n}`),
  fc.tuple(namespace, name).map(([ns, p]) => `/api/v1/namespaces/${ns}/actions/${p}/`),
  fc.tuple(namespace, activationId, fc.constantFrom('logs', 'result', 'x', '', 'logs/more')).map(([ns, id, tail]) => `/api/v1/namespaces/${ns}/activations/${id}/${tail}`),
  fc.tuple(namespace, collection, name, name, name).map(([ns, c, a, b, d]) => `/api/v1/namespaces/${ns}/${c}/${a}/${b}/${d}`),
  fc.tuple(namespace, name, name, extension, fc.constantFrom('', '/x', '/a/b/c', '/%00')).map(([ns, p, n, e, rest]) => `/api/v1/web/${ns}/${p}/${n}${e}${rest}`),
  fc.tuple(name).map(([n]) => `/${n}`),
  fc.tuple(name).map(([n]) => `/api/v1/${n}`),
  fc.constantFrom('/api/v1/namespaces/_/actions/fx', '/api/v1/namespaces/_/actions/pk/inner', '/api/v1/namespaces/_/triggers/tr', '/api/v1/namespaces/_/rules/ru', '/api/v1/namespaces/_/packages/pk', '/api/v1/web/guest/default/fx.json'),
);

const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('blocking', 'result', 'timeout', 'limit', 'skip', 'count', 'docs', 'name', 'since', 'upto', 'overwrite', 'force', 'code', 'publish') },
  { weight: 1, arbitrary: name },
);
const queryValue = fc.oneof(
  fc.constantFrom('true', 'false', 'TRUE', '1', '0', '-1', '1e99', 'NaN', 'Infinity', '', '%00', '99999999999999999999', '0x10', '%205', '5%20', '%5B%5D', '%7B%7D', '200', '201', '60000', '60001', '1.5', 'fx', 'pk/inner', '/guest/fx', 'a/b/c'),
  name,
);
const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PATCH') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'PROPFIND', 'BREW', 'get', 'Post', 'M-SEARCH', 'FOO_BAR') },
);

/** Printable header values (no CR/LF: a raw CR/LF would split the request, which is a different test). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });
const authorization = fc.oneof(
  { weight: 6, arbitrary: fc.constant(basic(GUEST_KEY)) },
  { weight: 1, arbitrary: fc.constant(basic(SYSTEM_KEY)) },
  fc.constant(undefined),
  fc.constantFrom('Basic', 'Basic ', 'Bearer abc', 'basic    ' + Buffer.from(GUEST_KEY).toString('base64'), basic(`${GUEST_KEY.split(':')[0]}:`), basic(':'), basic('x'.repeat(1500)), 'Basic !!!!', `Basic ${'A'.repeat(2000)}`),
  fc.string({ maxLength: 60 }).map(basic),
  headerText.map((v) => `Basic ${v}`),
);
const contentType = fc.oneof(fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', ''), headerText);
const extraHeaders = fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,30}$/), headerText), { maxLength: 6 });

const json = fc.jsonValue({ maxDepth: 4 });
const keyValues = fc.oneof(json, fc.array(fc.record({ key: fc.oneof(fc.string(), json), value: json }, { requiredKeys: [] }), { maxLength: 5 }));
const kind = fc.oneof(fc.constantFrom('nodejs:default', 'nodejs:24', 'nodejs', 'sequence', 'python:3', 'blackbox', 'edgewhisk:host', '', 'NODEJS:24'), fc.string());
const exec = fc.oneof(
  json,
  fc.record(
    {
      kind,
      // Code that parses rarely; never an endless loop by construction of its alphabet.
      code: fc.oneof(fc.string({ maxLength: 80 }), json, fc.constantFrom('function main() { return {} }', 'UEsDBAo=', '')),
      components: fc.oneof(json, fc.array(fc.oneof(name, fc.constantFrom('/guest/fx', '/_/fx', 'fx', '/guest/pk/inner')), { maxLength: 4 })),
      main: json,
      binary: json,
      image: fc.oneof(fc.string(), json),
    },
    { requiredKeys: [] },
  ),
);
const entity = fc.record(
  {
    exec,
    limits: fc.oneof(json, fc.record({ timeout: fc.oneof(fc.integer(), json), memory: fc.oneof(fc.integer(), json), logs: fc.oneof(fc.integer(), json), concurrency: fc.oneof(fc.integer(), json) }, { requiredKeys: [] })),
    parameters: keyValues,
    annotations: keyValues,
    publish: json,
    binding: fc.oneof(json, fc.record({ namespace: fc.oneof(name, json), name: fc.oneof(name, json) }, { requiredKeys: [] })),
    trigger: fc.oneof(name, json, fc.constantFrom('/guest/tr', 'tr', '/_/tr')),
    action: fc.oneof(name, json, fc.constantFrom('/guest/fx', 'fx', '/_/fx')),
    status: fc.oneof(fc.constantFrom('active', 'inactive', 'ACTIVE', ''), json),
    name: json,
    namespace: json,
    version: json,
    // Prototype pollution attempts survive JSON.parse as own keys.
    __proto__: json,
    constructor: json,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: entity.map((e) => Buffer.from(JSON.stringify(e))) },
  { weight: 2, arbitrary: json.map((v) => Buffer.from(JSON.stringify(v))) },
  { weight: 2, arbitrary: fc.string({ maxLength: 120 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: entity.chain((e) => { const text = JSON.stringify(e); return fc.nat({ max: text.length }).map((cut) => Buffer.from(text.slice(0, cut))); }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((depth) => Buffer.from('['.repeat(depth) + ']'.repeat(depth))) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 900, max: 20_000 }), fc.constantFrom('{"a":%}', '{"parameters":[{"key":"k","value":%}]}', '{"exec":{"kind":"nodejs:default","code":"x"},"annotations":[{"key":"k","value":%}]}'))
      .map(([depth, template]) => Buffer.from(template.replace('%', '{"x":'.repeat(depth) + '1' + '}'.repeat(depth)))),
  },
  { weight: 1, arbitrary: fc.constantFrom('{"a":"\\ud800"}', '{"a":1e999}', '{"a":-0}', '{"":""}', '{"exec":{"kind":"nodejs:default","code":"\\u0000"}}', '\ufeff{}', '{}{}', '{"a":1,"a":2}', 'null', '[]', '""', '0').map((s) => Buffer.from(s)) },
);

const request = fc.record({ method, path, query, authorization, contentType, extraHeaders, requestId: fc.option(headerText, { nil: undefined }), body }).map((r): RawRequest => {
  const headers: [string, string][] = [];
  if (r.authorization !== undefined) headers.push(['authorization', r.authorization]);
  if (r.contentType !== undefined) headers.push(['content-type', r.contentType]);
  if (r.requestId !== undefined) headers.push(['x-request-id', r.requestId]);
  for (const [k, v] of r.extraHeaders) if (!/^(host|content-length|transfer-encoding|connection|expect|upgrade)$/i.test(k)) headers.push([k, v]);
  return { method: r.method, target: r.path + r.query, headers, ...(r.body === undefined ? {} : { body: r.body }) };
});

// ---- the property --------------------------------------------------------------------------------

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
}

/** Why the answer breaks the contract, or undefined when it keeps it. */
function violation(req: RawRequest, res: RawResponse): string | undefined {
  const text = res.body.toString('utf8');
  if (!Number.isInteger(res.status)) return 'no status line';
  if (res.status >= 500) {
    // OpenWhisk answers a blocking invoke whose action failed with its record (502, or 500 for a system error).
    try {
      const record = JSON.parse(text) as { activationId?: unknown; response?: { statusCode?: unknown } };
      if (req.method === 'POST' && typeof record.activationId === 'string' && typeof record.response?.statusCode === 'number' && record.response.statusCode >= 2) return undefined;
    } catch {
      // fall through
    }
    return `server failure ${res.status}: ${text.slice(0, 300)}`;
  }
  if (res.headers['x-openwhisk-activation-id'] !== undefined && req.target.startsWith('/api/v1/web/')) return undefined; // the action's own answer
  if (req.method === 'HEAD' || res.status === 204 || (res.status === 200 && req.method === 'OPTIONS')) return undefined;
  if (req.target.split('?')[0] === '/metrics' && res.status === 200) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `${res.status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  if (res.status >= 400) {
    const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed).sort().join(',') : typeof parsed;
    if (keys !== 'code,error') return `${res.status} without {error, code}: ${text.slice(0, 200)}`;
    const { error, code } = parsed as { error: unknown; code: unknown };
    if (typeof error !== 'string' || error === '' || typeof code !== 'string' || code === '') return `${res.status} with an empty error or code: ${text.slice(0, 200)}`;
  }
  return undefined;
}

describe('fuzzing every route', () => {
  let t: TestServer;
  let client: RawClient;
  let activation = '';
  const tally: Tally = { requests: 0, byStatus: new Map() };

  const fixtures = async (): Promise<void> => {
    const put = async (path: string, payload: unknown): Promise<void> => {
      const res = await t.request('PUT', `/api/v1/namespaces/_/${path}?overwrite=true`, payload);
      expect(res.status, await res.text()).toBe(200);
    };
    await put('actions/fx', { exec: { kind: 'nodejs:default', code: 'function main(p) { return { keys: Object.keys(p).length } }' }, annotations: [{ key: 'web-export', value: true }] });
    await put('packages/pk', { publish: true, parameters: [{ key: 'p', value: 1 }] });
    await put('actions/pk/inner', { exec: { kind: 'nodejs:default', code: 'function main() { return {} }' } });
    await put('triggers/tr', {});
    await put('rules/ru', { trigger: '/_/tr', action: '/_/fx' });
    const invoked = await t.request('POST', '/api/v1/namespaces/_/actions/fx?blocking=true', {});
    activation = ((await invoked.json()) as { activationId: string }).activationId;
  };

  beforeAll(async () => {
    t = await startTestServer();
    await fixtures();
    client = new RawClient(t.url, 8);
  });
  afterAll(async () => {
    client?.close();
    const summary = [...tally.byStatus.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ');
    console.log(`fuzz: ${tally.requests} requests; answers ${summary}`);
    await t?.close();
  });

  it(`${CASES} malformed or hostile requests: never a 5xx, a hang or a crash; every error is 4xx {error, code}`, async () => {
    const runs = Math.ceil(CASES / BATCH);
    const property = fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const sent = batch.map((r) => ({ ...r, target: r.target.replaceAll('ID', activation) }));
      const answers = await Promise.all(sent.map((r) => client.send(r)));
      for (const [i, res] of answers.entries()) {
        tally.requests++;
        tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
        const why = violation(sent[i]!, res);
        if (why) throw new Error(`${sent[i]!.method} ${sent[i]!.target.slice(0, 300)} → ${why}`);
      }
    });
    // fast-check's own report prints whole batches (bodies of 200,000 brackets): report the request that failed and the seed.
    const outcome = await fc.check(property, { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true });
    if (outcome.failed) {
      const cause = outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance);
      throw new Error(`${cause.slice(0, 2000)}\n(replay with EDGEWHISK_FUZZ_SEED=${outcome.seed})`);
    }
    expect(tally.requests).toBeGreaterThanOrEqual(CASES);
  }, 180_000);

  it('the server is intact afterwards: health, a fresh action runs, the fixtures answer', async () => {
    expect((await t.request('GET', '/healthz', undefined, { auth: null })).status).toBe(200);
    const put = await t.request('PUT', '/api/v1/namespaces/_/actions/after-fuzz?overwrite=true', { exec: { kind: 'nodejs:default', code: 'function main() { return { ok: true } }' } });
    expect(put.status).toBe(200);
    const res = await t.request('POST', '/api/v1/namespaces/_/actions/after-fuzz?blocking=true&result=true', {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    // Nothing polluted a prototype on the server.
    expect(({} as Record<string, unknown>).exec).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'a')).toBe(false);
  });

  it('protocol-level abuse is refused by the HTTP layer, and the server keeps serving', async () => {
    const oversized: RawRequest[] = [
      { method: 'GET', target: '/api/v1/namespaces', headers: [['authorization', basic(GUEST_KEY)], ['x-big', 'a'.repeat(8000)]] },
      { method: 'GET', target: `/api/v1/namespaces/_/actions/${'a'.repeat(10_000)}`, headers: [['authorization', basic(GUEST_KEY)]] },
      { method: 'GET', target: '/api/v1/namespaces', headers: Array.from({ length: 200 }, (_, i): [string, string] => [`x-h${i}`, 'v']) },
    ];
    for (const r of oversized) {
      const res = await new RawClient(t.url, 1).send(r);
      // uWebSockets answers these itself (431) and closes the connection: no handler runs.
      expect(res.status).toBe(431);
      expect(res.closed).toBe(true);
    }
    expect((await t.request('GET', '/healthz', undefined, { auth: null })).status).toBe(200);
  });
});
