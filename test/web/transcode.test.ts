/**
 * The pure half of web actions (src/openwhisk/web.ts), table by table against upstream's
 * WebActions.scala, its WebActionsApiTests and the pekko-http media-type model it relies on.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeBase64Strict,
  isBinaryCode,
  isBinaryMedia,
  parseMediaType,
  prettyJson,
  projectResult,
  renderContentType,
  splitExtension,
  webArguments,
  type WebExtension,
  type WebRequest,
} from '../../src/openwhisk/web.ts';

const NOT_ALLOWED = 'Request defines parameters that are not allowed (e.g., reserved properties).';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAoAAAAGCAYAAAD68A/GAAAA/klEQVQYGWNgAAEHBxaG//+ZQMyyn581Pfas+cRQnf1LfF' +
  'Ljf+62smUgcUbt0FA2Zh7drf/ffMy9vLn3RurrW9e5hCU11i2azfD4zu1/DHz8TAy/foUxsXBrFzHzC7r8+M9S1vn1qxQT07dDjL' +
  '9fdemrqKxlYGT6z8AIMo6hgeUfA0PUvy9fGFh5GWK3z7vNxSWt++jX99+8SoyiGQwsW38w8PJEM7x5v5SJ8f+/xv8MDAzffv9hev' +
  'fkWjiXBGMpMx+j2awovjcMjFztDO8+7GF49LkbZDCDeXLTWnZO7qDfn1/+5jbw/8pjYWS4wZLztXnuEuYTk2M+MzIw/AcA36Vewa' +
  'D6fzsAAAAASUVORK5CYII=';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('splitExtension (mediaTranscoderForName)', () => {
  const cases: [string, string, WebExtension][] = [];
  for (const ext of ['.http', '.json', '.text', '.html', '.svg'] as const) {
    for (const base of ['t', 'tt', 't.wxyz', 'tt.wxyz']) cases.push([`${base}${ext}`, base, ext]);
  }
  for (const name of ['t', 'tt', 'abcde', 'abcdef', 't.wxyz', 'a.xml', 'a.JSON']) cases.push([name, name, '.http']);
  // A bare extension names no action: it stays the name (and is then not a valid name).
  cases.push(['.json', '.json', '.http']);
  it.each(cases)('%s → %s + %s', (segment, name, extension) => {
    expect(splitExtension(segment)).toEqual([name, extension]);
  });
});

describe('media types (pekko: registered types as registered; others binary unless a charset is named)', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, true], // no Content-Type: application/octet-stream
    ['garbage', true],
    ['text/plain', false],
    ['text/plain; charset=utf-8', false],
    ['TEXT/HTML', false],
    ['text/xml', false],
    ['text/csv', false],
    ['text/javascript', true], // not registered by pekko
    ['text/javascript; charset=utf-8', false],
    ['application/json', false],
    ['application/json; charset=utf-8', false],
    ['application/vnd.api+json', false],
    ['application/problem+json', false],
    ['application/hal+json', true], // unregistered +json
    ['application/hal+json; charset=utf-8', false],
    ['application/x-www-form-urlencoded', false],
    ['application/xml', false],
    ['application/javascript', false],
    ['application/octet-stream', true],
    ['application/pdf', true],
    ['application/x-custom', true],
    ['application/x-custom; charset=utf-8', false],
    ['image/png', true],
    ['image/svg+xml', true],
    ['image/png; charset=utf-8', true],
    ['multipart/form-data; boundary=x', true],
    ['message/http', true],
  ];
  it.each(cases)('%s → binary %s', (value, binary) => {
    expect(isBinaryMedia(value === undefined ? undefined : parseMediaType(value))).toBe(binary);
  });

  const parses: [string, ReturnType<typeof parseMediaType>][] = [
    ['text/html', { type: 'text/html', params: [], charset: false }],
    ['Text/HTML; Charset="UTF-8"', { type: 'text/html', params: [], charset: true }],
    ['text/html; level=1; charset=utf-8', { type: 'text/html', params: [['level', '1']], charset: true }],
    ['multipart/form-data; boundary="a;b"', { type: 'multipart/form-data', params: [['boundary', 'a;b']], charset: false }],
    ['xyzbar', undefined],
    ['text/', undefined],
    ['/html', undefined],
    ['text/html; charset', undefined],
    ['text html', undefined],
  ];
  it.each(parses)('parse %j', (value, media) => {
    expect(parseMediaType(value)).toEqual(media);
  });

  const renders: [string, string][] = [
    ['text/html', 'text/html; charset=UTF-8'],
    ['text/plain; charset=ISO-8859-1', 'text/plain; charset=UTF-8'],
    ['text/html; level=1', 'text/html; level=1; charset=UTF-8'],
    ['application/json', 'application/json'],
    ['application/json; charset=utf-8', 'application/json'],
    ['application/xml', 'application/xml; charset=UTF-8'],
    ['image/png', 'image/png'],
    ['application/x-custom; charset=latin1', 'application/x-custom; charset=UTF-8'],
  ];
  it.each(renders)('render %s → %s', (value, rendered) => {
    expect(renderContentType(parseMediaType(value)!)).toBe(rendered);
  });
});

describe('base64 (Exec.isBinaryCode, java.util.Base64 decoder)', () => {
  const binaryCode: [string, boolean][] = [
    ['eyJhIjoxfQ==', true],
    ['abcd', true],
    [' abcd ', true], // trimmed
    ['abc', false],
    ['abc=', true],
    ['ab==', true],
    ['a===', false],
    ['hello world', false],
    ['', false],
    ['{"a":1}', false],
  ];
  it.each(binaryCode)('isBinaryCode(%j) = %s', (value, expected) => {
    expect(isBinaryCode(value)).toBe(expected);
  });

  const decodes: [string, string | undefined][] = [
    ['aGk=', 'hi'],
    ['aGk', 'hi'], // padding optional
    ['aGVsbG8=', 'hello'],
    ['a', undefined],
    ['aGk==', undefined],
    ['aG k=', undefined],
    ['aGk=\n', undefined],
    ['a-_b', undefined], // the URL alphabet is not base64
  ];
  it.each(decodes)('decode %j', (value, text) => {
    expect(decodeBase64Strict(value)?.toString()).toBe(text);
  });
});

describe('prettyJson (spray PrettyPrinter)', () => {
  const cases: [unknown, string][] = [
    [{ foobar: 'foobar' }, '{\n  "foobar": "foobar"\n}'],
    [{ a: { b: 1 }, c: [1, 'x', true, null] }, '{\n  "a": {\n    "b": 1\n  },\n  "c": [1, "x", true, null]\n}'],
    [[{ a: 1 }], '[{\n  "a": 1\n}]'],
    [[], '[]'],
    [{}, '{\n\n}'],
    // Integer-like keys first (as JSON.stringify orders them), nested empties, escaped keys.
    [{ b: 1, 2: 'x', a: [[1, { c: {} }], {}], 'é"': 'ü' }, '{\n  "2": "x",\n  "b": 1,\n  "a": [[1, {\n    "c": {\n\n    }\n  }], {\n\n  }],\n  "é\\"": "ü"\n}'],
    ['s"q', '"s\\"q"'],
    [3, '3'],
    [null, 'null'],
  ];
  it.each(cases)('%j', (value, printed) => {
    expect(prettyJson(value)).toBe(printed);
    expect(JSON.parse(printed)).toEqual(value);
  });
});

describe('webArguments', () => {
  const base: WebRequest = { method: 'POST', headers: { host: 'h' }, path: '', query: '', body: Buffer.alloc(0), user: undefined };
  const request = (over: Partial<WebRequest> & { contentType?: string; text?: string; bytes?: Buffer }): WebRequest => {
    const headers = { ...base.headers, ...over.headers };
    if (over.contentType !== undefined) headers['content-type'] = over.contentType;
    const body = over.bytes ?? (over.text !== undefined ? Buffer.from(over.text) : base.body);
    return { ...base, ...over, headers, body };
  };
  const context = (req: WebRequest): Record<string, unknown> => ({
    __ow_method: req.method.toLowerCase(),
    __ow_headers: req.headers,
    __ow_path: req.path,
    ...(req.user === undefined ? {} : { __ow_user: req.user }),
  });

  type Row = [string, WebRequest, boolean, Record<string, unknown>];
  const table: Row[] = [
    ['no body', request({ method: 'GET' }), false, {}],
    ['query merges', request({ method: 'GET', query: 'a=b&c=d' }), false, { a: 'b', c: 'd' }],
    ['repeated query key: the last wins', request({ query: 'a=1&a=2' }), false, { a: '2' }],
    ['query + decoding', request({ query: 'name=Jane+Doe&q=%C3%A9' }), false, { name: 'Jane Doe', q: 'é' }],
    ['JSON object merges, body over query', request({ query: 'a=q&b=q', contentType: 'application/json', text: '{"a":"body","n":1}' }), false, { a: 'body', b: 'q', n: 1 }],
    ['+json merges', request({ contentType: 'application/cloudevents+json; charset=utf-8', text: '{"field1":"value1"}' }), false, { field1: 'value1' }],
    ['empty JSON body: nothing', request({ contentType: 'application/json', text: '' }), false, {}],
    ['{} body: nothing', request({ contentType: 'application/json', text: '{}' }), false, {}],
    ['JSON array: __ow_body as is', request({ contentType: 'application/json', text: '[1,"str str",false]' }), false, { __ow_body: [1, 'str str', false] }],
    ['JSON string: __ow_body as is', request({ contentType: 'application/json', text: '"this is a string"' }), false, { __ow_body: 'this is a string' }],
    ['JSON number', request({ contentType: 'application/json', text: '99' }), false, { __ow_body: 99 }],
    ['JSON null', request({ contentType: 'application/json', text: 'null' }), false, { __ow_body: null }],
    ['form merges', request({ contentType: 'application/x-www-form-urlencoded', text: 'field1=value1&field2=value+2' }), false, { field1: 'value1', field2: 'value 2' }],
    ['form over query', request({ query: 'a=q', contentType: 'application/x-www-form-urlencoded', text: 'a=form' }), false, { a: 'form' }],
    ['text: __ow_body string', request({ contentType: 'text/plain', text: 'Jane' }), false, { __ow_body: 'Jane' }],
    ['html text', request({ contentType: 'text/html; charset=UTF-8', text: '1,2,3' }), false, { __ow_body: '1,2,3' }],
    ['binary: __ow_body base64', request({ contentType: 'image/png', bytes: Buffer.from(PNG, 'base64') }), false, { __ow_body: PNG }],
    ['no content-type: octet-stream, base64', request({ text: 'abc' }), false, { __ow_body: b64('abc') }],
    ['unknown type: base64', request({ contentType: 'application/x-thing', text: 'abc' }), false, { __ow_body: b64('abc') }],
    ['unknown type with charset: text', request({ contentType: 'application/x-thing; charset=utf-8', text: 'abc' }), false, { __ow_body: 'abc' }],
    ['content-type without body: empty __ow_body', request({ method: 'GET', contentType: 'text/plain' }), false, { __ow_body: '' }],
    ['__ow_user when authenticated', request({ user: 'guest' }), false, {}],
    ['__ow_path', request({ path: '/a/b' }), false, {}],
    ['final null-valued params may be given', request({ query: 'empty=overridden' }), false, { empty: 'overridden' }],
    // raw-http
    ['raw: empty query and body', request({}), true, { __ow_query: '', __ow_body: '' }],
    ['raw: query string, no merging', request({ query: 'x=overridden&key2=value2' }), true, { __ow_query: 'x=overridden&key2=value2', __ow_body: '' }],
    ['raw: application/json is base64', request({ query: 'key1=value1', contentType: 'application/json', text: '{"x":"overridden"}' }), true, { __ow_query: 'key1=value1', __ow_body: b64('{"x":"overridden"}') }],
    ['raw: invalid JSON is base64 too', request({ contentType: 'application/json', text: '1,2,3' }), true, { __ow_query: '', __ow_body: b64('1,2,3') }],
    ['raw: registered +json is text', request({ contentType: 'application/vnd.api+json', text: '{"a":1}' }), true, { __ow_query: '', __ow_body: '{"a":1}' }],
    ['raw: text is text', request({ contentType: 'text/plain', text: 'héllo' }), true, { __ow_query: '', __ow_body: 'héllo' }],
    ['raw: form is text', request({ contentType: 'application/x-www-form-urlencoded', text: 'a=1&b=2' }), true, { __ow_query: '', __ow_body: 'a=1&b=2' }],
    ['raw: binary is base64', request({ contentType: 'application/octet-stream', bytes: Buffer.from([0, 1, 254, 255]) }), true, { __ow_query: '', __ow_body: 'AAH+/w==' }],
    ['raw: reserved names in the query are just text', request({ query: '__ow_method=x' }), true, { __ow_query: '__ow_method=x', __ow_body: '' }],
  ];
  it.each(table)('%s', (_, req, raw, expected) => {
    const result = webArguments(req, raw, new Set(['x', 'y']));
    expect(result).toEqual({ ok: true, params: { ...context(req), ...expected } });
  });

  const rejected: [string, WebRequest, number, string][] = [
    ['malformed JSON', request({ contentType: 'application/json', text: '{"a":' }), 400, 'The request content was malformed: the body is not valid JSON.'],
    ['final param in query', request({ query: 'x=overridden' }), 400, NOT_ALLOWED],
    ['final param in JSON body', request({ contentType: 'application/json', text: '{"y":1}' }), 400, NOT_ALLOWED],
    ['final param in form', request({ contentType: 'application/x-www-form-urlencoded', text: 'x=1' }), 400, NOT_ALLOWED],
    ...['__ow_method', '__ow_headers', '__ow_path', '__ow_user', '__ow_query', '__ow_body'].flatMap((p): [string, WebRequest, number, string][] => [
      [`${p} in query`, request({ query: `${p}=YYY` }), 400, NOT_ALLOWED],
      [`${p} in body`, request({ contentType: 'application/json', text: JSON.stringify({ [p]: 'YYY' }) }), 400, NOT_ALLOWED],
    ]),
  ];
  it.each(rejected)('rejects %s', (_, req, status, message) => {
    expect(webArguments(req, false, new Set(['x', 'y']))).toEqual({ ok: false, status, message });
  });
});

describe('projectResult', () => {
  const invalid = (type: string) => ({ ok: false, status: 400, message: `Response is not valid '${type}'.` });
  const notFound = { ok: false, status: 404, message: 'Response does not include requested property.' };
  const unknownType = { ok: false, status: 400, message: 'Response did not specify a known content-type.' };
  const typeMismatch = { ok: false, status: 400, message: 'Response type in header did not match generated content type.' };
  const response = (status: number, headers: Record<string, string | string[]>, body: string | Buffer) => ({ ok: true, response: { status, headers, body } });

  type Row = [string, WebExtension, unknown, unknown];
  const table: Row[] = [
    // .json: objects and arrays, pretty-printed
    ['json object', '.json', { foobar: 'foobar' }, response(200, { 'content-type': 'application/json' }, '{\n  "foobar": "foobar"\n}')],
    ['json array', '.json', [1, 2], response(200, { 'content-type': 'application/json' }, '[1, 2]')],
    ['json string', '.json', 'bad response type', invalid('application/json')],
    ['json number', '.json', 3, invalid('application/json')],
    ['json null', '.json', null, invalid('application/json')],
    // .html: body, else html; a non-object as is
    ['html field', '.html', { html: '<html>hi</htlml>' }, response(200, { 'content-type': 'text/html; charset=UTF-8' }, '<html>hi</htlml>')],
    ['html body first', '.html', { body: '<b>', html: '<i>' }, response(200, { 'content-type': 'text/html; charset=UTF-8' }, '<b>')],
    ['html null body hides html', '.html', { body: null, html: '<i>' }, invalid('text/html')],
    ['html string result', '.html', '<p>', response(200, { 'content-type': 'text/html; charset=UTF-8' }, '<p>')],
    ['html xml text', '.html', { html: '<?xml version="1.0"?><note/>' }, response(200, { 'content-type': 'text/html; charset=UTF-8' }, '<?xml version="1.0"?><note/>')],
    ['html missing', '.html', { other: 1 }, invalid('text/html')],
    ['html not a string', '.html', { html: 1 }, invalid('text/html')],
    ['html array', '.html', ['<p>'], invalid('text/html')],
    // .svg
    ['svg field', '.svg', { svg: '<svg/>' }, response(200, { 'content-type': 'image/svg+xml' }, '<svg/>')],
    ['svg body', '.svg', { body: '<svg/>' }, response(200, { 'content-type': 'image/svg+xml' }, '<svg/>')],
    ['svg missing', '.svg', {}, invalid('image/svg+xml')],
    // .text: body, else text; any JSON value printed
    ['text field', '.text', { text: 'default text' }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, 'default text')],
    ['text body object', '.text', { body: { a: 'A' } }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, '{\n  "a": "A"\n}')],
    ['text body array', '.text', { body: ['a'] }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, '["a"]')],
    ['text body true', '.text', { body: true }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, 'true')],
    ['text body 1', '.text', { body: 1 }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, '1')],
    ['text body null', '.text', { body: null }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, 'null')],
    ['text missing', '.text', { other: 1 }, notFound],
    ['text string result', '.text', 'plain', response(200, { 'content-type': 'text/plain; charset=UTF-8' }, 'plain')],
    ['text number result', '.text', 42, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, '42')],
    // .http: defaults
    ['http {}', '.http', {}, response(204, {}, '')],
    ['http body ""', '.http', { body: '' }, response(204, {}, '')],
    ['http body null', '.http', { body: null }, response(204, {}, '')],
    ['http status, no body', '.http', { statusCode: 201 }, response(201, {}, '')],
    ['http empty drops content-type', '.http', { statusCode: 200, headers: { 'Set-Cookie': 'a=b', 'content-type': 'application/json' } }, response(200, { 'Set-Cookie': 'a=b' }, '')],
    ['http redirect', '.http', { headers: { location: 'http://openwhisk.org' }, statusCode: 302 }, response(302, { location: 'http://openwhisk.org' }, '')],
    ['http string body: text/html', '.http', { body: 'hello world' }, response(200, { 'content-type': 'text/html; charset=UTF-8' }, 'hello world')],
    ['http string status', '.http', { statusCode: '201', body: 'x' }, response(201, { 'content-type': 'text/html; charset=UTF-8' }, 'x')],
    ['http non-standard status', '.http', { statusCode: 444 }, response(444, {}, '')],
    ['http string non-standard status', '.http', { statusCode: '444' }, response(444, {}, '')],
    ['http status xyz', '.http', { statusCode: 'xyz' }, invalid('message/http')],
    ['http status 2.5', '.http', { statusCode: 200.5 }, invalid('message/http')],
    ['http status 600', '.http', { statusCode: 600 }, invalid('message/http')],
    ['http status 99', '.http', { statusCode: 99 }, invalid('message/http')],
    ['http status 101 (cannot end an exchange)', '.http', { statusCode: 101 }, invalid('message/http')],
    ['http status null', '.http', { statusCode: null }, invalid('message/http')],
    ['http status true', '.http', { statusCode: true }, invalid('message/http')],
    // .http: headers
    ['http header array repeats', '.http', { headers: { 'Set-Cookie': ['a=b', 'c=d; Path = /'] } }, response(204, { 'Set-Cookie': ['a=b', 'c=d; Path = /'] }, '')],
    ['http header number and boolean', '.http', { headers: { 'X-N': 1, 'X-B': false } }, response(204, { 'X-N': '1', 'X-B': 'false' }, '')],
    ['http nested header arrays flatten', '.http', { headers: { 'X-A': ['1', ['2', 3]] } }, response(204, { 'X-A': ['1', '2', '3'] }, '')],
    ['http empty header array: no header', '.http', { headers: { 'X-A': [] } }, response(204, {}, '')],
    ['http framing headers are dropped', '.http', { headers: { 'Content-Length': '99', 'Transfer-Encoding': 'chunked' }, body: 'ok' }, response(200, { 'content-type': 'text/html; charset=UTF-8' }, 'ok')],
    ['http header null', '.http', { headers: { 'X-A': null } }, invalid('message/http')],
    ['http header object', '.http', { headers: { 'X-A': { b: 1 } } }, invalid('message/http')],
    ['http headers not an object', '.http', { headers: 'x' }, invalid('message/http')],
    ['http headers array', '.http', { headers: ['x'] }, invalid('message/http')],
    ['http header name with a space', '.http', { headers: { 'X A': '1' } }, invalid('message/http')],
    ['http header value with CRLF', '.http', { headers: { 'X-A': 'a\r\nInjected: 1' } }, invalid('message/http')],
    // .http: content types
    ['http JSON as string with application/json', '.http', { headers: { 'content-type': 'application/json' }, statusCode: 201, body: '{"field":"value"}' }, response(201, { 'content-type': 'application/json' }, '{"field":"value"}')],
    ['http legacy base64 JSON', '.http', { headers: { 'Content-Type': 'application/json' }, body: b64('{"a":1}') }, response(200, { 'content-type': 'application/json' }, Buffer.from('{"a":1}'))],
    ['http base64 known +json', '.http', { headers: { 'content-type': 'application/json-patch+json' }, body: b64('{"field":"value"}') }, response(200, { 'content-type': 'application/json-patch+json' }, Buffer.from('{"field":"value"}'))],
    ['http application/json with text', '.http', { headers: { 'content-type': 'application/json' }, body: 'hello world' }, response(200, { 'content-type': 'application/json' }, 'hello world')],
    ['http binary png', '.http', { headers: { 'Content-Type': 'image/png' }, body: PNG }, response(200, { 'content-type': 'image/png' }, Buffer.from(PNG, 'base64'))],
    ['http binary not base64', '.http', { headers: { 'Content-Type': 'image/png' }, body: 'not base64!' }, typeMismatch],
    ['http unknown type with a JSON string body must be base64', '.http', { headers: { 'content-type': 'application/hal+json' }, body: '{"a":1}' }, typeMismatch],
    ['http invalid content-type', '.http', { headers: { 'content-type': 'xyzbar' }, body: 'hello world' }, unknownType],
    ['http text/plain gets a charset', '.http', { headers: { 'Content-Type': 'text/plain' }, body: 'hi' }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, 'hi')],
    ['http charset becomes UTF-8', '.http', { headers: { 'Content-Type': 'text/plain; charset=ISO-8859-1' }, body: 'hé' }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, 'hé')],
    ['http first content-type wins', '.http', { headers: { 'content-type': ['text/plain', 'image/png'] }, body: 'hi' }, response(200, { 'content-type': 'text/plain; charset=UTF-8' }, 'hi')],
    // .http: JSON values as bodies
    ['http object body', '.http', { statusCode: 200, body: { field: 'value' } }, response(200, { 'content-type': 'application/json' }, '{\n  "field": "value"\n}')],
    ['http object body, application/json', '.http', { headers: { 'content-type': 'application/json' }, body: { field: 'value' } }, response(200, { 'content-type': 'application/json' }, '{\n  "field": "value"\n}')],
    ['http object body, known +json', '.http', { headers: { 'content-type': 'application/json-patch+json' }, body: { field: 'value' } }, response(200, { 'content-type': 'application/json-patch+json' }, '{\n  "field": "value"\n}')],
    ['http object body, unknown +json', '.http', { headers: { 'content-type': 'application/hal+json' }, body: { field: 'value' } }, response(200, { 'content-type': 'application/hal+json' }, '{\n  "field": "value"\n}')],
    ['http object body, text/html', '.http', { headers: { 'content-type': 'text/html' }, body: { field: 'value' } }, typeMismatch],
    ['http object body, bad content-type', '.http', { headers: { 'content-type': 'xyzbar' }, body: { field: 'value' } }, typeMismatch],
    ['http number body', '.http', { statusCode: 200, body: 3 }, response(200, { 'content-type': 'application/json' }, '3')],
    ['http false body', '.http', { body: false }, response(200, { 'content-type': 'application/json' }, 'false')],
    ['http array body', '.http', { body: [1, 2] }, response(200, { 'content-type': 'application/json' }, '[1, 2]')],
    ['http 204 with a body sends none', '.http', { statusCode: 204, body: 'x' }, response(204, { 'content-type': 'text/html; charset=UTF-8' }, '')],
    // .http: not an http response
    ['http string result', '.http', 'no hello for you', invalid('message/http')],
    ['http array result', '.http', [{ body: 'x' }], invalid('message/http')],
    ['http null result', '.http', null, invalid('message/http')],
  ];
  it.each(table)('%s', (_, extension, result, expected) => {
    expect(projectResult(extension, result)).toEqual(expected);
  });
});
