/**
 * Web actions, the pure part (upstream WebActions.scala on pekko-http): the extension of the URL,
 * the action's arguments built from an HTTP request, and the projection of a result onto an HTTP
 * response. Upstream leans on pekko's media-type model to tell text from binary; the few tables
 * below reproduce what it decides.
 */
import { MESSAGES } from '../errors.ts';
import { nestedDeeperThan } from '../limits/json.ts';

export const WEB_EXTENSIONS = ['.http', '.json', '.html', '.svg', '.text'] as const;
export type WebExtension = (typeof WEB_EXTENSIONS)[number];

/** 'hello.json' → ['hello', '.json']; no known extension means '.http'. */
export function splitExtension(segment: string): [string, WebExtension] {
  for (const extension of WEB_EXTENSIONS) {
    if (segment.endsWith(extension) && segment.length > extension.length) return [segment.slice(0, -extension.length), extension];
  }
  return [segment, '.http'];
}

/** Upstream's wording (Messages.scala). */
export const WEB_MESSAGES = {
  invalidMedia: (type: string) => `Response is not valid '${type}'.`,
  propertyNotFound: 'Response does not include requested property.',
  httpUnknownContentType: 'Response did not specify a known content-type.',
  httpContentTypeError: 'Response type in header did not match generated content type.',
  errorProcessingRequest: 'There was an error processing your request.',
  responseNotReady: 'Response not yet ready.',
  malformedJson: 'The request content was malformed: the body is not valid JSON.',
} as const;

// ---------------------------------------------------------------------------------------------
// Media types

