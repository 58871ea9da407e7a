/**
 * OpenWhisk's action-runtime protocol, client side: POST /init once, POST /run per activation, to
 * a runtime proxy listening on :8080 (any OpenWhisk runtime image, or our Python proxy as a local
 * process). Builds the bodies the invoker sends and reads the answers as upstream's invoker does
 * (ActivationResponse.processInitResponseContent / processRunResponseContent). No Docker here.
 */
import type { Agent } from 'node:http';
import { newAgent, request } from '../../node-http.ts';
import type { StatusCode } from '../../openwhisk/activation.ts';
import { MESSAGES } from '../../errors.ts';

export interface ProxyAddress {
  host: string;
  port: number;
}

export interface ProxyReply {
  status: number;
  /** The body as text, up to `maxBytes` of it. */
  body: string;
  /** The body's full size in bytes (also beyond `maxBytes`). */
  size: number;
}

/** Why a call got no answer: `refused` (nothing listens yet), `timeout`, or `lost` (the connection broke). */
export class ProxyCallError extends Error {
  readonly reason: 'refused' | 'timeout' | 'lost';
  constructor(reason: 'refused' | 'timeout' | 'lost', message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface CallOptions {
  /** Answers larger than this are counted but not kept. */
  maxBytes?: number;
  /** Ends the call: abort with reason TIMED_OUT for a time limit, any other reason when the container is lost. */
  signal?: AbortSignal;
}

/** The abort reason that makes a call end as a `timeout`. */
export const TIMED_OUT = 'timeout';

/** Upstream's wording (Messages.scala). */
export const PROTOCOL_MESSAGES = {
  abnormalInitialization: 'The action did not initialize and exited unexpectedly.',
  abnormalRun: 'The action did not produce a valid response and exited unexpectedly.',
  timedOutInit: (ms: number) => `The action exceeded its time limits of ${ms} milliseconds during initialization.`,
  invalidInitResponse: (body: string) => `The action failed during initialization${body === '' ? '.' : `: ${body}`}`,
  invalidRunResponse: (body: string) => `The action did not produce a valid JSON response${body === '' ? '.' : `: ${body}`}`,
} as const;

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RETRY_MS = 2;

/** One runtime proxy: a keep-alive connection, one call at a time (concurrency 1 per container). */
export class ActionProxyClient {
  readonly address: ProxyAddress;
  private readonly agent: Agent = newAgent({ keepAlive: true, maxSockets: 1 });

  constructor(address: ProxyAddress) {
    this.address = address;
  }

  /**
   * Waits until the proxy accepts connections (a runtime needs a moment to start listening),
   * retrying refused connections until `deadline` (epoch ms). Throws ProxyCallError `refused`.
   */
  async ready(deadline: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw abortError(signal, '/init');
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        // node:net is taken here, as node:http is (node-http.ts): only servers that run containers need it.
        const socket = process.getBuiltinModule('node:net').connect({ host: this.address.host, port: this.address.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e));
      });
      if (error === undefined) return;
      if (!(error.code !== undefined && REFUSED.has(error.code)) || Date.now() + RETRY_MS >= deadline) {
        throw new ProxyCallError('refused', `nothing listens at ${this.address.host}:${this.address.port}: ${error.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  post(path: string, payload: string, options: CallOptions = {}): Promise<ProxyReply> {
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    const { signal } = options;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (error: ProxyCallError): void => {
        if (!finish()) return;
        req.destroy();
        reject(error);
      };
      const onAbort = (): void => fail(abortError(signal!, path));
      const req = request(
        {
          host: this.address.host,
          port: this.address.port,
          method: 'POST',
          path,
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (kept <= maxBytes) {
              chunks.push(chunk);
              kept += chunk.length;
            }
          });
          res.on('end', () => {
            if (finish()) resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), size });
          });
          res.on('error', () => fail(new ProxyCallError('lost', `${path}: the answer broke off`)));
        },
      );
      req.on('socket', (socket) => socket.setNoDelay(true));
      req.on('error', (error: NodeJS.ErrnoException) => {
        const refused = error.code !== undefined && REFUSED.has(error.code) && !req.reusedSocket;
        fail(new ProxyCallError(refused ? 'refused' : 'lost', `${path}: ${error.message}`));
      });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function abortError(signal: AbortSignal, path: string): ProxyCallError {
  return signal.reason === TIMED_OUT ? new ProxyCallError('timeout', `${path}: timed out`) : new ProxyCallError('lost', `${path}: ${String(signal.reason)}`);
}

export interface InitInput {
  /** The action's short name. */
  name: string;
  main: string;
  code: string;
  binary: boolean;
  /** What the action's process environment gets: the activation's __OW_* values and init parameters. */
  env: Record<string, string>;
}

export function initBody(input: InitInput): string {
  return JSON.stringify({ value: { name: input.name, main: input.main, code: input.code, binary: input.binary, env: input.env } });
}

/**
 * The /run body: `value` (the parameters) and the activation's context as lower-case fields
 * (namespace, action_name, action_version, activation_id, transaction_id, deadline, api_key),
 * from the __OW_* environment the invoker computed. __OW_API_HOST is the container's environment.
 */
export function runBody(params: Record<string, unknown>, env: Record<string, string>): string {
  const body: Record<string, unknown> = { value: params };
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('__OW_') || key === '__OW_API_HOST') continue;
    body[key.slice(5).toLowerCase()] = value;
  }
  return JSON.stringify(body);
}

export interface Outcome {
  statusCode: StatusCode;
  result: unknown;
}

/** Undefined when /init succeeded; otherwise the developer error it amounts to. */
export function initOutcome(reply: ProxyReply): Outcome | undefined {
  if (reply.status >= 200 && reply.status < 300) return undefined;
  const parsed = parseJson(reply.body);
  if (isObject(parsed) && 'error' in parsed) return { statusCode: 2, result: parsed };
  return { statusCode: 2, result: { error: PROTOCOL_MESSAGES.invalidInitResponse(reply.body.trim()) } };
}

/**
 * A /run answer as an activation outcome: 200 with an object is success (application error when it
 * has an `error` field), 200 with an array is success; an error object with another status is a
 * developer error carrying it; anything else, or too large, is a developer error.
 */
export function runOutcome(reply: ProxyReply, maxResultBytes: number): Outcome {
  if (reply.size > maxResultBytes) {
    return { statusCode: 2, result: { error: MESSAGES.responseTooLarge(reply.size, maxResultBytes) } };
  }
  const parsed = parseJson(reply.body);
  const ok = reply.status >= 200 && reply.status < 300;
  if (ok && isObject(parsed)) return { statusCode: 'error' in parsed ? 1 : 0, result: parsed };
  if (ok && Array.isArray(parsed)) return { statusCode: 0, result: parsed };
  if (!ok && isObject(parsed) && 'error' in parsed) return { statusCode: 2, result: parsed };
  return { statusCode: 2, result: { error: PROTOCOL_MESSAGES.invalidRunResponse(reply.body.trim()) } };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
