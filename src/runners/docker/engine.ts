/**
 * The Docker Engine API over its unix socket, with node:http and a pinned API version: the few
 * calls the container runner and the image builder need. No client library (dockerode would bring
 * grpc-js, protobufjs, ssh2 and tar-fs for a dozen endpoints).
 */
import type { Agent, IncomingMessage } from 'node:http';
import { newAgent, request } from '../../node-http.ts';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** Docker 20.10 (Debian 12's docker.io) speaks 1.41; newer engines still accept it. */
export const API_VERSION = 'v1.41';
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** The engine cannot be reached at all (no socket, refused, no permission). */
export class EngineUnavailable extends Error {}

/** The engine answered with an error status. */
export class EngineError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The socket path of a `unix://` DOCKER_HOST; other schemes are not supported. */
export function socketPath(dockerHost: string): string {
  if (dockerHost.startsWith('unix://')) return dockerHost.slice('unix://'.length);
  if (dockerHost.startsWith('/')) return dockerHost;
  throw new Error(`'${dockerHost}' is not a unix:// socket (only the local engine's socket is supported)`);
}

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK']);

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
}

export interface ContainerState {
  Running: boolean;
  Paused: boolean;
  OOMKilled: boolean;
  ExitCode: number;
}

export interface ContainerDetails {
  Id: string;
  State: ContainerState;
  NetworkSettings: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
}

interface CallOptions {
  body?: unknown;
  /** A stream sent as the request body (image import, build context). */
  stream?: Readable;
  contentType?: string;
  timeoutMs?: number;
}

export class DockerEngine {
  readonly socketPath: string;
  /** Made with the first call: a server that never reaches an engine does not load node:http. */
  private agent: Agent | undefined;

  constructor(dockerHost: string) {
    this.socketPath = socketPath(dockerHost);
  }

