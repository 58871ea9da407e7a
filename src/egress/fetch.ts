/**
 * The one way out of the server for action code: HTTP requests an action makes with fetch() are
 * performed here, by undici (the fetch implementation Node itself ships), under the egress policy.
 *
 * The policy is applied at two points so neither a URL nor DNS can route around it: to every URL
 * (the first and each redirect, followed here one hop at a time) and, through the connection's
 * `lookup`, to every address a host name resolves to when the socket is opened. Response bodies are
 * read up to a size cap; the caller's AbortSignal (the activation ending) stops everything.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Agent, fetch as undiciFetch } from 'undici';
import { compilePolicy, type EgressPolicy } from './policy.ts';

export interface EgressOptions {
  /** Deny-list entries: host names, IP addresses, CIDR ranges (see policy.ts). */
  deny: readonly string[];
  /** Largest response body handed to an action. */
  maxResponseBytes: number;
}

export interface OutboundRequest {
  url: string;
  method: string;
  /** Header pairs, in order. */
  headers: [string, string][];
  body: Uint8Array | null;
  redirect: 'follow' | 'manual' | 'error';
}

export interface InboundResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  url: string;
  redirected: boolean;
  body: Uint8Array;
}

/** A failure the action sees as fetch's TypeError. */
export class FetchError extends Error {}

const MAX_REDIRECTS = 20;

/** undici's fetch and the agent that applies the policy to every address a connection resolves. */
interface Client {
  agent: Agent;
  fetch: typeof undiciFetch;
}

export class Egress {
  readonly policy: EgressPolicy;
  readonly maxResponseBytes: number;
  private readonly lookup: LookupFunction;
  /**
   * undici loads at the first fetch an action makes: it is over a hundred modules, a large part
   * of an isolate worker's start-up, and many actions never fetch.
   */
  private client: Promise<Client> | undefined;

  constructor(options: EgressOptions) {
    this.policy = compilePolicy(options.deny);
    this.maxResponseBytes = options.maxResponseBytes;
    const policy = this.policy;
    this.lookup = (hostname, lookupOptions, callback) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 0);
        for (const { address } of addresses) {
          const denied = policy.checkAddress(address);
          if (denied) {
            const refusal = Object.assign(new Error(`${hostname} resolves to ${denied}`), { code: 'EGRESS_DENIED' });
            return callback(refusal, '', 0);
          }
        }
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (lookupOptions.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        else callback(null, first.address, first.family);
      });
    };
  }

  private undici(): Promise<Client> {
    this.client ??= import('./undici.ts').then(({ Agent, fetch }) => ({ agent: new Agent({ connect: { lookup: this.lookup }, keepAliveTimeout: 4_000 }), fetch }));
    return this.client;
  }

  async fetch(request: OutboundRequest, signal: AbortSignal): Promise<InboundResponse> {
    let { url, method, body } = request;
    let headers = request.headers;
    let redirected = false;
    for (let hop = 0; ; hop++) {
      const target = this.check(url);
      const { agent, fetch } = await this.undici();
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(target, { method, headers, body, redirect: 'manual', signal, dispatcher: agent });
      } catch (error) {
        throw describeFailure(error, signal);
      }
      const location = response.headers.get('location');
      if (request.redirect === 'manual' || location === null || ![301, 302, 303, 307, 308].includes(response.status)) {
        const bytes = await this.read(response, signal);
        return {
          status: response.status,
          statusText: response.statusText,
          headers: headerPairs(response.headers),
          url: target.href,
          redirected,
          body: bytes,
        };
      }
      await response.body?.cancel().catch(() => undefined);
      if (request.redirect === 'error') throw new FetchError(`fetch failed: redirect to ${location} refused (redirect: "error")`);
      if (hop >= MAX_REDIRECTS) throw new FetchError('fetch failed: too many redirects');
      const next = new URL(location, target);
      // The fetch standard's redirect rules: 303 (and 301/302 after POST) become GET without a body;
      // credentials do not follow a redirect to another origin.
      if (response.status === 303 ? method !== 'HEAD' : (response.status === 301 || response.status === 302) && method === 'POST') {
        method = 'GET';
        body = null;
        headers = headers.filter(([name]) => !/^content-(type|length|encoding|language|location)$/i.test(name));
      }
      if (next.origin !== target.origin) headers = headers.filter(([name]) => !/^(authorization|cookie|proxy-authorization)$/i.test(name));
      url = next.href;
      redirected = true;
    }
  }

  /** Stops every request still in flight (the server is shutting down; activations are over). */
  async close(): Promise<void> {
    if (this.client) await (await this.client).agent.destroy();
  }

  private check(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new FetchError(`fetch failed: invalid URL '${url.length > 200 ? `${url.slice(0, 200)}…` : url}'`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new FetchError(`fetch failed: the URL scheme '${parsed.protocol}' is not supported (http: and https: are)`);
    }
    const denied = this.policy.checkHost(parsed.hostname);
    if (denied) throw new FetchError(`fetch failed: ${denied}`);
    return parsed;
  }

  private async read(response: Awaited<ReturnType<typeof undiciFetch>>, signal: AbortSignal): Promise<Uint8Array> {
    const cap = this.maxResponseBytes;
    const declared = Number(response.headers.get('content-length') ?? NaN);
    const tooLarge = (): FetchError => new FetchError(`fetch failed: the response body exceeds the limit of ${cap} bytes`);
    if (declared > cap) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (!response.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > cap) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof FetchError) throw error;
      throw describeFailure(error, signal);
    }
    return Buffer.concat(chunks, total);
  }
}

function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of headers) if (name !== 'set-cookie') pairs.push([name, value]);
  for (const cookie of headers.getSetCookie()) pairs.push(['set-cookie', cookie]);
  return pairs;
}

function describeFailure(error: unknown, signal: AbortSignal): FetchError {
  if (signal.aborted) return new FetchError('fetch failed: the activation ended');
  const cause = (error as { cause?: unknown })?.cause;
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return new FetchError(`fetch failed: ${detail}`);
}
