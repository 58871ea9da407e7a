/**
 * The REST client: Node's fetch against `{apihost}/api/v1`, Basic auth, OpenWhisk's error bodies.
 * Nothing edgewhisk-specific, so the CLI works against any OpenWhisk.
 */
import { HttpError, NetworkError } from './errors.ts';
import type { ClientConfig } from './props.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export class WhiskClient {
  readonly config: ClientConfig;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly userAgent: string;
  private fetcher: Promise<Fetch> | undefined;

  constructor(config: ClientConfig, userAgent: string, trace?: (line: string) => void) {
    this.config = config;
    this.userAgent = userAgent;
    this.trace = trace;
  }

  /** `/namespaces/{ns}/{collection}/{parts…}`, each part URL-encoded; `ns` defaults to the configured one. */
  path(collection: string, parts: (string | undefined)[] = [], namespace = this.config.namespace): string {
    const tail = parts.filter((p): p is string => p !== undefined).map(encodeURIComponent);
    return ['', 'namespaces', encodeURIComponent(namespace), collection, ...tail].join('/');
  }

  /** Any status comes back; only an unreachable server throws. */
  async send(method: string, path: string, options: { query?: Query; body?: unknown; auth?: boolean; root?: boolean } = {}): Promise<Reply> {
    const url = new URL(`${this.config.apihost}${options.root ? '' : '/api/v1'}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (options.auth !== false) headers.authorization = `Basic ${Buffer.from(this.config.auth).toString('base64')}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    this.trace?.(`> ${method} ${url.href}${payload === undefined ? '' : ` (${Buffer.byteLength(payload)} bytes)`}`);
    let response: Response;
    try {
      const fetcher = await this.getFetch();
      response = await fetcher(url.href, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    } catch (error) {
      throw new NetworkError(unreachable(this.config.apihost, error));
    }
    const text = await response.text().catch(() => '');
    this.trace?.(`< ${response.status} ${response.statusText} in ${Math.round(performance.now() - started)} ms${text === '' ? '' : `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`}`);
    let body: unknown = text;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
    } else {
      body = undefined;
    }
    return { status: response.status, body, headers: response.headers };
  }

  /** The parsed body of a 2xx answer; anything else throws HttpError with the server's message. */
  async call<T = unknown>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const reply = await this.send(method, path, options);
    if (reply.status >= 400) throw httpError(reply);
    return reply.body as T;
  }

  private getFetch(): Promise<Fetch> {
    this.fetcher ??= (async (): Promise<Fetch> => {
      if (!this.config.insecure || !this.config.apihost.startsWith('https:')) return fetch;
      // -i: accept any certificate. undici's own fetch with an Agent that does not verify.
      const undici = await import('../egress/undici.ts');
      const dispatcher = new undici.Agent({ connect: { rejectUnauthorized: false } });
      return (url, init) => undici.fetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
    })();
    return this.fetcher;
  }
}

export function httpError(reply: Reply): HttpError {
  const body = reply.body as { error?: unknown; code?: unknown } | string | undefined;
  let message: string;
  let code: string | undefined;
  if (typeof body === 'object' && body !== null && typeof body.error === 'string') {
    message = body.error;
    if (typeof body.code === 'string' || typeof body.code === 'number') code = String(body.code);
  } else if (typeof body === 'object' && body !== null && typeof body.error === 'object' && body.error !== null) {
    // A failed activation's result, e.g. {error: {message}} from result=true.
    message = JSON.stringify(body.error);
  } else if (typeof body === 'string' && body.trim() !== '' && body.length < 200) {
    message = body.trim();
  } else {
    message = STATUS_TEXT[reply.status] ?? `the server answered ${reply.status}`;
  }
  return new HttpError(reply.status, message, code, reply.body);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request.',
  401: 'The supplied authentication is invalid.',
  403: 'The supplied authentication is not authorized to access this resource.',
  404: 'The requested resource does not exist.',
  405: 'Method not allowed.',
  409: 'Concurrent modification to resource detected.',
  413: 'The request content was too large.',
  429: 'Too many requests.',
  500: 'The server encountered an internal error.',
  502: 'Bad gateway.',
  503: 'The service is unavailable.',
};

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

function unreachable(apihost: string, error: unknown): string {
  let cause: unknown = (error as { cause?: unknown }).cause ?? error;
  // AggregateError (IPv4 and IPv6 both refused) carries the codes in its errors.
  const nested = (cause as { errors?: unknown[] }).errors;
  if (Array.isArray(nested) && nested.length > 0) cause = nested[0];
  const code = (cause as { code?: unknown }).code;
  const text = typeof code === 'string' ? code : '';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(text)) {
    return `cannot reach ${apihost}: the server's certificate is not trusted (${text}); use -i to accept it`;
  }
  const reason = CAUSES[text] ?? ((cause as Error).message || String(cause));
  return `cannot reach ${apihost}: ${reason}${text !== '' && CAUSES[text] ? ` (${text})` : ''}. Is the server running? Set it with --apihost or 'edgewhisk property set --apihost URL'.`;
}
