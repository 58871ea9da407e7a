/**
 * Web actions over HTTP against a real server: URL forms, methods, extensions, arguments,
 * raw-http, final parameters, .http results, require-whisk-auth, CORS and OPTIONS, body limits,
 * chunked and aborted uploads, and activation records.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectJson, poll, sleep, type Json } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, type TestServer } from '../helpers/server.ts';

const NOT_ALLOWED = 'Request defines parameters that are not allowed (e.g., reserved properties).';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAoAAAAGCAYAAAD68A/GAAAA/klEQVQYGWNgAAEHBxaG//+ZQMyyn581Pfas+cRQnf1LfF' +
  'Ljf+62smUgcUbt0FA2Zh7drf/ffMy9vLn3RurrW9e5hCU11i2azfD4zu1/DHz8TAy/foUxsXBrFzHzC7r8+M9S1vn1qxQT07dDjL' +
  '9fdemrqKxlYGT6z8AIMo6hgeUfA0PUvy9fGFh5GWK3z7vNxSWt++jX99+8SoyiGQwsW38w8PJEM7x5v5SJ8f+/xv8MDAzffv9hev' +
  'fkWjiXBGMpMx+j2awovjcMjFztDO8+7GF49LkbZDCDeXLTWnZO7qDfn1/+5jbw/8pjYWS4wZLztXnuEuYTk2M+MzIw/AcA36Vewa' +
  'D6fzsAAAAASUVORK5CYII=';
const BASIC_GUEST = `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`;
const ECHO = 'function main(params) { return params }';
/** Returns `result`, or an application error with `error`, as the JSON body asks. */
const RESPOND = "function main(params) { return 'error' in params ? { error: params.error } : params.result }";
const HANG = 'async function main() { await new Promise(() => {}) }';

/** Creates (or replaces) an action through the official client, with web-export and more annotations. */
async function webAction(t: TestServer, name: string, code: string, annotations: Json = { 'web-export': true }, extra: Json = {}): Promise<void> {
  const { params, ...rest } = extra;
  await t.ow.actions.create({
    name,
    overwrite: true,
    action: {
      exec: { kind: 'nodejs:default', code },
      annotations: Object.entries(annotations).map(([key, value]) => ({ key, value })),
      parameters: Object.entries((params ?? {}) as Json).map(([key, value]) => ({ key, value })),
      ...rest,
    },
  });
}

/** The pretty-printed {error, code} body upstream answers with. */
async function expectWebError(response: Response, status: number, message?: string): Promise<Json> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = JSON.parse(text) as Json;
  expect(Object.keys(body)).toEqual(['error', 'code']);
  expect(text.split('\n')).toHaveLength(4);
  if (message !== undefined) expect(body.error).toBe(message);
  return body;
}

function expectCors(response: Response, allowHeaders = 'Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent'): void {
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH');
  expect(response.headers.get('access-control-allow-headers')).toBe(allowHeaders);
}

interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A node:http request, for what fetch will not do: a Host header, chunked bodies, odd methods. */
function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; chunks?: (string | Buffer)[] }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('web actions', () => {
  let t: TestServer;
  const web = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${t.url}/api/v1/web/guest/default/${path}`, init);
  const json = async (path: string, init: RequestInit = {}): Promise<Json> => expectJson(await web(path, init), 200);
  /** POSTs {result} (or {error}) to the RESPOND action. */
  const respond = (extension: string, payload: Json, init: RequestInit = {}): Promise<Response> =>
    web(`respond${extension}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), ...init });
  const activation = async (id: string, server: TestServer = t): Promise<Json | undefined> => {
    const response = await server.request('GET', `/api/v1/namespaces/_/activations/${id}`);
    if (response.status === 404) {
      await response.text();
      return undefined;
    }
    return expectJson(response, 200);
  };

  beforeAll(async () => {
    t = await startTestServer({ 'web-base-domain': 'example.test' });
    await webAction(t, 'echo', ECHO);
    await webAction(t, 'respond', RESPOND);
    await webAction(t, 'private', ECHO, {});
    await webAction(t, 'disabled', ECHO, { 'web-export': false });
    await webAction(t, 'stringly', ECHO, { 'web-export': 'true' });
    await webAction(t, 'final', ECHO, { 'web-export': true, final: true }, { params: { x: 'X', y: 'Y', empty: null } });
    await webAction(t, 'defaults', ECHO, { 'web-export': true }, { params: { x: 'X', y: 'Y' } });
    await webAction(t, 'raw', ECHO, { 'web-export': true, 'raw-http': true, final: true }, { params: { x: 'X' } });
    await webAction(t, 'redirect', "function main() { return { headers: { location: 'http://openwhisk.org' }, statusCode: 302 } }");
    await webAction(t, 'developer-error', 'function main() { return 42 }');
    await webAction(t, 'auth-true', ECHO, { 'web-export': true, 'require-whisk-auth': true });
    await webAction(t, 'auth-secret', ECHO, { 'web-export': true, 'require-whisk-auth': 's3cret' });
    await webAction(t, 'auth-number', ECHO, { 'web-export': true, 'require-whisk-auth': 7718942 });
    await webAction(t, 'auth-false', ECHO, { 'web-export': true, 'require-whisk-auth': false });
    await webAction(t, 'auth-null', ECHO, { 'web-export': true, 'require-whisk-auth': null });
    await webAction(
      t,
      'custom-options',
      "function main(p) { return p.__ow_method === 'options' ? { headers: { 'Access-Control-Allow-Methods': 'OPTIONS, GET, PATCH', 'Access-Control-Allow-Origin': 'example.com' }, statusCode: 200 } : { body: 'got ' + p.__ow_method } }",
      { 'web-export': true, 'web-custom-options': true, 'require-whisk-auth': true },
    );
    await webAction(t, 'hang', HANG, { 'web-export': true }, { limits: { timeout: 1500 } });
  });
  afterAll(async () => t.close());

  describe('URLs and methods', () => {
    it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])('%s reaches the action as __ow_method', async (method) => {
      const params = await json('echo.json', { method });
      expect(params.__ow_method).toBe(method.toLowerCase());
      expect(params.__ow_path).toBe('');
    });

    it('HEAD runs the action and answers its headers without a body', async () => {
      const response = await web('redirect', { method: 'HEAD', redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('http://openwhisk.org');
      expect(response.headers.get('x-openwhisk-activation-id')).toMatch(/^[0-9a-f]{32}$/);
      expect(await response.text()).toBe('');
    });

    it('other methods → 405', async () => {
      const response = await rawRequest(`${t.url}/api/v1/web/guest/default/echo.json`, { method: 'PROPFIND' });
      expect(response.status).toBe(405);
      expect(JSON.parse(response.body.toString()).error).toMatch(/not allowed/);
    });

    it('the path after the action is __ow_path', async () => {
      expect((await json('echo.json/a/b%20c')).__ow_path).toBe('/a/b%20c');
      expect((await json('echo.json/')).__ow_path).toBe('/');
      expect((await json('echo.json/x/y')).__ow_path).toBe('/x/y');
      // Without an extension (.http), the path is still the action's.
      const response = await respond('/p/q', { result: { body: 'ok' } });
      expect(await response.text()).toBe('ok');
    });

    it('no extension means .http', async () => {
      const response = await respond('', { result: { body: '<p>hi</p>' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      expect(await response.text()).toBe('<p>hi</p>');
    });

    it.each([
      ['an action without web-export', 'private.json'],
      ['web-export: false', 'disabled.json'],
      ['web-export: "true" (not a boolean)', 'stringly.json'],
      ['a missing action', 'nothing.json'],
      ['an unknown extension (the name then includes it)', 'echo.xyz'],
      ['an unknown extension with a path', 'echo.xyzz/content'],
    ])('404 for %s', async (_, path) => {
      const response = await web(path);
      await expectWebError(response, 404, 'The requested resource does not exist.');
      expectCors(response);
    });

    it.each([
      ['a missing namespace', '/api/v1/web/nobody/default/echo.json'],
      ['a missing package', '/api/v1/web/guest/nopkg/echo.json'],
      ['too few segments', '/api/v1/web/guest/default'],
      ['a bad name', '/api/v1/web/guest/default/%00bad'],
    ])('404 for %s', async (_, path) => {
      await expectWebError(await fetch(`${t.url}${path}`), 404);
    });

    it("Adobe's namespace host: {namespace}.{web-base-domain}/api/v1/web/{package}/{action}", async () => {
      const response = await rawRequest(`${t.url}/api/v1/web/default/echo.json/p?n=1`, { headers: { host: 'guest.example.test' } });
      expect(response.status).toBe(200);
      const params = JSON.parse(response.body.toString()) as Json;
      expect(params).toMatchObject({ n: '1', __ow_path: '/p', __ow_method: 'get' });
      expect(params.__ow_headers.host).toBe('guest.example.test');
      // A host with a port, in capitals, is the same host.
      const upper = await rawRequest(`${t.url}/api/v1/web/default/echo.json`, { headers: { host: 'GUEST.Example.Test:8080' } });
      expect(upper.status).toBe(200);
      // The path form still works on the bare domain and on any other host.
      const bare = await rawRequest(`${t.url}/api/v1/web/guest/default/echo.json`, { headers: { host: 'example.test' } });
      expect(bare.status).toBe(200);
      // An unknown namespace host is a 404.
      const unknown = await rawRequest(`${t.url}/api/v1/web/default/echo.json`, { headers: { host: 'nobody.example.test' } });
      expect(unknown.status).toBe(404);
    });
  });

  describe('extensions', () => {
    it('.json: an object or array, pretty-printed as upstream prints it', async () => {
      const response = await respond('.json', { result: { foobar: 'foobar' } });
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe('{\n  "foobar": "foobar"\n}');
      expect(await (await respond('.json', { result: [1, 2] })).json()).toEqual([1, 2]);
      // A result is always an object or array; an application error's `error` need not be.
      await expectWebError(await respond('.json', { error: 'text' }), 400, "Response is not valid 'application/json'.");
    });

    it('.html: the body or html field, or a string result', async () => {
      for (const payload of [{ result: { html: '<h1>x</h1>' } }, { result: { body: '<h1>x</h1>', html: 'no' } }, { error: '<h1>x</h1>' }]) {
        const response = await respond('.html', payload);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
        expect(await response.text()).toBe('<h1>x</h1>');
      }
      await expectWebError(await respond('.html', { result: { html: 5 } }), 400, "Response is not valid 'text/html'.");
    });

    it('.svg: the body or svg field', async () => {
      const svg = '<svg><circle cx="3" cy="3" r="3" fill="blue"/></svg>';
      const response = await respond('.svg', { result: { svg } });
      expect(response.headers.get('content-type')).toBe('image/svg+xml');
      expect(await response.text()).toBe(svg);
      await expectWebError(await respond('.svg', { result: {} }), 400, "Response is not valid 'image/svg+xml'.");
    });

    it('.text: the body or text field, any JSON value printed; 404 without either', async () => {
      const cases: [unknown, string][] = [
        [{ text: 'default text' }, 'default text'],
        [{ body: { a: 'A' } }, '{\n  "a": "A"\n}'],
        [{ body: true }, 'true'],
        [{ body: 1 }, '1'],
        [{ body: null }, 'null'],
      ];
      for (const [result, text] of cases) {
        const response = await respond('.text', { result });
        expect(response.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
        expect(await response.text()).toBe(text);
      }
      await expectWebError(await respond('.text', { result: { other: 1 } }), 404, 'Response does not include requested property.');
    });
  });

  describe('arguments', () => {
    it('__ow_method, __ow_headers (lower-cased), __ow_path; no __ow_user when anonymous', async () => {
      const params = await json('echo.json', { headers: { 'X-Custom-Header': 'Value' } });
      expect(params.__ow_headers['x-custom-header']).toBe('Value');
      expect(params).not.toHaveProperty('__ow_user');
      expect(params).not.toHaveProperty('__ow_body');
      expect(params).not.toHaveProperty('__ow_query');
    });

    it('__ow_user with valid credentials (which stay out of __ow_headers); bad credentials are anonymous', async () => {
      const params = await json('echo.json', { headers: { authorization: BASIC_GUEST } });
      expect(params.__ow_user).toBe('guest');
      expect(params.__ow_headers).not.toHaveProperty('authorization');
      const wrong = await json('echo.json', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      expect(wrong).not.toHaveProperty('__ow_user');
      // Any other Authorization header is the action's business, as upstream passes it on.
      const bearer = await json('echo.json', { headers: { authorization: 'Bearer token-123' } });
      expect(bearer.__ow_headers.authorization).toBe('Bearer token-123');
    });

    it('action parameters ⊕ query ⊕ JSON body (body wins)', async () => {
      const params = await json('defaults.json?x=query&q=1', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ x: 'body', n: { deep: true } }),
      });
      expect(params).toMatchObject({ x: 'body', y: 'Y', q: '1', n: { deep: true }, __ow_method: 'post' });
      expect(params.__ow_headers['content-type']).toBe('application/json');
    });

    it('urlencoded form fields merge', async () => {
      const params = await json('defaults.json?x=query', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'x=form&name=Jane+Doe',
      });
      expect(params).toMatchObject({ x: 'form', y: 'Y', name: 'Jane Doe' });
      expect(params).not.toHaveProperty('__ow_body');
    });

    it('a JSON value that is not an object is __ow_body as is', async () => {
      for (const value of ['this is a string', [1, 'str str', false], true, 99]) {
        const params = await json('echo.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
        expect(params.__ow_body).toEqual(value);
      }
    });

    it('text bodies are __ow_body strings, binary ones base64', async () => {
      const text = await json('echo.json', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Jane' });
      expect(text.__ow_body).toBe('Jane');
      const png = Buffer.from(PNG, 'base64');
      const binary = await json('echo.json', { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
      expect(binary.__ow_body).toBe(PNG);
      const untyped = await rawRequest(`${t.url}/api/v1/web/guest/default/echo.json`, { method: 'POST', chunks: [Buffer.from([0, 1, 2])] });
      expect(JSON.parse(untyped.body.toString()).__ow_body).toBe('AAEC');
    });

    it('malformed JSON → 400', async () => {
      const response = await web('echo.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
      await expectWebError(response, 400);
      expectCors(response);
    });

    it.each(['__ow_method', '__ow_headers', '__ow_path', '__ow_user', '__ow_query', '__ow_body'])('%s may not be given → 400', async (name) => {
      await expectWebError(await web(`echo.json?${name}=x`), 400, NOT_ALLOWED);
      const body = await web('echo.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [name]: 'x' }) });
      await expectWebError(body, 400, NOT_ALLOWED);
    });

    it('final parameters may not be overridden (null-valued ones may)', async () => {
      await expectWebError(await web('final.json?x=overridden'), 400, NOT_ALLOWED);
      const form = await web('final.json', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'y=overridden' });
      await expectWebError(form, 400, NOT_ALLOWED);
      expect(await json('final.json?empty=overridden&other=1')).toMatchObject({ x: 'X', y: 'Y', empty: 'overridden', other: '1' });
      // Without the final annotation, the same parameters are defaults.
      expect(await json('defaults.json?x=overridden')).toMatchObject({ x: 'overridden' });
    });

    it('raw-http: __ow_query and __ow_body, no merging, no final check', async () => {
      const empty = await json('raw.json');
      expect(empty).toMatchObject({ __ow_query: '', __ow_body: '', x: 'X' });
      const query = await json('raw.json?x=overridden&key2=value2');
      expect(query).toMatchObject({ __ow_query: 'x=overridden&key2=value2', __ow_body: '', x: 'X' });
      expect(query).not.toHaveProperty('key2');
      const body = JSON.stringify({ x: 'overridden', key2: 'value2' });
      const jsonBody = await json('raw.json?a=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(jsonBody).toMatchObject({ __ow_query: 'a=1', __ow_body: Buffer.from(body).toString('base64'), x: 'X' });
      const text = await json('raw.json', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'plain text' });
      expect(text.__ow_body).toBe('plain text');
      const form = await json('raw.json', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' });
      expect(form.__ow_body).toBe('a=1&b=2');
      const binary = await json('raw.json', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([255, 0]) });
      expect(binary.__ow_body).toBe('/wA=');
    });
  });

  describe('.http results', () => {
    it('statusCode and headers; header arrays repeat the header', async () => {
      const response = await respond('.http', {
        result: { statusCode: 201, headers: { 'Set-Cookie': ['a=b', 'c=d; Path=/'], 'X-Number': 7, 'X-Bool': true }, body: 'made' },
      });
      expect(response.status).toBe(201);
      expect(response.headers.getSetCookie()).toEqual(['a=b', 'c=d; Path=/']);
      expect(response.headers.get('x-number')).toBe('7');
      expect(response.headers.get('x-bool')).toBe('true');
      expect(await response.text()).toBe('made');
    });

    it('an empty body → 204 (or the given status), without the content-type', async () => {
      for (const result of [{}, { body: '' }, { body: null }]) {
        const response = await respond('.http', { result });
        expect(response.status).toBe(204);
        expect(response.headers.get('content-type')).toBeNull();
        expect(await response.text()).toBe('');
      }
      const created = await respond('.http', { result: { statusCode: 200, headers: { 'content-type': 'application/json', 'Set-Cookie': 'a=b' } } });
      expect(created.status).toBe(200);
      expect(created.headers.get('content-type')).toBeNull();
      expect(created.headers.get('set-cookie')).toBe('a=b');
    });

    it('a redirect', async () => {
      const response = await web('redirect', { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('http://openwhisk.org');
    });

    it('binary content types decode a base64 body', async () => {
      const response = await respond('.http', { result: { headers: { 'Content-Type': 'image/png' }, body: PNG } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(PNG, 'base64'))).toBe(true);
      const bad = await respond('.http', { result: { headers: { 'Content-Type': 'image/png' }, body: 'not base64!' } });
      await expectWebError(bad, 400, 'Response type in header did not match generated content type.');
    });

    it('JSON bodies: objects become JSON; base64 JSON is decoded (legacy)', async () => {
      const object = await respond('.http', { result: { statusCode: 200, body: { field: 'value' } } });
      expect(object.headers.get('content-type')).toBe('application/json');
      expect(await object.json()).toEqual({ field: 'value' });
      const encoded = Buffer.from(JSON.stringify({ field: 'value' })).toString('base64');
      const legacy = await respond('.http', { result: { headers: { 'Content-Type': 'application/json' }, body: encoded } });
      expect(await legacy.json()).toEqual({ field: 'value' });
      const hal = await respond('.http', { result: { headers: { 'content-type': 'application/hal+json' }, body: { a: 1 } } });
      expect(hal.headers.get('content-type')).toBe('application/hal+json');
      expect(await hal.json()).toEqual({ a: 1 });
      const mismatch = await respond('.http', { result: { headers: { 'content-type': 'text/html' }, body: { a: 1 } } });
      await expectWebError(mismatch, 400, 'Response type in header did not match generated content type.');
    });

    it('non-standard and string status codes', async () => {
      expect((await respond('.http', { result: { statusCode: 444 } })).status).toBe(444);
      expect((await respond('.http', { result: { statusCode: '201', body: 'x' } })).status).toBe(201);
      await expectWebError(await respond('.http', { result: { statusCode: 'xyz' } }), 400, "Response is not valid 'message/http'.");
    });

    it.each([
      ['an array', [{ body: 'x' }]],
      ['headers that are not an object', { headers: 'x' }],
      ['a null header', { headers: { 'X-A': null } }],
      ['a status out of range', { statusCode: 600 }],
    ])('invalid results → 400 "Response is not valid \'message/http\'." (%s)', async (_, result) => {
      const response = await respond('.http', { result });
      await expectWebError(response, 400, "Response is not valid 'message/http'.");
      expect(response.headers.get('x-openwhisk-activation-id')).toMatch(/^[0-9a-f]{32}$/);
      expectCors(response);
    });

    it('an unknown content-type → 400', async () => {
      const response = await respond('.http', { result: { headers: { 'content-type': 'xyzbar' }, body: 'x' } });
      await expectWebError(response, 400, 'Response did not specify a known content-type.');
    });

    it('application errors are projected through the same rules', async () => {
      const http = await respond('.http', { error: { statusCode: 400, headers: { 'X-Why': 'bad' }, body: 'no hello for you' } });
      expect(http.status).toBe(400);
      expect(http.headers.get('x-why')).toBe('bad');
      expect(await http.text()).toBe('no hello for you');
      const ok = await respond('.http', { error: { statusCode: 200, body: 'still fine' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('still fine');
      const asJson = await respond('.json', { error: { reason: 'x' } });
      expect(asJson.status).toBe(200);
      expect(await asJson.json()).toEqual({ reason: 'x' });
      await expectWebError(await respond('.json', { error: 'bad response type' }), 400, "Response is not valid 'application/json'.");
      await expectWebError(await respond('.http', { error: 'plain' }), 400, "Response is not valid 'message/http'.");
    });

    it('a developer error → 400 "There was an error processing your request."', async () => {
      const response = await web('developer-error.json');
      await expectWebError(response, 400, 'There was an error processing your request.');
      expect(response.headers.get('x-openwhisk-activation-id')).toMatch(/^[0-9a-f]{32}$/);
    });

    it("the action's own CORS headers replace the defaults instead of doubling them", async () => {
      const response = await respond('.http', { result: { headers: { 'access-control-allow-origin': 'https://app.example' }, body: 'x' } });
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH');
    });

    it('Content-Length from the action cannot break the framing', async () => {
      const response = await respond('.http', { result: { headers: { 'Content-Length': '1000' }, body: 'short' } });
      expect(await response.text()).toBe('short');
      expect(response.headers.get('content-length')).toBe('5');
      expect((await web('echo.json')).status).toBe(200);
    });
  });

  describe('require-whisk-auth', () => {
    it('true: valid credentials, else 401', async () => {
      const anonymous = await web('auth-true.json');
      await expectWebError(anonymous, 401, 'The supplied authentication is invalid');
      expectCors(anonymous);
      await expectWebError(await web('auth-true.json', { headers: { authorization: `Basic ${Buffer.from('x:y').toString('base64')}` } }), 401);
      const params = await json('auth-true.json', { headers: { authorization: BASIC_GUEST } });
      expect(params.__ow_user).toBe('guest');
    });

    it('a string: X-Require-Whisk-Auth must equal it', async () => {
      await expectWebError(await web('auth-secret.json'), 401);
      await expectWebError(await web('auth-secret.json', { headers: { 'x-require-whisk-auth': 's3cret-bad' } }), 401);
      // Credentials do not stand in for the secret.
      await expectWebError(await web('auth-secret.json', { headers: { authorization: BASIC_GUEST } }), 401);
      const params = await json('auth-secret.json', { headers: { 'X-Require-Whisk-Auth': 's3cret' } });
      expect(params.__ow_headers['x-require-whisk-auth']).toBe('s3cret');
    });

    it('a number: compared as its decimal string', async () => {
      await expectWebError(await web('auth-number.json', { headers: { 'x-require-whisk-auth': '7718943' } }), 401);
      expect((await web('auth-number.json', { headers: { 'x-require-whisk-auth': '7718942' } })).status).toBe(200);
    });

    it('false requires nothing; any other value lets no one in', async () => {
      expect((await web('auth-false.json')).status).toBe(200);
      await expectWebError(await web('auth-null.json', { headers: { authorization: BASIC_GUEST } }), 401);
    });

    it('OPTIONS is answered whatever the auth', async () => {
      const response = await web('auth-true.json', { method: 'OPTIONS' });
      expect(response.status).toBe(200);
      expectCors(response);
    });
  });

  describe('CORS and OPTIONS', () => {
    it('OPTIONS is answered by the platform without running the action', async () => {
      const response = await web('developer-error.json', { method: 'OPTIONS' });
      expect(response.status).toBe(200);
      expectCors(response);
      expect(response.headers.get('x-openwhisk-activation-id')).toBeNull();
      expect(await response.text()).toBe('');
    });

    it('Access-Control-Request-Headers is echoed as Access-Control-Allow-Headers', async () => {
      const preflight = await web('echo.json', { method: 'OPTIONS', headers: { 'Access-Control-Request-Headers': 'x-custom-header' } });
      expectCors(preflight, 'x-custom-header');
      const get = await web('echo.json', { headers: { 'Access-Control-Request-Headers': 'x-custom-header' } });
      expectCors(get, 'x-custom-header');
    });

    it.each([
      ['a success', 'echo.json'],
      ['an .http success', 'redirect'],
      ['a 404', 'nothing.json'],
      ['a 401', 'auth-true.json'],
      ['a 400', 'developer-error.json'],
    ])('CORS headers on %s', async (_, path) => {
      const response = await web(path, { redirect: 'manual' });
      await response.arrayBuffer();
      expectCors(response);
    });

    it('web-custom-options: the action answers OPTIONS (even when auth is required) and sets its own headers', async () => {
      const response = await web('custom-options', { method: 'OPTIONS', headers: { 'Access-Control-Request-Headers': 'x-custom-header' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS, GET, PATCH');
      expect(response.headers.get('access-control-allow-origin')).toBe('example.com');
      expect(response.headers.get('access-control-allow-headers')).toBeNull();
      expect(response.headers.get('x-openwhisk-activation-id')).toMatch(/^[0-9a-f]{32}$/);
      // Other methods still need the credentials, and get no platform CORS headers.
      const denied = await web('custom-options');
      await expectWebError(denied, 401);
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      const get = await web('custom-options', { headers: { authorization: BASIC_GUEST } });
      expect(await get.text()).toBe('got get');
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('bodies', () => {
    const big = (bytes: number): string => JSON.stringify({ a: 'a'.repeat(bytes - 8) });

    it('exactly 1 MB passes; 1 MB + 1 byte → 413 with the sizes', async () => {
      expect(big(1_048_576).length).toBe(1_048_576);
      // RESPOND returns params.result: nothing here, so the 1 MB parameter does not come back.
      const fits = await web('respond.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big(1_048_576) });
      expect(await expectJson(fits, 200)).toEqual({});
      const response = await web('echo.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big(1_048_577) });
      await expectWebError(response, 413, 'Request larger than allowed: 1048577 > 1048576 bytes.');
      expectCors(response);
    });

    it('a body over the server limit (--max-body) → 413, and the server keeps answering', async () => {
      const response = await web('echo.json', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(3 * 1024 * 1024) });
      expect(response.status).toBe(413);
      await response.text();
      expect((await web('echo.json')).status).toBe(200);
    });

    it('a chunked upload (no content-length) is read whole', async () => {
      const response = await rawRequest(`${t.url}/api/v1/web/guest/default/echo.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        chunks: ['name=Ja', 'ne&city=', 'Rome'],
      });
      expect(response.status).toBe(200);
      const params = JSON.parse(response.body.toString()) as Json;
      expect(params).toMatchObject({ name: 'Jane', city: 'Rome' });
      expect(params.__ow_headers['transfer-encoding']).toBe('chunked');
      expect(params.__ow_headers).not.toHaveProperty('content-length');
    });

    it('a chunked upload over 1 MB → 413', async () => {
      const chunk = 'x'.repeat(256 * 1024);
      const response = await rawRequest(`${t.url}/api/v1/web/guest/default/echo.json`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        chunks: [chunk, chunk, chunk, chunk, 'y'],
      });
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body.toString()).error).toBe('Request larger than allowed: 1048577 > 1048576 bytes.');
    });

    it('clients that go away mid-body or mid-wait break nothing', async () => {
      const url = new URL(`${t.url}/api/v1/web/guest/default/hang.json`);
      const abort = (headers: Record<string, string>, body: string | undefined, afterMs: number): Promise<void> =>
        new Promise((resolve) => {
          const req = httpRequest(url, { method: 'POST', headers });
          req.on('error', () => resolve());
          req.on('close', () => resolve());
          if (body !== undefined) req.write(body);
          req.flushHeaders();
          setTimeout(() => req.destroy(), afterMs);
        });
      const midBody = Array.from({ length: 10 }, () => abort({ 'content-type': 'text/plain', 'content-length': '100000' }, 'only a little', 30));
      const midChunk = Array.from({ length: 5 }, () => abort({ 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, 'part', 30));
      const midWait = Array.from({ length: 5 }, () => abort({ 'content-type': 'application/json', 'content-length': '2' }, '{}', 150));
      await Promise.all([...midBody, ...midChunk, ...midWait]);
      // The server keeps answering, meanwhile and once the abandoned activations end.
      expect((await json('echo.json?alive=1')).alive).toBe('1');
      await sleep(1700);
      expect((await json('echo.json?alive=2')).alive).toBe('2');
      // Only the five whose bodies arrived ran; each ends in its timeout and is recorded.
      const list = await poll(async () => {
        const found = await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/activations?name=hang&limit=50'), 200);
        return found.length >= 5 ? found : undefined;
      }, 8000);
      expect(list.length).toBe(5);
      // Nothing is left waiting.
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).toMatch(/^edgewhisk_invocations_in_flight 0$/m);
    });
  });

  describe('activation records', () => {
    it('every web invocation is recorded like any other', async () => {
      const response = await web('echo.json?n=1');
      const id = response.headers.get('x-openwhisk-activation-id')!;
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      await response.text();
      const record = await activation(id);
      expect(record).toMatchObject({ activationId: id, name: 'echo', namespace: 'guest', subject: 'guest' });
      expect(record!.response).toMatchObject({ status: 'success', success: true });
      expect(record!.response.result).toMatchObject({ n: '1', __ow_method: 'get' });
    });

    it('an activation not done in time → 202 "Response not yet ready." with its id; the record follows', async () => {
      const slow = await startTestServer({ 'blocking-wait': '200' });
      try {
        await webAction(slow, 'hang', HANG, { 'web-export': true }, { limits: { timeout: 500 } });
        const response = await fetch(`${slow.url}/api/v1/web/guest/default/hang.json`);
        await expectWebError(response, 202, 'Response not yet ready.');
        expectCors(response);
        const id = response.headers.get('x-openwhisk-activation-id')!;
        const record = await poll(() => activation(id, slow), 5000);
        expect(record.response.status).toBe('action developer error');
      } finally {
        await slow.close();
      }
    });
  });
});

describe('web actions with record-web-successes false', () => {
  let t: TestServer;
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${t.url}/api/v1/web/guest/default/${path}`, { headers });
  const recorded = async (response: Response): Promise<boolean> => {
    await response.arrayBuffer();
    const id = response.headers.get('x-openwhisk-activation-id')!;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const record = await t.request('GET', `/api/v1/namespaces/_/activations/${id}`);
    await record.text();
    return record.status === 200;
  };

  beforeAll(async () => {
    t = await startTestServer({ 'record-web-successes': 'false' });
    await webAction(t, 'echo', ECHO);
    await webAction(t, 'app-error', "function main() { return { error: { statusCode: 418, body: 'teapot' } } }");
    await webAction(t, 'developer-error', 'function main() { return 42 }');
  });
  afterAll(async () => t.close());

  it('successful web calls leave no record', async () => {
    const response = await get('echo.json');
    expect(response.status).toBe(200);
    expect(await recorded(response)).toBe(false);
  });

  it('…unless the request has X-OW-EXTRA-LOGGING: on', async () => {
    expect(await recorded(await get('echo.json', { 'X-OW-EXTRA-LOGGING': 'on' }))).toBe(true);
    expect(await recorded(await get('echo.json', { 'x-ow-extra-logging': 'off' }))).toBe(false);
  });

  it('failures are still recorded', async () => {
    const teapot = await get('app-error');
    expect(teapot.status).toBe(418);
    expect(await recorded(teapot)).toBe(true);
    expect(await recorded(await get('developer-error.json'))).toBe(true);
  });

  it('invocations through the API are recorded as always', async () => {
    const { activationId } = await t.ow.actions.invoke({ name: 'echo', blocking: true });
    expect((await t.request('GET', `/api/v1/namespaces/_/activations/${activationId}`)).status).toBe(200);
  });
});
