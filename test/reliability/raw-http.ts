/**
 * A raw HTTP/1.1 client over keep-alive sockets: requests go out exactly as written (odd methods,
 * undecoded paths, any header bytes), which fetch() would refuse or normalize.
 */
import { connect, type Socket } from 'node:net';

export interface RawRequest {
  method: string;
  /** Sent as is (already percent-encoded where it should be). */
  target: string;
  headers: [string, string][];
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The server closed the connection after this answer (or instead of one). */
  closed: boolean;
}

interface Pending {
  request: RawRequest;
  resolve: (response: RawResponse) => void;
  reject: (error: Error) => void;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** One connection; requests are sent one at a time (no pipelining). */
class Connection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private current: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly port: number;
  private readonly host: string;
  private readonly timeoutMs: number;

  constructor(port: number, host: string, timeoutMs: number) {
    this.port = port;
    this.host = host;
    this.timeoutMs = timeoutMs;
  }

  send(pending: Pending): void {
    this.current = pending;
    this.buffer = Buffer.alloc(0);
    const socket = this.open();
    const { method, target, headers, body } = pending.request;
    const lines = [`${method} ${target} HTTP/1.1`, `host: ${this.host}:${this.port}`, ...headers.map(([k, v]) => `${k}: ${v}`)];
    if (body !== undefined) lines.push(`content-length: ${body.length}`);
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    socket.write(body ? Buffer.concat([head, body]) : head);
    this.timer = setTimeout(() => this.fail(new Error(`no answer within ${this.timeoutMs} ms: ${method} ${target.slice(0, 200)}`)), this.timeoutMs);
  }

  close(): void {
    this.socket?.destroy();
  }

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse(false);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.parse(true);
    });
    socket.on('error', () => undefined);
    this.socket = socket;
    return socket;
  }

  private parse(ended: boolean): void {
    const pending = this.current;
    if (!pending) return;
    const end = this.buffer.indexOf(HEAD_END);
    if (end < 0) {
      if (ended) this.fail(new Error(`connection closed without an answer: ${pending.request.method} ${pending.request.target.slice(0, 200)}`));
      return;
    }
    const [statusLine, ...headerLines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const closing = (headers.connection ?? '').toLowerCase() === 'close';
    let body: Buffer;
    if (pending.request.method === 'HEAD' || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (this.buffer.length - end - 4 < length) return;
      body = this.buffer.subarray(end + 4, end + 4 + length);
    } else if (closing || ended) {
      if (!ended) return;
      body = this.buffer.subarray(end + 4);
    } else body = Buffer.alloc(0);
    clearTimeout(this.timer);
    this.current = undefined;
    if (closing) this.close();
    pending.resolve({ status, headers, body, closed: closing || ended });
  }

  private fail(error: Error): void {
    const pending = this.current;
    clearTimeout(this.timer);
    this.current = undefined;
    this.close();
    pending?.reject(error);
  }
}

/** A small pool of keep-alive connections; `send` waits for a free one. */
export class RawClient {
  private readonly idle: Connection[] = [];
  private readonly queue: Pending[] = [];
  private readonly all: Connection[] = [];

  constructor(url: string, connections = 8, timeoutMs = 20_000) {
    const { hostname, port } = new URL(url);
    for (let i = 0; i < connections; i++) {
      const connection = new Connection(Number(port), hostname, timeoutMs);
      this.all.push(connection);
      this.idle.push(connection);
    }
  }

  send(request: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  close(): void {
    for (const connection of this.all) connection.close();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const connection = this.idle.pop()!;
      const pending = this.queue.shift()!;
      const release = (): void => {
        this.idle.push(connection);
        this.pump();
      };
      connection.send({
        request: pending.request,
        resolve: (response) => {
          release();
          pending.resolve(response);
        },
        reject: (error) => {
          release();
          pending.reject(error);
        },
      });
    }
  }
}