  /** One API call; the parsed JSON answer (or the text when it is not JSON). Throws on status ≥ 400. */
  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const { status, text } = await this.raw(method, path, options);
    if (status >= 400) throw new EngineError(status, engineMessage(text, status));
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  private raw(method: string, path: string, options: CallOptions): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      let payload: string | undefined;
      if (options.body !== undefined) {
        payload = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(payload));
      } else if (options.stream) {
        headers['content-type'] = options.contentType ?? 'application/x-tar';
      }
      const req = request({ socketPath: this.socketPath, agent: (this.agent ??= newAgent({ keepAlive: true, maxSockets: 64 })), method, path: `/${API_VERSION}${path}`, headers }, (res) => {
        readAll(res).then((text) => resolve({ status: res.statusCode ?? 0, text }), reject);
      });
      if (options.timeoutMs !== undefined) {
        req.setTimeout(options.timeoutMs, () => req.destroy(new EngineError(504, `engine call ${method} ${path} timed out after ${options.timeoutMs} ms`)));
      }
      req.on('error', (error: NodeJS.ErrnoException) => reject(wrapError(error)));
      if (options.stream) {
        options.stream.on('error', (error) => req.destroy(error));
        options.stream.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  async ping(): Promise<void> {
    await this.call('GET', '/_ping', { timeoutMs: 5_000 });
  }

  async version(): Promise<{ Version: string; ApiVersion: string }> {
    return this.call('GET', '/version', { timeoutMs: 5_000 });
  }

  async createContainer(name: string, spec: unknown): Promise<string> {
    const created = await this.call<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, { body: spec, timeoutMs: 60_000 });
    return created.Id;
  }

  async start(id: string): Promise<void> {
    await this.call('POST', `/containers/${id}/start`, { timeoutMs: 60_000 });
  }

  async inspect(id: string): Promise<ContainerDetails> {
    return this.call('GET', `/containers/${id}/json`, { timeoutMs: 30_000 });
  }

  /** Changes a running container's memory limit (swap kept equal: no swap). */
  async setMemory(id: string, bytes: number): Promise<void> {
    await this.call('POST', `/containers/${id}/update`, { body: { Memory: bytes, MemorySwap: bytes }, timeoutMs: 30_000 });
  }

  async pause(id: string): Promise<void> {
    await this.call('POST', `/containers/${id}/pause`, { timeoutMs: 30_000 });
  }

  async unpause(id: string): Promise<void> {
    await this.call('POST', `/containers/${id}/unpause`, { timeoutMs: 30_000 });
  }

  /** Kills (if running) and removes a container with its anonymous volumes; a missing one is fine. */
  async remove(id: string): Promise<void> {
    try {
      await this.call('DELETE', `/containers/${id}?force=true&v=true`, { timeoutMs: 60_000 });
    } catch (error) {
      if (error instanceof EngineError && error.status === 404) return;
      // 409 "removal already in progress": someone else is removing it.
      if (error instanceof EngineError && error.status === 409 && /already in progress/i.test(error.message)) return;
      throw error;
    }
  }

  /** All containers (running or not) carrying the label `key` (with `value` when given). */
  async list(label: string): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    return this.call('GET', `/containers/json?all=true&filters=${filters}`, { timeoutMs: 30_000 });
  }

  /**
   * Attaches to a container's stdout and stderr (before it starts, so nothing is missed). The
   * socket carries Docker's multiplexed stream: 8-byte frame headers, then the bytes.
   */
  attach(id: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        agent: false,
        method: 'POST',
        path: `/${API_VERSION}/containers/${id}/attach?stream=1&stdout=1&stderr=1`,
        headers: { connection: 'Upgrade', upgrade: 'tcp' },
      });
      req.on('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        readAll(res).then((text) => reject(new EngineError(res.statusCode ?? 0, engineMessage(text, res.statusCode ?? 0))), reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => reject(wrapError(error)));
      req.end();
    });
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.call('GET', `/images/${encodeURIComponent(ref)}/json`, { timeoutMs: 30_000 });
      return true;
    } catch (error) {
      if (error instanceof EngineError && error.status === 404) return false;
      throw error;
    }
  }

  async imageLabels(ref: string): Promise<Record<string, string> | undefined> {
    try {
      const image = await this.call<{ Config?: { Labels?: Record<string, string> | null } }>('GET', `/images/${encodeURIComponent(ref)}/json`, { timeoutMs: 30_000 });
      return image.Config?.Labels ?? {};
    } catch (error) {
      if (error instanceof EngineError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Pulls an image; the engine reports failures inside its progress stream, which is read to the end. */
  async pull(ref: string, timeoutMs: number): Promise<void> {
    const { repo, tag } = splitRef(ref);
    const text = await this.call<unknown>('POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`, { timeoutMs });
    const failure = streamError(text);
    if (failure !== undefined) throw new EngineError(500, failure);
  }

  /** `docker import`: a root file system as a tar stream becomes image `ref`, with Dockerfile `changes`. */
  async importImage(tar: Readable, ref: string, changes: string[], timeoutMs: number): Promise<void> {
    const { repo, tag } = splitRef(ref);
    const query = [`fromSrc=-`, `repo=${encodeURIComponent(repo)}`, `tag=${encodeURIComponent(tag)}`, ...changes.map((c) => `changes=${encodeURIComponent(c)}`)];
    const text = await this.call<unknown>('POST', `/images/create?${query.join('&')}`, { stream: tar, timeoutMs });
    const failure = streamError(text);
    if (failure !== undefined) throw new EngineError(500, failure);
  }

  /** `docker build` of a tar context holding a Dockerfile. */
  async build(context: Readable, ref: string, labels: Record<string, string>, timeoutMs: number): Promise<void> {
    const query = `t=${encodeURIComponent(ref)}&rm=true&forcerm=true&labels=${encodeURIComponent(JSON.stringify(labels))}`;
    const text = await this.call<unknown>('POST', `/build?${query}`, { stream: context, timeoutMs });
    const failure = streamError(text);
    if (failure !== undefined) throw new EngineError(500, failure);
  }

  close(): void {
    this.agent?.destroy();
  }
}

export function splitRef(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/** Progress streams are JSON objects one after another; the first `error` is the failure. */
function streamError(text: unknown): string | undefined {
  if (typeof text === 'object' && text !== null) return typeof (text as { error?: unknown }).error === 'string' ? (text as { error: string }).error : undefined;
  if (typeof text !== 'string') return undefined;
  for (const line of text.split(/\r?\n/)) {
    if (!line.includes('"error"')) continue;
    try {
      const parsed = JSON.parse(line) as { error?: unknown };
      if (typeof parsed.error === 'string') return parsed.error;
    } catch {
      // not one object per line: fall through
    }
  }
  return undefined;
}

function engineMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // plain text
  }
  return text.trim() || `engine answered ${status}`;
}

function wrapError(error: NodeJS.ErrnoException): Error {
  if (error instanceof EngineError) return error;
  if (error.code !== undefined && UNREACHABLE.has(error.code)) return new EngineUnavailable(`container engine unreachable: ${error.message}`);
  return error;
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
