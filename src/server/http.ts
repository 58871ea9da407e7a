/**
 * The only module that touches uWebSockets.js. It reads a request completely (headers synchronously
 * inside the handler, as uWS requires; the body through onData), hands a plain HttpRequest to the
 * application handler, and writes the reply corked — or not at all if the client went away.
 */
import uWS from 'uWebSockets.js';
import { REASON_PHRASES } from './reason-phrases.ts';

export interface HttpRequest {
  method: string;
  /** Raw (still percent-encoded) path without the query string. */
  path: string;
  query: string;
  /** Lower-cased header names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string | readonly string[]>;
  body?: string | Buffer;
}

export type Handler = (request: HttpRequest) => HttpReply | Promise<HttpReply>;

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The largest body accepted for a request, by method and raw path (decided before reading it). */
  maxBodyBytes: (method: string, path: string) => number;
  handler: Handler;
  /** Replies for failures outside the handler: an oversized body, an unexpected exception. */
  errorReply: (status: 413 | 500, request: HttpRequest | undefined) => HttpReply;
}

export interface HttpServer {
  readonly port: number;
  /** Stops accepting connections; requests in flight still get their replies. */
  stopListening(): void;
  /** Closes every connection. */
  close(): void;
}

const STATUS_LINES = new Map<number, string>();
function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `${status} ${REASON_PHRASES[status] ?? 'Unknown'}`;
    STATUS_LINES.set(status, line);
  }
  return line;
}

const EMPTY = Buffer.alloc(0);
/** uWS.js's ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT (a type-only enum: no value to import). */
const LISTEN_EXCLUSIVE_PORT = 1;

export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = uWS.App();

  app.any('/*', (res, req) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const headers: Record<string, string> = {};
    req.forEach((name, value) => {
      const prior = headers[name];
      headers[name] = prior === undefined ? value : `${prior}, ${value}`;
    });
    const request: HttpRequest = {
      method: req.getCaseSensitiveMethod().toUpperCase(),
      path: req.getUrl(),
      query: req.getQuery() ?? '',
      headers,
      body: EMPTY,
    };

    const send = (reply: HttpReply): void => {
      if (aborted) return;
      aborted = true;
      res.cork(() => {
        res.writeStatus(statusLine(reply.status));
        const headers = reply.headers;
        if (headers) {
          for (const name in headers) {
            const value = headers[name]!;
            if (typeof value === 'string') res.writeHeader(name, value);
            else for (const v of value) res.writeHeader(name, v);
          }
        }
        // HEAD replies carry the headers of a GET but no body.
        if (request.method === 'HEAD') res.endWithoutBody();
        else res.end(reply.body ?? EMPTY);
      });
    };
    const dispatch = (): void => {
      let result: HttpReply | Promise<HttpReply>;
      try {
        result = options.handler(request);
      } catch {
        send(options.errorReply(500, request));
        return;
      }
      if (result instanceof Promise) result.then(send, () => send(options.errorReply(500, request)));
      else send(result);
    };

    const length = headers['content-length'];
    const chunked = headers['transfer-encoding'] !== undefined;
    if (!chunked && (length === undefined || length === '0')) {
      dispatch();
      return;
    }
    const maxBody = options.maxBodyBytes(request.method, request.path);
    if (length !== undefined && Number(length) > maxBody) {
      send(options.errorReply(413, request));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    res.onData((chunk, isLast) => {
      if (aborted) return;
      received += chunk.byteLength;
      if (received > maxBody) {
        send(options.errorReply(413, request));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        request.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
        dispatch();
      }
    });
  });

  return new Promise((resolve, reject) => {
    // Exclusive: uWS listens with SO_REUSEPORT by default, so a second server started on a port
    // already taken would not fail but quietly get part of its connections (and its own database).
    // The overload (host, port, options, callback) is uWS.js's own; its typings leave it out.
    const listen = app.listen as unknown as (host: string, port: number, options: number, callback: (socket: uWS.us_listen_socket | false) => void) => void;
    listen.call(app, options.host, options.port, LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
      if (!listenSocket) {
        app.close();
        reject(new Error(`cannot listen on ${options.host}:${options.port} (in use, or not an address of this machine)`));
        return;
      }
      let listening = true;
      const stopListening = (): void => {
        if (listening) uWS.us_listen_socket_close(listenSocket);
        listening = false;
      };
      resolve({
        port: uWS.us_socket_local_port(listenSocket),
        stopListening,
        close() {
          stopListening();
          app.close();
        },
      });
    });
  });
}
