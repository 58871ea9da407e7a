/** Building replies: JSON bodies, OpenWhisk's error body, the API's CORS headers. */
import { ERRORS, type ApiError } from '../errors.ts';
import type { HttpReply } from '../server/http.ts';

export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, DELETE, POST, PUT, HEAD',
  'Access-Control-Allow-Headers': 'Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent',
} as const;

const JSON_HEADERS = { ...CORS_HEADERS, 'Content-Type': 'application/json' } as const;

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpReply {
  return { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS, body: JSON.stringify(body) };
}

export function errorReply(error: ApiError | { status: number; message: string }, transactionId: string): HttpReply {
  return json(error.status, { error: error.message, code: transactionId });
}

export function internalErrorReply(transactionId: string): HttpReply {
  return errorReply({ status: 500, message: ERRORS.internal.message }, transactionId);
}
