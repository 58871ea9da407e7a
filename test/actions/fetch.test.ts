/**
 * fetch() from actions, end to end: the action runs in an isolate, the host performs the request
 * to a local HTTP server started here, under the server's egress policy and response-size cap.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientError, sleep } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let origin: Server;
let base: string;
const aborted: string[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
  });
}

let t: TestServer;
let capped: TestServer;

beforeAll(async () => {
  origin = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/json') {
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(JSON.stringify({ hello: 'world' }));
    } else if (url.pathname === '/echo') {
      const body = await readBody(req);
      res.setHeader('content-type', 'application/json');
      res.statusCode = 201;
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], custom: req.headers['x-custom'], body }));
    } else if (url.pathname === '/bytes') {
      res.end(Buffer.from([0, 1, 2, 255]));
    } else if (url.pathname === '/big') {
      res.end('z'.repeat(64 * 1024));
    } else if (url.pathname === '/redirect') {
      res.statusCode = 302;
      res.setHeader('location', url.searchParams.get('to') ?? '/json');
      res.end();
    } else if (url.pathname === '/hang') {
      req.socket.on('close', () => aborted.push(url.searchParams.get('id') ?? ''));
    } else {
      res.statusCode = 404;
      res.end('not here');
    }
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  t = await startTestServer({ 'egress-deny': '127.0.0.2,169.254.169.254' });
  capped = await startTestServer({ 'fetch-max-bytes': '4096' });
});

afterAll(async () => {
  await t.close();
  await capped.close();
  origin.closeAllConnections();
  await new Promise((resolve) => origin.close(resolve));
});

async function runAction(server: TestServer, name: string, code: string, params: Record<string, unknown> = {}, limits?: { timeout: number }) {
  await server.ow.actions.create({ name, action: code, ...(limits ? { limits } : {}) });
  return server.ow.actions.invoke({ name, params: { base, ...params }, blocking: true, result: true });
}

describe('fetch from an action', () => {
  it('GETs JSON, with status, headers and cookies', async () => {
    const code = `async function main({ base }) {
      const res = await fetch(base + '/json');
      return { status: res.status, ok: res.ok, type: res.headers.get('content-type'), cookies: res.headers.getSetCookie(), body: await res.json(), url: res.url };
    }`;
    expect(await runAction(t, 'get-json', code)).toEqual({
      status: 200, ok: true, type: 'application/json', cookies: ['a=1', 'b=2'], body: { hello: 'world' }, url: `${base}/json`,
    });
  });

  it('POSTs a body with headers, reads bytes, follows redirects and sees 404s', async () => {
    const code = `async function main({ base }) {
      const posted = await fetch(base + '/echo', { method: 'POST', headers: { 'x-custom': 'yes' }, body: JSON.stringify({ a: 1 }) });
      const form = await fetch(base + '/echo', { method: 'PUT', body: new URLSearchParams({ q: 'a b' }) });
      const bytes = new Uint8Array(await (await fetch(base + '/bytes')).arrayBuffer());
      const redirected = await fetch(base + '/redirect?to=/json');
      const missing = await fetch(base + '/nope');
      return { posted: { status: posted.status, body: await posted.json() }, form: await form.json(), bytes: Array.from(bytes),
        redirected: [redirected.redirected, redirected.url.endsWith('/json')], missing: [missing.status, await missing.text()] };
    }`;
    expect(await runAction(t, 'post-echo', code)).toEqual({
      posted: { status: 201, body: { method: 'POST', type: 'text/plain;charset=UTF-8', custom: 'yes', body: '{"a":1}' } },
      form: { method: 'PUT', type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'q=a+b' },
      bytes: [0, 1, 2, 255],
      redirected: [true, true],
      missing: [404, 'not here'],
    });
  });

  it("refuses hosts on the server's deny-list, including through a redirect", async () => {
    const code = `async function main({ base }) {
      const outcome = async (url) => { try { await fetch(url); return 'fetched' } catch (e) { return e.name + ': ' + e.message } };
      return {
        listed: await outcome('http://127.0.0.2:' + new URL(base).port + '/json'),
        metadata: await outcome('http://169.254.169.254/latest/meta-data/'),
        redirect: await outcome(base + '/redirect?to=' + encodeURIComponent('http://169.254.169.254/')),
        allowed: await outcome(base + '/json'),
      };
    }`;
    expect(await runAction(t, 'denied', code)).toEqual({
      listed: 'TypeError: fetch failed: 127.0.0.2 is denied by the egress policy',
      metadata: 'TypeError: fetch failed: 169.254.169.254 is denied by the egress policy',
      redirect: 'TypeError: fetch failed: 169.254.169.254 is denied by the egress policy',
      allowed: 'fetched',
    });
  });

  it('rejects a response larger than the configured cap', async () => {
    const code = `async function main({ base }) {
      const small = await (await fetch(base + '/json')).json();
      try { await fetch(base + '/big'); return { small, big: 'fetched' } } catch (e) { return { small, big: e.message } }
    }`;
    expect(await runAction(capped, 'capped', code)).toEqual({ small: { hello: 'world' }, big: 'fetch failed: the response body exceeds the limit of 4096 bytes' });
  });

  it('a fetch outliving the deadline ends with the activation, and its request is aborted', async () => {
    const code = "async function main({ base }) { await fetch(base + '/hang?id=deadline'); return { finished: true } }";
    const failure = await clientError(runAction(t, 'hangs', code, {}, { timeout: 300 }));
    expect(failure.statusCode).toBe(502);
    expect(failure.error.response.result).toEqual({ error: 'The action exceeded its time limits of 300 milliseconds.' });
    for (let i = 0; i < 50 && !aborted.includes('deadline'); i++) await sleep(20);
    expect(aborted).toContain('deadline');
  });

  it('an AbortController aborts a fetch, and a fetch left running when main returns is aborted', async () => {
    const code = `async function main({ base }) {
      const controller = new AbortController();
      const pending = fetch(base + '/hang?id=controller', { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      let caught;
      try { await pending } catch (e) { caught = e.name }
      fetch(base + '/hang?id=abandoned').catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
      return { caught };
    }`;
    expect(await runAction(t, 'aborts', code)).toEqual({ caught: 'AbortError' });
    for (let i = 0; i < 50 && !(aborted.includes('controller') && aborted.includes('abandoned')); i++) await sleep(20);
    expect(aborted).toEqual(expect.arrayContaining(['controller', 'abandoned']));
  });

  it('a fetch started by module code while loading is awaited by the first activation and cached for later ones', async () => {
    const code = `const config = fetch('${base}/json').then((res) => res.json());
    let calls = 0;
    async function main() { return { config: await config, calls: ++calls } }`;
    await t.ow.actions.create({ name: 'module-fetch', action: code });
    expect(await t.ow.actions.invoke({ name: 'module-fetch', blocking: true, result: true })).toEqual({ config: { hello: 'world' }, calls: 1 });
    expect(await t.ow.actions.invoke({ name: 'module-fetch', blocking: true, result: true })).toEqual({ config: { hello: 'world' }, calls: 2 });
  });

  it('a network failure is a rejection with a TypeError', async () => {
    const code = "async function main() { try { await fetch('http://127.0.0.1:1/'); return {} } catch (e) { return { name: e.name, failed: e.message.startsWith('fetch failed') } } }";
    expect(await runAction(t, 'refused', code)).toEqual({ name: 'TypeError', failed: true });
  });
});
