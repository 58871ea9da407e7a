/**
 * The host side of the isolate boundary, called directly with crafted arguments: the compute
 * callback, the broker that serves timers, fetch and API calls, the egress policy and fetch, the
 * log mirror.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Egress } from '../../src/egress/fetch.ts';
import { compilePolicy, parseDenyEntry } from '../../src/egress/policy.ts';
import { loadConfig } from '../../src/config.ts';
import type { ApiCall } from '../../src/runners/isolate/api.ts';
import { compute } from '../../src/runners/isolate/compute.ts';
import { apiCall, HostBroker, outboundRequest } from '../../src/runners/isolate/host.ts';
import { LogMirror } from '../../src/runners/isolate/mirror.ts';
import { callerApiKey } from '../../src/runners/runner.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let server: Server;
let base: string;
let port: number;
const closed: string[] = [];
const arrived: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/json') {
      res.setHeader('content-type', 'application/json');
      res.end('{"hello":"world"}');
    } else if (req.url === '/big') {
      res.end('x'.repeat(10_000));
    } else if (req.url === '/chunked') {
      res.write('y'.repeat(3000));
      setTimeout(() => res.end('y'.repeat(3000)), 10);
    } else if (req.url?.startsWith('/redirect')) {
      res.statusCode = 302;
      res.setHeader('location', decodeURIComponent(req.url.slice('/redirect?to='.length)));
      res.end();
    } else if (req.url === '/hang') {
      arrived.push('hang');
      req.socket.on('close', () => closed.push('hang'));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('compute (the synchronous callback)', () => {
  it('answers with plain values', () => {
    expect(compute('url', 'https://x.org/a?b#c', undefined, undefined)).toMatchObject({ href: 'https://x.org/a?b#c', search: '?b', hash: '#c' });
    expect(compute('url', 'nope', undefined, undefined)).toBeNull();
    expect(compute('urlset', 'https://x.org/', 'pathname', '/p')).toMatchObject({ href: 'https://x.org/p' });
    expect(Buffer.from(compute('digest', 'sha1', new TextEncoder().encode('abc'), undefined) as Uint8Array).toString('hex')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect((compute('random', 16, undefined, undefined) as Uint8Array).length).toBe(16);
  });

  it.each([
    ['an unknown operation', ['exec', 'x', undefined, undefined], /unknown operation/],
    ['a non-string URL', ['url', { toString: () => 'x' }, undefined, undefined], /must be a string/],
    ['a huge URL', ['url', 'h'.repeat((1 << 20) + 1), undefined, undefined], /longer than/],
    ['an unknown URL property', ['urlset', 'http://x/', '__proto__', 'y'], /unknown URL property/],
    ['an unknown digest', ['digest', 'whirlpool', new Uint8Array(1), undefined], /unsupported digest/],
    ['digest data that is not bytes', ['digest', 'sha256', 'text', undefined], /must be a Uint8Array/],
    ['a negative random count', ['random', -1, undefined, undefined], /integer from 0 to 65536/],
    ['a huge random count', ['random', 1e9, undefined, undefined], /integer from 0 to 65536/],
    ['a fractional random count', ['random', 1.5, undefined, undefined], /integer from 0 to 65536/],
  ])('refuses %s, without a host stack trace', (_label, args, message) => {
    let thrown: unknown;
    try {
      compute(...(args as [unknown, unknown, unknown, unknown]));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).stack).not.toMatch(/\n\s+at /);
  });
});

describe('HostBroker', () => {
  const egress = new Egress({ deny: ['169.254.169.254'], maxResponseBytes: 4096 });
  afterAll(() => egress.close());

  function broker(api?: (call: ApiCall) => Promise<{ status: number; body: string }>) {
    const delivered: { scope: number; id: number; status: number; a: unknown; b: unknown }[] = [];
    const host = new HostBroker({
      egress,
      api,
      deliver: async (scope, id, status, a, b) => {
        delivered.push({ scope, id, status, a, b });
      },
    });
    return { host, delivered };
  }

  /** A timer request as the isolate batches it (prelude.js timerRequest). */
  const set = (scope: number | string, id: number | string, delay: number | string, repeat = false, at: number | string = Date.now()): string =>
    `t,${scope},${id},${delay},${repeat ? 1 : 0},${at};`;

  it('fires timers of the open scope and drops requests of any other scope', async () => {
    const { host, delivered } = broker();
    host.begin(7, { apiKey: undefined, env: {} });
    host.request('timers', 7, 0, set(7, 1, 5) + set(6, 2, 5) + set('seven', 3, 5) + set(7, -1, 5) + set(7, 1.5, 5) + set(7, Number.MAX_VALUE, 5) + 'x,7,4,5,0,0;t,7;;,,,', 0);
    host.request('timer', 7, 5, 5, false); // single timer requests are no longer taken
    host.request('timers', 7, 0, { text: set(7, 6, 5) }, 0);
    host.request('timers', 7, 0, set(7, 7, 5).repeat(1) + ' '.repeat(200 * 1024), 0);
    host.request('rm -rf', 7, 4, 0, 0);
    await sleep(40);
    expect(delivered.map((d) => d.id)).toEqual([1]);
  });

  it('clears a timer in the same batch or a later one, and re-arms one set again', async () => {
    const { host, delivered } = broker();
    host.begin(1, { apiKey: undefined, env: {} });
    host.request('timers', 1, 0, `${set(1, 1, 5)}c,1,1;${set(1, 2, 30)}${set(1, 3, 5)}`, 0);
    host.request('timers', 1, 0, `c,1,2;${set(1, 3, 60)}`, 0);
    await sleep(30);
    expect(delivered.map((d) => d.id)).toEqual([]);
    await sleep(60);
    expect(delivered.map((d) => d.id)).toEqual([3]);
    host.end();
  });

  it('runs a delay from when the isolate asked, not from when the batch arrived', async () => {
    const { host, delivered } = broker();
    host.begin(1, { apiKey: undefined, env: {} });
    const asked = Date.now() - 150;
    host.request('timers', 1, 0, set(1, 1, 200, false, asked) + set(1, 2, 100, false, asked) + set(1, 3, 200, false, Date.now() + 60_000) + set(1, 4, 200, false, 'then'), 0);
    await sleep(90);
    // 1 was due 50 ms after arriving, 2 was overdue (at once); 3 and 4 give no usable time: their whole delay.
    expect(delivered.map((d) => d.id)).toEqual([2, 1]);
    await sleep(170);
    expect(delivered.map((d) => d.id).sort()).toEqual([1, 2, 3, 4]);
    host.end();
  });

  it('ending the scope cancels its timers and fetches; nothing is delivered afterwards', async () => {
    const { host, delivered } = broker();
    host.begin(1, { apiKey: undefined, env: {} });
    host.request('timers', 1, 0, set(1, 1, 1000) + set(1, 2, 1, true), 0);
    host.request('fetch', 1, 3, { url: `${base}/hang`, method: 'GET', headers: [], redirect: 'follow' }, null);
    // In flight: the request reached the server (the first fetch also loads undici).
    while (!arrived.includes('hang')) await sleep(5);
    const before = delivered.length;
    expect(host.pending()).toBe(3);
    host.end();
    expect(host.pending()).toBe(0);
    await sleep(60);
    expect(delivered.length).toBe(before);
    await sleep(50);
    expect(closed).toContain('hang');
  });

  it('clamps odd timer delays as Node does', async () => {
    const { host, delivered } = broker();
    host.begin(1, { apiKey: undefined, env: {} });
    host.request('timers', 1, 0, ([[1, -5], [2, Number.NaN], [3, Infinity], [4, 'soon'], [5, 2 ** 40]] as const).map(([id, delay]) => set(1, id, delay)).join(''), 0);
    await sleep(30);
    expect(delivered.map((d) => d.id).sort()).toEqual([1, 2, 3, 4, 5]);
    host.end();
  });

  it('answers a malformed fetch with a rejection', async () => {
    const { host, delivered } = broker();
    host.begin(1, { apiKey: undefined, env: {} });
    host.request('fetch', 1, 1, 'http://x', null);
    host.request('fetch', 1, 2, { url: 'http://x', method: 'GET', headers: [['a']], redirect: 'follow' }, null);
    host.request('fetch', 1, 3, { url: 'http://x', method: 'GET', headers: [], redirect: 'follow' }, 'body as text');
    host.request('fetch', 1, 4, { url: `${base}/json`, method: 'GET', headers: [], redirect: 'sideways' }, null);
    await sleep(20);
    expect(delivered.map((d) => [d.id, d.status, d.a])).toEqual([
      [1, 1, 'fetch failed: malformed request'],
      [2, 1, 'fetch failed: malformed headers'],
      [3, 1, 'fetch failed: malformed body'],
      [4, 1, 'fetch failed: invalid redirect mode'],
    ]);
    host.end();
  });

  it('performs a valid fetch and delivers status, headers and body', async () => {
    const { host, delivered } = broker();
    host.begin(1, { apiKey: undefined, env: {} });
    host.request('fetch', 1, 1, { url: `${base}/json`, method: 'GET', headers: [['accept', 'application/json']], redirect: 'follow' }, null);
    for (let i = 0; i < 50 && delivered.length === 0; i++) await sleep(10);
    const [answer] = delivered;
    expect(answer).toMatchObject({ id: 1, status: 0, a: { status: 200, url: `${base}/json`, redirected: false } });
    expect(Buffer.from(answer!.b as Uint8Array).toString()).toBe('{"hello":"world"}');
    host.end();
  });

  it('acts on the API only with an identity or an explicit key', async () => {
    const calls: ApiCall[] = [];
    const { host, delivered } = broker(async (call) => {
      calls.push(call);
      return { status: 200, body: '[]' };
    });
    host.begin(1, { apiKey: undefined, env: { __OW_TRANSACTION_ID: 't1' } });
    host.request('api', 1, 1, { method: 'GET', path: '/api/v1/namespaces/_/actions', query: '', body: null, key: null }, null);
    host.request('api', 1, 2, { method: 'GET', path: '/api/v1/namespaces/_/actions', query: '', body: null, key: 'u:k' }, null);
    host.request('api', 1, 3, { method: 'PATCH', path: '/api/v1/x', query: '', body: null, key: null }, null);
    host.request('api', 1, 4, { method: 'GET', path: '/etc/passwd', query: '', body: null, key: 'u:k' }, null);
    host.request('api', 1, 5, { method: 'GET', path: '/api/v1/x y', query: '', body: null, key: 'u:k' }, null);
    host.request('api', 1, 6, { method: 'GET', path: '/api/v1/../../metrics', query: '', body: null, key: 'u:k' }, null);
    host.request('api', 1, 7, { method: 'GET', path: '/api/v1//namespaces', query: '', body: null, key: 'u:k' }, null);
    await sleep(20);
    expect(calls).toEqual([{ method: 'GET', path: '/api/v1/namespaces/_/actions', query: '', body: null, authKey: 'u:k', transactionId: 't1' }]);
    expect(delivered.find((d) => d.id === 1)?.a).toMatch(/may not call the OpenWhisk API as its caller/);
    expect(delivered.find((d) => d.id === 3)?.a).toBe('invalid API method');
    expect(delivered.find((d) => d.id === 4)?.a).toBe('invalid API path');
    expect(delivered.find((d) => d.id === 5)?.a).toBe('invalid API path');
    expect(delivered.find((d) => d.id === 6)?.a).toBe('invalid API path');
    expect(delivered.find((d) => d.id === 7)?.a).toBe('invalid API path');
    host.end();
  });

  it('validates request descriptions as hostile input', () => {
    expect(outboundRequest({ url: 'http://x', method: 'GET', headers: new Array(513).fill(['a', 'b']), redirect: 'follow' }, null)).toMatch(/at most 512 headers/);
    expect(outboundRequest({ url: 'x'.repeat(70_000), method: 'GET', headers: [], redirect: 'follow' }, null)).toMatch(/URL must be a string/);
    expect(outboundRequest({ url: 'http://x', method: 'GET\r\nX: y', headers: [], redirect: 'follow' }, null)).toBe('invalid method');
    expect(apiCall({ method: 'GET', path: '/api/v1/x', query: '', body: 42, key: null }, { apiKey: 'k', env: {} })).toBe('invalid API body');
    expect(apiCall({ method: 'GET', path: '/api/v1/x', query: '', body: null, key: 'a\nb' }, { apiKey: 'k', env: {} })).toBe('invalid api_key');
  });
});

