/**
 * Web actions, the pure part (upstream WebActions.scala): the extension of the URL, the action's
 * arguments built from an HTTP request, and the projection of a result onto an HTTP response.
 */
import { MESSAGES } from '../errors.ts';

export const WEB_EXTENSIONS = ['.http', '.json', '.html', '.svg', '.text'] as const;
export type WebExtension = (typeof WEB_EXTENSIONS)[number];

/** 'hello.json' → ['hello', '.json']; no known extension means '.http'. */
export function splitExtension(segment: string): [string, WebExtension] {
  for (const extension of WEB_EXTENSIONS) {
    if (segment.endsWith(extension) && segment.length > extension.length) return [segment.slice(0, -extension.length), extension];
  }
  return [segment, '.http'];
}

export interface WebRequest {
  method: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** What follows the action name, e.g. '/a/b' or ''. */
  path: string;
  query: string;
  body: Buffer;
  /** The caller's namespace when the request carried valid credentials. */
  user: string | undefined;
}

export type WebArguments = { ok: true; params: Record<string, unknown> } | { ok: false; status: number; message: string };

const RESERVED = ['__ow_method', '__ow_headers', '__ow_path', '__ow_user', '__ow_query', '__ow_body'];

function mediaType(headers: Record<string, string>): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonFamily(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** Media types that are text: everything else is binary and travels base64-encoded. */
function isTextual(type: string): boolean {
  return type.startsWith('text/') || isJsonFamily(type) || type === 'application/xml' || type.endsWith('+xml') ||
    type === 'application/javascript' || type === 'application/x-www-form-urlencoded' || type === '';
}

/**
 * The action's arguments: the request context (`__ow_method`, `__ow_headers`, `__ow_path`,
 * `__ow_user`) ⊕ query ⊕ body fields (body wins). A JSON object or form body merges; any other
 * body is `__ow_body` (text as a string, binary base64). With raw-http, the query is `__ow_query`
 * and the body always `__ow_body`. Query or body fields may not override `__ow_*` or final
 * parameters.
 */
export function webArguments(request: WebRequest, raw: boolean, finalParams: ReadonlySet<string>): WebArguments {
  const context: Record<string, unknown> = {
    __ow_method: request.method.toLowerCase(),
    __ow_headers: request.headers,
    __ow_path: request.path,
  };
  if (request.user !== undefined) context.__ow_user = request.user;
  const type = mediaType(request.headers);
  const hasBody = request.body.length > 0;

  if (raw) {
    let body = '';
    if (hasBody) body = isTextual(type) && !isJsonFamily(type) ? request.body.toString('utf8') : request.body.toString('base64');
    return { ok: true, params: { ...context, __ow_query: request.query, __ow_body: body } };
  }

  const query = Object.fromEntries(new URLSearchParams(request.query));
  let fields: Record<string, unknown> = {};
  let opaque: unknown;
  if (hasBody && isJsonFamily(type)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.toString('utf8'));
    } catch {
      return { ok: false, status: 400, message: 'The request content was malformed: the body is not valid JSON.' };
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
    else opaque = parsed;
  } else if (hasBody && type === 'application/x-www-form-urlencoded') {
    fields = Object.fromEntries(new URLSearchParams(request.body.toString('utf8')));
  } else if (hasBody) {
    opaque = isTextual(type) ? request.body.toString('utf8') : request.body.toString('base64');
  }
  for (const key of [...Object.keys(query), ...Object.keys(fields)]) {
    if (RESERVED.includes(key) || finalParams.has(key)) return { ok: false, status: 400, message: MESSAGES.parametersNotAllowed };
  }
  const params: Record<string, unknown> = { ...context, ...query, ...fields };
  if (opaque !== undefined) params.__ow_body = opaque;
  return { ok: true, params };
}

export interface WebResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

export type Projection = { ok: true; response: WebResponse } | { ok: false; status: number; message: string };

const fail = (status: number, message: string): Projection => ({ ok: false, status, message });
const invalidMedia = (type: string): Projection => fail(400, `Response is not valid '${type}'.`);

