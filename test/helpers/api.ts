/** Small assertions and waits shared by the API tests. */
import { expect } from 'vitest';

export type Json = Record<string, any>;

/** Reads an API error reply and checks OpenWhisk's shape: {error: message, code: transaction id}. */
export async function expectApiError(response: Response, status: number): Promise<{ error: string; code: string }> {
  const text = await response.text();
  expect(response.status, `status of ${text}`).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as { error: string; code: string };
  expect(Object.keys(body).sort()).toEqual(['code', 'error']);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  expect(typeof body.code).toBe('string');
  expect(body.code.length).toBeGreaterThan(0);
  return body;
}

/** Reads a JSON reply, checking its status first (the body is in the failure message). */
export async function expectJson<T = Json>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, `status of ${text}`).toBe(status);
  return JSON.parse(text) as T;
}

/** The openwhisk client rejects with an OpenWhiskError carrying statusCode and the reply body as `error`. */
export async function clientError(promise: Promise<unknown>): Promise<{ statusCode: number; error: any; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { statusCode?: number; error?: unknown; message: string; name: string };
    expect(e.name).toBe('OpenWhiskError');
    expect(typeof e.statusCode).toBe('number');
    return { statusCode: e.statusCode!, error: e.error, message: e.message };
  }
  throw new Error('expected the openwhisk client call to fail');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `probe` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** The value of one key in an OpenWhisk [{key, value}] list. */
export function kv(list: { key: string; value: unknown }[] | undefined, key: string): unknown {
  return list?.find((entry) => entry.key === key)?.value;
}

export function hasKey(list: { key: string }[] | undefined, key: string): boolean {
  return list?.some((entry) => entry.key === key) ?? false;
}

/** A log line as OpenWhisk records it: ISO timestamp, stream, text. */
export const LOG_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (stdout|stderr): /;

/** A PUT body for a Node.js action. */
export function actionBody(code: string, extra: Json = {}): Json {
  return { exec: { kind: 'nodejs:default', code }, ...extra };
}
