/**
 * The host side of everything an activation asks for that takes time: timers, fetch and API calls.
 * One broker per isolate instance; it serves one scope (init or one activation) at a time.
 *
 * Requests arrive through an `ignored` callback, so they run on the event loop after the isolate
 * call that made them has returned: a fast-path call that overruns and is re-run elsewhere has had
 * no effect. Each request names its scope; one that is not the broker's open scope is dropped, and
 * ending a scope cancels its timers, aborts its fetches and forgets its API calls — nothing pending
 * survives into the next activation. Answers go back through `deliver` (an async call into the
 * isolate, under the activation's deadline), and only while their scope is still open.
 *
 * Every argument is validated here as hostile input.
 */
import type { Egress, InboundResponse, OutboundRequest } from '../../egress/fetch.ts';
import type { ApiCall, ApiCaller } from './api.ts';

export interface BrokerDeps {
  egress: Egress;
  api: ApiCaller | undefined;
  /** Calls into the isolate: status 0 resolves the request with (a, b), 1 rejects it with message a. */
  deliver(scope: number, id: number, status: 0 | 1, a: unknown, b: unknown): Promise<void>;
}

/** Who an activation acts as when it calls the OpenWhisk API (the call's context, read lazily). */
export interface Identity {
  /** Absent when the activation may not act as its caller (see runner.ts callerApiKey). */
  apiKey?: string | undefined;
  env: Readonly<Record<string, string>>;
}

const NOBODY: Identity = { apiKey: undefined, env: {} };

export const LIMITS = {
  timers: 10_000,
  fetches: 64,
  apiCalls: 64,
  urlChars: 64 * 1024,
  headerPairs: 512,
  headerBytes: 256 * 1024,
  requestBodyBytes: 64 * 1024 * 1024,
  apiPathChars: 4096,
  apiQueryChars: 8192,
  apiBodyChars: 2 * 1024 * 1024,
  apiKeyChars: 512,
} as const;

const TIMEOUT_MAX = 2 ** 31 - 1;
/** A batch of timer requests is at most 1024 of them (prelude.js TIMER_BATCH), each well under 100 characters. */
const MAX_TIMER_BATCH_CHARS = 1024 * 100;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/;
const API_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);
const NO_API = 'This activation may not call the OpenWhisk API as its caller: the action is not annotated provide-api-key and was invoked from another namespace. Pass { api_key } to openwhisk() to use a key of your own.';

interface Timer {
  handle: NodeJS.Timeout;
  delay: number;
  repeat: boolean;
}

export class HostBroker {
  private readonly deps: BrokerDeps;
  private scope = 0;
  private open = false;
  private identity: Identity = NOBODY;
  private readonly timers = new Map<number, Timer>();
  private readonly fetches = new Map<number, AbortController>();
  private readonly apiCalls = new Set<number>();

  constructor(deps: BrokerDeps) {
    this.deps = deps;
  }

  /** Opens `scope`, ending whatever was open. */
  begin(scope: number, identity: Identity): void {
    this.end();
    this.scope = scope;
    this.identity = identity;
    this.open = true;
  }

  /** Ends the open scope: nothing it started will run or answer. Cheap when nothing is pending. */
  end(): void {
    this.open = false;
    this.identity = NOBODY;
    if (this.timers.size > 0) {
      for (const timer of this.timers.values()) clearTimeout(timer.handle);
      this.timers.clear();
    }
    if (this.fetches.size > 0) {
      for (const controller of this.fetches.values()) controller.abort();
      this.fetches.clear();
    }
    if (this.apiCalls.size > 0) this.apiCalls.clear();
  }

  /** Pending host operations of the open scope (for tests and stats). */
  pending(): number {
    return this.timers.size + this.fetches.size + this.apiCalls.size;
  }

  /** The `ignored` callback's body: (op, scope, id, a, b) from the isolate, all untrusted. */
  request(op: unknown, scope: unknown, id: unknown, a: unknown, b: unknown): void {
    // A batch names the scope of each of its requests.
    if (op === 'timers') return this.timerBatch(a);
    if (!this.open || scope !== this.scope) return;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return;
    switch (op) {
      case 'clear':
        this.cancel(id);
        return;
      case 'fetch':
        this.fetch(id, a, b);
        return;
      case 'api':
        this.api(id, a);
        return;
      default:
        return;
    }
  }