/** Projects a result (or an application error's `error` value) onto the extension's HTTP response. */
export function projectResult(extension: WebExtension, result: unknown): Projection {
  switch (extension) {
    case '.json':
      if (typeof result === 'object' && result !== null) {
        return { ok: true, response: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) } };
      }
      return invalidMedia('application/json');
    case '.html':
      return textual(fieldOr(result, 'html'), 'text/html; charset=UTF-8', 'text/html');
    case '.svg':
      return textual(fieldOr(result, 'svg'), 'image/svg+xml', 'image/svg+xml');
    case '.text':
      return asText(result);
    case '.http':
      return asHttp(result);
  }
}

/** `.html`/`.svg`: the result's `body` or named field, or the result itself when it is not an object. */
function fieldOr(result: unknown, field: string): unknown {
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    const fields = result as Record<string, unknown>;
    return fields.body ?? fields[field] ?? null;
  }
  return result;
}

function textual(value: unknown, contentType: string, media: string): Projection {
  if (typeof value !== 'string') return invalidMedia(media);
  return { ok: true, response: { status: 200, headers: { 'content-type': contentType }, body: value } };
}

function asText(result: unknown): Projection {
  let value: unknown = result;
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    const fields = result as Record<string, unknown>;
    value = 'body' in fields ? fields.body : 'text' in fields ? fields.text : undefined;
    if (value === undefined) return fail(404, 'Response does not include requested property.');
  }
  const body = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : String(value);
  return { ok: true, response: { status: 200, headers: { 'content-type': 'text/plain; charset=UTF-8' }, body } };
}

function headerValues(name: string, value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap((v) => headerValues(name, v));
  throw new Error(`invalid header ${name}`);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function asHttp(result: unknown): Projection {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return invalidMedia('message/http');
  const fields = result as Record<string, unknown>;
  const headers: Record<string, string | string[]> = {};
  let contentType: string | undefined;
  try {
    if (fields.headers !== undefined) {
      if (typeof fields.headers !== 'object' || fields.headers === null || Array.isArray(fields.headers)) throw new Error('headers');
      for (const [name, value] of Object.entries(fields.headers)) {
        if (!HEADER_NAME.test(name)) throw new Error('header name');
        const values = headerValues(name, value);
        if (values.some((v) => /[\r\n\0]/.test(v))) throw new Error('header value');
        if (name.toLowerCase() === 'content-type') contentType = values[0];
        else headers[name] = values.length === 1 ? values[0]! : values;
      }
    }
  } catch {
    return invalidMedia('message/http');
  }
  let status: number | undefined;
  const code = fields.statusCode;
  if (code !== undefined) {
    status = typeof code === 'number' ? code : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : NaN;
    if (!Number.isInteger(status) || status < 100 || status > 599) return invalidMedia('message/http');
  }
  const body = fields.body;
  if (body === undefined || body === null || body === '') {
    return { ok: true, response: { status: status ?? 204, headers, body: '' } };
  }
  if (typeof body === 'string') {
    const type = (contentType ?? 'text/html').split(';')[0]!.trim().toLowerCase();
    let payload: string | Buffer = body;
    // Binary types — and JSON given as base64, for upstream's legacy — arrive base64-encoded.
    const base64 = /^[A-Za-z0-9+/]+={0,2}$/.test(body) && body.length % 4 === 0;
    if (!isTextual(type) || (isJsonFamily(type) && base64)) {
      if (!base64) return fail(400, 'Response type in header did not match generated content type.');
      payload = Buffer.from(body, 'base64');
    }
    headers['content-type'] = contentType ?? 'text/html; charset=UTF-8';
    return { ok: true, response: { status: status ?? 200, headers, body: payload } };
  }
  // Any other JSON value: serialized, with a JSON-family content type.
  const type = contentType ?? 'application/json';
  if (!isJsonFamily(type.split(';')[0]!.trim().toLowerCase())) return fail(400, 'Response type in header did not match generated content type.');
  headers['content-type'] = type;
  return { ok: true, response: { status: status ?? 200, headers, body: JSON.stringify(body) } };
}
