/**
 * How `require('openwhisk')` inside an action reaches this server's API: the request is handed
 * straight to the API handler in process (no socket, no loopback port), authenticated as the
 * activation's identity. The isolate never holds the key; it only names the path and body.
 */
import type { Handler, HttpRequest } from '../../server/http.ts';

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/api/v1/…`, still percent-encoded. */
  path: string;
  /** Query string without '?'. */
  query: string;
  body: string | null;
  /** `uuid:key` of the identity the call acts as. */
  authKey: string;
  transactionId: string | undefined;
}

export interface ApiAnswer {
  status: number;
  body: string;
}

export type ApiCaller = (call: ApiCall) => Promise<ApiAnswer>;

/** An ApiCaller over the server's own handler; `handler` is read per call (it is wired late). */
export function inProcessApi(handler: () => Handler): ApiCaller {
  return async (call) => {
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(call.authKey).toString('base64')}`,
      accept: 'application/json',
      'user-agent': 'openwhisk-client-js (edgewhisk action)',
    };
    if (call.body !== null) headers['content-type'] = 'application/json';
    if (call.transactionId !== undefined) headers['x-request-id'] = call.transactionId;
    const request: HttpRequest = {
      method: call.method,
      path: call.path,
      query: call.query,
      headers,
      body: call.body === null ? Buffer.alloc(0) : Buffer.from(call.body),
    };
    const reply = await handler()(request);
    const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : reply.body.toString('utf8');
    return { status: reply.status, body };
  };
}