  private live(scope: number): boolean {
    return this.open && this.scope === scope;
  }

  private fail(id: number, message: string): void {
    const scope = this.scope;
    // Answer on a later turn, like every other answer.
    setImmediate(() => {
      if (this.live(scope)) void this.deps.deliver(scope, id, 1, message, null);
    });
  }

  /**
   * Timer requests as the isolate batches them (prelude.js timerRequest): `t,scope,id,delay,repeat,at;`
   * sets or re-arms a timer asked for at `at` (epoch ms), `c,scope,id;` clears one. Each is taken
   * only for the open scope, like any request.
   */
  private timerBatch(text: unknown): void {
    if (typeof text !== 'string' || text.length > MAX_TIMER_BATCH_CHARS) return;
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf(';', start);
      if (end < 0) end = text.length;
      const [kind, scope, id, delay, repeat, at] = text.slice(start, end).split(',');
      start = end + 1;
      const opId = Number(id);
      if (!this.open || Number(scope) !== this.scope || !Number.isSafeInteger(opId) || opId <= 0) continue;
      if (kind === 'c') this.cancel(opId);
      else if (kind === 't') this.timer(opId, Number(delay), repeat === '1', Number(at));
    }
  }

  /** `requestedAt`: when the isolate asked (epoch ms); the first wait is the delay less the time since. */
  private timer(id: number, delay: number, repeat: boolean, requestedAt: number): void {
    const existing = this.timers.get(id);
    if (existing) clearTimeout(existing.handle);
    else if (this.timers.size >= LIMITS.timers) return;
    const ms = delay >= 0 && delay <= TIMEOUT_MAX ? delay : 1;
    const timer: Timer = { handle: undefined as unknown as NodeJS.Timeout, delay: ms, repeat };
    // A request time not in the past (or not a number) counts as now.
    const since = Date.now() - requestedAt;
    this.arm(id, timer, this.scope, since > 0 ? Math.max(0, ms - since) : ms);
    this.timers.set(id, timer);
  }

  private arm(id: number, timer: Timer, scope: number, wait = timer.delay): void {
    timer.handle = setTimeout(() => {
      if (!this.live(scope) || this.timers.get(id) !== timer) return;
      if (!timer.repeat) this.timers.delete(id);
      const fired = this.deps.deliver(scope, id, 0, null, null);
      // An interval is re-armed once its callback has run, so slow callbacks never pile up.
      if (timer.repeat) {
        void fired.then(() => {
          if (this.live(scope) && this.timers.get(id) === timer) this.arm(id, timer, scope);
        });
      }
    }, wait);
  }

  private cancel(id: number): void {
    const timer = this.timers.get(id);
    if (timer) {
      clearTimeout(timer.handle);
      this.timers.delete(id);
    }
    const controller = this.fetches.get(id);
    if (controller) {
      controller.abort();
      this.fetches.delete(id);
    }
    this.apiCalls.delete(id);
  }

  private fetch(id: number, description: unknown, body: unknown): void {
    if (this.fetches.has(id) || this.apiCalls.has(id)) return;
    if (this.fetches.size >= LIMITS.fetches) return this.fail(id, `fetch failed: an activation may have at most ${LIMITS.fetches} requests in flight`);
    const request = outboundRequest(description, body);
    if (typeof request === 'string') return this.fail(id, `fetch failed: ${request}`);
    const scope = this.scope;
    const controller = new AbortController();
    this.fetches.set(id, controller);
    this.deps.egress.fetch(request, controller.signal).then(
      (response: InboundResponse) => {
        if (!this.live(scope) || this.fetches.get(id) !== controller) return;
        this.fetches.delete(id);
        const { body: bytes, ...meta } = response;
        void this.deps.deliver(scope, id, 0, meta, bytes);
      },
      (error: unknown) => {
        if (!this.live(scope) || this.fetches.get(id) !== controller) return;
        this.fetches.delete(id);
        void this.deps.deliver(scope, id, 1, error instanceof Error ? error.message : 'fetch failed', null);
      },
    );
  }

  private api(id: number, description: unknown): void {
    if (this.fetches.has(id) || this.apiCalls.has(id)) return;
    const api = this.deps.api;
    if (api === undefined) return this.fail(id, 'The OpenWhisk API is not available in this runtime.');
    if (this.apiCalls.size >= LIMITS.apiCalls) return this.fail(id, `an activation may have at most ${LIMITS.apiCalls} API calls in flight`);
    const call = apiCall(description, this.identity);
    if (typeof call === 'string') return this.fail(id, call);
    const scope = this.scope;
    this.apiCalls.add(id);
    api(call).then(
      (answer) => {
        if (!this.live(scope) || !this.apiCalls.delete(id)) return;
        void this.deps.deliver(scope, id, 0, { status: answer.status, body: answer.body }, null);
      },
      (error: unknown) => {
        if (!this.live(scope) || !this.apiCalls.delete(id)) return;
        void this.deps.deliver(scope, id, 1, error instanceof Error ? error.message : 'The API call failed', null);
      },
    );
  }
}