export interface MediaType {
  /** 'main/sub', lower-cased. */
  type: string;
  /** Parameters other than charset, lower-cased names, in order. */
  params: [string, string][];
  /** Whether the value named a charset (pekko then treats an unknown type as text). */
  charset: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses a Content-Type value; undefined when it is not `type/subtype *(; name=value)`. */
export function parseMediaType(value: string): MediaType | undefined {
  const [head, ...rest] = splitParams(value);
  const slash = head!.indexOf('/');
  if (slash <= 0) return undefined;
  const main = head!.slice(0, slash).trim();
  const sub = head!.slice(slash + 1).trim();
  if (!TOKEN.test(main) || !TOKEN.test(sub)) return undefined;
  const media: MediaType = { type: `${main}/${sub}`.toLowerCase(), params: [], charset: false };
  for (const param of rest) {
    if (param.trim() === '') continue;
    const eq = param.indexOf('=');
    if (eq <= 0) return undefined;
    const name = param.slice(0, eq).trim().toLowerCase();
    let v = param.slice(eq + 1).trim();
    if (!TOKEN.test(name)) return undefined;
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    if (name === 'charset') media.charset = true;
    else media.params.push([name, v]);
  }
  return media;
}

/** Splits on ';' outside quoted strings. */
function splitParams(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

export function isJsonFamily(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** Text types pekko registers with a fixed charset (UTF-8): their Content-Type carries no charset. */
const FIXED_CHARSET = new Set([
  'application/json',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/problem+json',
  'application/vnd.api+json',
  'application/x-www-form-urlencoded',
  'text/event-stream',
]);

/** Text types pekko registers with an open charset. */
const OPEN_CHARSET = new Set([
  ...[
    'atom+xml', 'base64', 'javascript', 'rss+xml', 'soap+xml', 'vnd.google-earth.kml+xml', 'x-latex', 'x-vrml',
    'xhtml+xml', 'xml-dtd', 'xml', 'problem+xml',
  ].map((s) => `application/${s}`),
  ...[
    'asp', 'cache-manifest', 'calendar', 'css', 'csv', 'html', 'markdown', 'mcf', 'plain', 'richtext',
    'tab-separated-values', 'uri-list', 'vnd.wap.wml', 'vnd.wap.wmlscript', 'x-asm', 'x-c', 'x-component', 'x-h',
    'x-java-source', 'x-pascal', 'x-script', 'x-scriptcsh', 'x-scriptelisp', 'x-scriptksh', 'x-scriptlisp',
    'x-scriptperl', 'x-scriptperl-module', 'x-scriptphyton', 'x-scriptrexx', 'x-scriptscheme', 'x-scriptsh',
    'x-scripttcl', 'x-scripttcsh', 'x-scriptzsh', 'x-server-parsed-html', 'x-setext', 'x-sgml', 'x-speech',
    'x-uuencode', 'x-vcalendar', 'x-vcard', 'xml',
  ].map((s) => `text/${s}`),
]);

/** Main types whose every registered pekko type is binary, charset or not. */
const BINARY_MAIN = new Set(['image', 'audio', 'video', 'font', 'multipart', 'message']);
const BINARY_APPLICATION = new Set([
  'application/octet-stream', 'application/pdf', 'application/zip', 'application/x-gzip', 'application/x-tar',
  'application/cbor', 'application/grpc+proto', 'application/java-archive', 'application/msword',
]);

/**
 * pekko's verdict on a media type: binary content travels base64-encoded. Registered types are
 * what pekko says; an unregistered type is binary unless its Content-Type names a charset. No or
 * an unreadable Content-Type means application/octet-stream: binary.
 */
export function isBinaryMedia(media: MediaType | undefined): boolean {
  if (media === undefined) return true;
  if (FIXED_CHARSET.has(media.type) || OPEN_CHARSET.has(media.type)) return false;
  if (BINARY_MAIN.has(media.type.split('/')[0]!) || BINARY_APPLICATION.has(media.type)) return true;
  return !media.charset;
}

/** The Content-Type pekko renders for a response: open-charset text gets `; charset=UTF-8`. */
export function renderContentType(media: MediaType): string {
  const params = media.params.map(([k, v]) => `; ${k}=${TOKEN.test(v) ? v : JSON.stringify(v)}`).join('');
  const openText = !isBinaryMedia(media) && !FIXED_CHARSET.has(media.type);
  return `${media.type}${params}${openText ? '; charset=UTF-8' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Base64 and JSON printing

/** Exec.isBinaryCode: the trimmed string is non-empty, padded base64. */
export function isBinaryCode(value: string): boolean {
  const t = value.trim();
  return t.length > 0 && t.length % 4 === 0 && /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$/.test(t);
}

/** java.util.Base64's basic decoder: no whitespace or foreign characters; padding optional but exact. */
export function decodeBase64Strict(value: string): Buffer | undefined {
  const match = /^([A-Za-z0-9+/]*)(={0,2})$/.exec(value);
  if (!match) return undefined;
  const data = match[1]!.length;
  const pad = match[2]!.length;
  if (data % 4 === 1 || (pad > 0 && (data + pad) % 4 !== 0)) return undefined;
  return Buffer.from(value, 'base64');
}

/**
 * spray-json's PrettyPrinter, which upstream answers JSON with: objects one member a line with
 * two-space indents, arrays on one line joined by ', '.
 */
export function prettyJson(value: unknown, indent = 0): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  // Built by appending (no entries/map/join arrays): .json web replies print every result.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ', ') + prettyJson(value[i], indent);
    return `${out}]`;
  }
  const pad = spaces(indent + 2);
  let out = '{\n';
  let first = true;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    out += `${first ? '' : ',\n'}${pad}${JSON.stringify(key)}: ${prettyJson((value as Record<string, unknown>)[key], indent + 2)}`;
    first = false;
  }
  return `${out}\n${spaces(indent)}}`;
}

const PADS: string[] = [];
function spaces(count: number): string {
  return (PADS[count] ??= ' '.repeat(count));
}

// ---------------------------------------------------------------------------------------------
// Arguments

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

export const RESERVED_PROPERTIES: readonly string[] = ['__ow_method', '__ow_headers', '__ow_path', '__ow_user', '__ow_query', '__ow_body'];

/**
 * An opaque body as `__ow_body`: base64 when binary — and, for upstream's legacy, when
 * application/json — otherwise the UTF-8 text.
 */
function opaqueBody(body: Buffer, media: MediaType | undefined): string {
  return isBinaryMedia(media) || media?.type === 'application/json' ? body.toString('base64') : body.toString('utf8');
}

/**
 * The action's arguments: the request context (`__ow_method`, `__ow_headers`, `__ow_path`,
 * `__ow_user`) ⊕ query ⊕ body fields (body wins). A JSON object or form body merges; any other
 * JSON value is `__ow_body` as is, and any other body `__ow_body` as text or base64. With
 * raw-http, the query is `__ow_query` and the body `__ow_body`, both '' when absent, and nothing
 * is checked. Otherwise query or body fields may not name `__ow_*` or final parameters.
 */
export function webArguments(request: WebRequest, raw: boolean, finalParams: ReadonlySet<string>): WebArguments {
  const context: Record<string, unknown> = {
    __ow_method: request.method.toLowerCase(),
    __ow_headers: request.headers,
    __ow_path: request.path,
  };
  if (request.user !== undefined) context.__ow_user = request.user;
  const contentType = request.headers['content-type'];
  const media = contentType === undefined ? undefined : parseMediaType(contentType);
  // pekko: no body and no Content-Type is no entity at all; a Content-Type makes an empty one.
  const hasEntity = request.body.length > 0 || contentType !== undefined;

  if (raw) {
    return { ok: true, params: { ...context, __ow_query: request.query, __ow_body: hasEntity ? opaqueBody(request.body, media) : '' } };
  }

  const query: Record<string, string> = request.query === '' ? {} : Object.fromEntries(new URLSearchParams(request.query));
  let fields: Record<string, unknown> = {};
  let opaque: unknown;
  if (media !== undefined && isJsonFamily(media.type)) {
    if (request.body.length > 0) {
      let parsed: unknown;
      // Deeper JSON parses, but the action's input could then not be serialized (src/limits/json.ts).
      if (nestedDeeperThan(request.body)) return { ok: false, status: 400, message: WEB_MESSAGES.malformedJson };
      try {
        parsed = JSON.parse(request.body.toString('utf8'));
      } catch {
        return { ok: false, status: 400, message: WEB_MESSAGES.malformedJson };
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
      else opaque = parsed;
    }
  } else if (media?.type === 'application/x-www-form-urlencoded') {
    fields = Object.fromEntries(new URLSearchParams(request.body.toString('utf8')));
  } else if (hasEntity) {
    opaque = opaqueBody(request.body, media);
  }
  if (overridesReserved(query, finalParams) || overridesReserved(fields, finalParams)) return { ok: false, status: 400, message: MESSAGES.parametersNotAllowed };
  const params: Record<string, unknown> = { ...context, ...query, ...fields };
  if (opaque !== undefined) params.__ow_body = opaque;
  return { ok: true, params };
}

/** Whether `fields` names an `__ow_*` property or a final parameter. */
function overridesReserved(fields: Record<string, unknown>, finalParams: ReadonlySet<string>): boolean {
  for (const key in fields) if (Object.hasOwn(fields, key) && (RESERVED_PROPERTIES.includes(key) || finalParams.has(key))) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Projection

export interface WebResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

export type Projection = { ok: true; response: WebResponse } | { ok: false; status: number; message: string };

const fail = (status: number, message: string): Projection => ({ ok: false, status, message });
const invalidMedia = (type: string): Projection => fail(400, WEB_MESSAGES.invalidMedia(type));
const ok = (status: number, headers: Record<string, string | string[]>, body: string | Buffer): Projection => ({ ok: true, response: { status, headers, body } });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `fields.get(name)`: present even when null. */
function field(fields: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** Projects a result (or an application error's `error` value) onto the extension's HTTP response. */
export function projectResult(extension: WebExtension, result: unknown): Projection {
  switch (extension) {
    case '.json':
      if (typeof result === 'object' && result !== null) return ok(200, { 'content-type': 'application/json' }, prettyJson(result));
      return invalidMedia('application/json');
    case '.html':
      return markup(result, 'html', 'text/html; charset=UTF-8', 'text/html');
    case '.svg':
      return markup(result, 'svg', 'image/svg+xml', 'image/svg+xml');
    case '.text':
      return asText(result);
    case '.http':
      return asHttp(result);
  }
}

/** `.html`/`.svg`: an object's `body`, else its `html`/`svg`; any other result as is. It must be a string. */
function markup(result: unknown, name: string, contentType: string, media: string): Projection {
  let value = result;
  if (isPlainObject(result)) value = Object.hasOwn(result, 'body') ? result.body : Object.hasOwn(result, name) ? result[name] : null;
  if (typeof value !== 'string') return invalidMedia(media);
  return ok(200, { 'content-type': contentType }, value);
}

/** `.text`: an object's `body`, else its `text` (404 without either); any JSON value printed. */
function asText(result: unknown): Projection {
  let value: unknown = result;
  if (isPlainObject(result)) {
    if (Object.hasOwn(result, 'body')) value = result.body;
    else if (Object.hasOwn(result, 'text')) value = result.text;
    else return fail(404, WEB_MESSAGES.propertyNotFound);
  }
  const body = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? prettyJson(value) : String(value);
  return ok(200, { 'content-type': 'text/plain; charset=UTF-8' }, body);
}

function headerValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(headerValues);
  throw new Error('invalid header value');
}

/** Headers the HTTP layer writes itself: an action's own would corrupt the framing (pekko ignores them too). */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

/** Statuses whose responses carry no body. */
const NO_BODY = new Set([204, 205, 304]);

/** Java's Integer.parseInt followed by upstream's status check. */
function statusCode(code: unknown): number | undefined {
  let n: number;
  if (typeof code === 'number') n = code;
  else if (typeof code === 'string' && /^[+-]?\d{1,10}$/.test(code)) n = Number(code);
  else return undefined;
  // pekko accepts any code from 100 to 599, registered or not. A 1xx cannot end an exchange, so
  // unlike upstream (whose client would then wait forever) it is refused.
  return Number.isInteger(n) && n >= 200 && n <= 599 ? n : undefined;
}

/** `.http`: the result is {statusCode?, headers?, body?}. */
function asHttp(result: unknown): Projection {
  if (!isPlainObject(result)) return invalidMedia('message/http');
  const headers: Record<string, string | string[]> = {};
  let contentType: string | undefined;
  try {
    const given = field(result, 'headers');
    if (given !== undefined) {
      if (!isPlainObject(given)) throw new Error('headers');
      for (const [name, value] of Object.entries(given)) {
        if (!TOKEN.test(name)) throw new Error('header name');
        const values = headerValues(value);
        if (values.some((v) => /[\r\n\0]/.test(v))) throw new Error('header value');
        const lower = name.toLowerCase();
        if (lower === 'content-type') contentType ??= values[0];
        else if (values.length > 0 && !FRAMING_HEADERS.has(lower)) headers[name] = values.length === 1 ? values[0]! : values;
      }
    }
  } catch {
    return invalidMedia('message/http');
  }
  let status: number | undefined;
  const code = field(result, 'statusCode');
  if (code !== undefined) {
    status = statusCode(code);
    if (status === undefined) return invalidMedia('message/http');
  }
  const body = field(result, 'body');
  // An empty response drops the Content-Type: it would describe nothing.
  if (body === undefined || body === null || body === '') return ok(status ?? 204, headers, '');
  const projected = typeof body === 'string' ? httpText(body, contentType) : httpJson(body, contentType);
  if (!projected.ok) return projected;
  const final = status ?? 200;
  return ok(final, { ...headers, 'content-type': projected.contentType }, NO_BODY.has(final) ? '' : projected.body);
}

type Entity = { ok: true; contentType: string; body: string | Buffer } | { ok: false; status: number; message: string };

/** A string body: text as is (default text/html); binary types, and base64 for a JSON type, decoded. */
function httpText(body: string, contentType: string | undefined): Entity {
  const media = contentType === undefined ? parseMediaType('text/html') : parseMediaType(contentType);
  if (media === undefined) return { ok: false, status: 400, message: WEB_MESSAGES.httpUnknownContentType };
  let payload: string | Buffer = body;
  if (isBinaryMedia(media) || (isJsonFamily(media.type) && isBinaryCode(body))) {
    const decoded = decodeBase64Strict(body);
    if (decoded === undefined) return { ok: false, status: 400, message: WEB_MESSAGES.httpContentTypeError };
    payload = decoded;
  }
  return { ok: true, contentType: renderContentType(media), body: payload };
}

/** Any other JSON value: printed, under application/json or another JSON type. */
function httpJson(body: unknown, contentType: string | undefined): Entity {
  const media = contentType === undefined ? parseMediaType('application/json') : parseMediaType(contentType);
  if (media === undefined || !isJsonFamily(media.type)) return { ok: false, status: 400, message: WEB_MESSAGES.httpContentTypeError };
  return { ok: true, contentType: media.type, body: prettyJson(body) };
}