describe('who an activation may act as', () => {
  const caller = { namespace: 'alice', authKey: 'alice-key' };
  it("acts as its caller in the caller's own namespace, elsewhere only with provide-api-key", () => {
    expect(callerApiKey({ namespace: 'alice', annotations: [] }, caller)).toBe('alice-key');
    expect(callerApiKey({ namespace: 'bob', annotations: [{ key: 'provide-api-key', value: false }] }, caller)).toBeUndefined();
    expect(callerApiKey({ namespace: 'bob', annotations: [] }, caller)).toBeUndefined();
    expect(callerApiKey({ namespace: 'bob', annotations: [{ key: 'provide-api-key', value: true }] }, caller)).toBe('alice-key');
  });
});

describe('egress policy', () => {
  it('parses host names, addresses and ranges, and refuses anything else', () => {
    expect(parseDenyEntry(' 169.254.169.254 ')).toBe('169.254.169.254');
    expect(parseDenyEntry('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(parseDenyEntry('[FD00::]/8')).toBe('fd00::/8');
    expect(parseDenyEntry('*.Internal.')).toBe('*.internal');
    for (const bad of ['10.0.0.0/33', 'http://x', 'a b', '1.2.3.4/x', '']) expect(() => parseDenyEntry(bad)).toThrow();
    expect(loadConfig({ 'egress-deny': '169.254.169.254, 10.0.0.0/8' }, {}).egressDeny).toEqual(['169.254.169.254', '10.0.0.0/8']);
    expect(() => loadConfig({ 'egress-deny': 'not a host!' }, {})).toThrow(/egress-deny/);
  });

  it('matches addresses (IPv4-mapped IPv6 included), ranges and names', () => {
    const policy = compilePolicy(['169.254.169.254', '10.0.0.0/8', 'fd00::/8', 'metadata.google.internal', '*.corp']);
    expect(policy.checkHost('169.254.169.254')).toBeDefined();
    expect(policy.checkHost('[::ffff:a9fe:a9fe]')).toBeDefined();
    expect(policy.checkAddress('::ffff:169.254.169.254')).toBeDefined();
    expect(policy.checkHost('10.20.30.40')).toBeDefined();
    expect(policy.checkHost('[fd12::1]')).toBeDefined();
    expect(policy.checkHost('METADATA.google.internal.')).toBeDefined();
    expect(policy.checkHost('db.corp')).toBeDefined();
    expect(policy.checkHost('corp')).toBeUndefined();
    expect(policy.checkHost('example.com')).toBeUndefined();
    expect(policy.checkHost('11.0.0.1')).toBeUndefined();
  });
});

describe('Egress.fetch', () => {
  const signal = new AbortController().signal;

  it('refuses a host name that resolves to a denied address, at connect time', async () => {
    const egress = new Egress({ deny: ['127.0.0.1', '::1'], maxResponseBytes: 1 << 20 });
    await expect(egress.fetch({ url: `http://localhost:${port}/json`, method: 'GET', headers: [], body: null, redirect: 'follow' }, signal)).rejects.toThrow(/denied by the egress policy/);
    await egress.close();
  });

  it('checks every redirect against the policy', async () => {
    const egress = new Egress({ deny: ['169.254.169.254'], maxResponseBytes: 1 << 20 });
    const to = encodeURIComponent('http://169.254.169.254/latest/meta-data/');
    await expect(egress.fetch({ url: `${base}/redirect?to=${to}`, method: 'GET', headers: [], body: null, redirect: 'follow' }, signal)).rejects.toThrow(/169.254.169.254 is denied/);
    const followed = await egress.fetch({ url: `${base}/redirect?to=${encodeURIComponent('/json')}`, method: 'GET', headers: [], body: null, redirect: 'follow' }, signal);
    expect(followed).toMatchObject({ status: 200, redirected: true, url: `${base}/json` });
    await egress.close();
  });

  it('caps response bodies, declared or streamed', async () => {
    const egress = new Egress({ deny: [], maxResponseBytes: 4096 });
    await expect(egress.fetch({ url: `${base}/big`, method: 'GET', headers: [], body: null, redirect: 'follow' }, signal)).rejects.toThrow(/exceeds the limit of 4096 bytes/);
    await expect(egress.fetch({ url: `${base}/chunked`, method: 'GET', headers: [], body: null, redirect: 'follow' }, signal)).rejects.toThrow(/exceeds the limit of 4096 bytes/);
    await egress.close();
  });
});

describe('LogMirror (the buffer an isolate copies its log lines into)', () => {
  /** A buffer as the prelude lays it out: the Int32 count of units in use, then each line's length (two units) and units. */
  function written(lines: string[], spareUnits = 0): SharedArrayBuffer {
    const units = lines.reduce((sum, line) => sum + 2 + line.length, 2);
    const buffer = new SharedArrayBuffer((units + spareUnits) * 2);
    const view = new Uint16Array(buffer);
    let at = 2;
    for (const line of lines) {
      view.set([line.length & 0xffff, line.length >>> 16], at);
      view.set(Array.from({ length: line.length }, (_, i) => line.charCodeAt(i)), at + 2);
      at += 2 + line.length;
    }
    new Int32Array(buffer, 0, 1)[0] = at;
    return buffer;
  }

  function mirrorOf(buffer: unknown): LogMirror {
    const mirror = new LogMirror();
    mirror.adopt(buffer);
    return mirror;
  }

  it('reads the lines in use, whatever they hold, and follows the buffer the isolate hands over last', () => {
    const lines = ['2026-11-22T01:02:03.456Z stdout: é ✓ 😀', '2026-11-22T01:02:03.457Z stderr: two\nlines', '', 'x'.repeat(70_000)];
    const mirror = mirrorOf(written(lines, 100));
    expect(mirror.lines()).toEqual(lines);
    mirror.adopt(written(['next']));
    expect(mirror.lines()).toEqual(['next']);
  });

  it('takes nothing but a SharedArrayBuffer of a sane size, and then forgets the one it had', () => {
    for (const buffer of [undefined, null, 'lines', { byteLength: 64 }, new ArrayBuffer(64), new Uint16Array(written(['a'])), new SharedArrayBuffer(2), new SharedArrayBuffer(7)]) {
      const mirror = mirrorOf(written(['kept']));
      mirror.adopt(buffer);
      expect(mirror.lines()).toEqual([]);
    }
    expect(new LogMirror().lines()).toEqual([]);
  });

  it('stops at a count or a record that does not fit, keeping the whole records before it', () => {
    const buffer = written(['one', 'two']);
    const count = new Int32Array(buffer, 0, 1);
    const view = new Uint16Array(buffer);
    count[0] = 1 << 30;
    expect(mirrorOf(buffer).lines()).toEqual(['one', 'two']);
    count[0] = -5;
    expect(mirrorOf(buffer).lines()).toEqual([]);
    count[0] = 2 + 5 + 3;
    expect(mirrorOf(buffer).lines()).toEqual(['one']);
    count[0] = 2 + 5 + 5;
    view[2 + 5] = 60_000;
    expect(mirrorOf(buffer).lines()).toEqual(['one']);
  });
});