/** A fetch description from the isolate, checked; a string says what is wrong with it. */
export function outboundRequest(description: unknown, body: unknown): OutboundRequest | string {
  if (typeof description !== 'object' || description === null || Array.isArray(description)) return 'malformed request';
  const { url, method, headers, redirect } = description as Record<string, unknown>;
  if (typeof url !== 'string' || url.length === 0 || url.length > LIMITS.urlChars) return `the URL must be a string of 1 to ${LIMITS.urlChars} characters`;
  if (typeof method !== 'string' || !METHOD.test(method)) return 'invalid method';
  if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') return 'invalid redirect mode';
  if (!Array.isArray(headers) || headers.length > LIMITS.headerPairs) return `at most ${LIMITS.headerPairs} headers are allowed`;
  const pairs: [string, string][] = [];
  let size = 0;
  for (const pair of headers as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return 'malformed headers';
    size += pair[0].length + pair[1].length;
    if (size > LIMITS.headerBytes) return `headers larger than ${LIMITS.headerBytes} bytes`;
    pairs.push([pair[0], pair[1]]);
  }
  if (body !== null && !(body instanceof Uint8Array)) return 'malformed body';
  if (body instanceof Uint8Array && body.byteLength > LIMITS.requestBodyBytes) return `request bodies are limited to ${LIMITS.requestBodyBytes} bytes`;
  return { url, method, headers: pairs, body: body as Uint8Array | null, redirect };
}

/** An API call description from the isolate, checked, with the identity it acts as. */
export function apiCall(description: unknown, identity: Identity): ApiCall | string {
  if (typeof description !== 'object' || description === null || Array.isArray(description)) return 'malformed API request';
  const { method, path, query, body, key } = description as Record<string, unknown>;
  if (typeof method !== 'string' || !API_METHODS.has(method)) return 'invalid API method';
  if (typeof path !== 'string' || path.length > LIMITS.apiPathChars || !/^\/api\/v1\/[\x21-\x7e]*$/.test(path) || /\/\/|\/\.\.?(?:\/|$)/.test(path)) {
    return 'invalid API path';
  }
  if (typeof query !== 'string' || query.length > LIMITS.apiQueryChars || !/^[\x21-\x7e]*$/.test(query)) return 'invalid API query';
  if (body !== null && (typeof body !== 'string' || body.length > LIMITS.apiBodyChars)) return 'invalid API body';
  let authKey = identity.apiKey;
  if (key !== null && key !== undefined) {
    if (typeof key !== 'string' || key.length === 0 || key.length > LIMITS.apiKeyChars || !/^[\x21-\x7e]+$/.test(key)) return 'invalid api_key';
    authKey = key;
  }
  if (authKey === undefined) return NO_API;
  return { method: method as ApiCall['method'], path, query, body: body as string | null, authKey, transactionId: identity.env.__OW_TRANSACTION_ID };
}
