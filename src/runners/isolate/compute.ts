/**
 * The synchronous host callback an isolate may call: pure computations the isolate has no native
 * code for (WHATWG URL parsing, digests, HMACs, random bytes, fast UTF-8). No side effects and no
 * host object goes back: every answer is a string, a plain object of strings, a Uint8Array or null.
 *
 * Every argument is checked as hostile (type, size) — the isolate's own wrappers check too, but user
 * code can corrupt those wrappers in its own isolate, so this is the boundary that counts.
 */
import { createHash, createHmac, randomFillSync } from 'node:crypto';

const MAX_URL = 1 << 20;
const MAX_DATA = 64 << 20;
const MAX_RANDOM = 65536;
const HASHES = new Set(['md5', 'sha1', 'sha256', 'sha384', 'sha512']);
const URL_SETTERS = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

/** An error that crosses into the isolate without a host stack trace (isolated-vm copies `stack`). */
export function isolateError(message: string, Ctor: ErrorConstructor = TypeError): Error {
  const error = new Ctor(message);
  error.stack = `${error.name}: ${message}`;
  return error;
}

function text(value: unknown, max: number, name: string): string {
  if (typeof value !== 'string') throw isolateError(`${name} must be a string`);
  if (value.length > max) throw isolateError(`${name} is longer than ${max} characters`, RangeError);
  return value;
}

function bytes(value: unknown, max: number, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw isolateError(`${name} must be a Uint8Array`);
  if (value.byteLength > max) throw isolateError(`${name} is larger than ${max} bytes`, RangeError);
  return value;
}

function hash(value: unknown): string {
  if (typeof value !== 'string' || !HASHES.has(value)) throw isolateError(`unsupported digest algorithm`);
  return value;
}

export interface UrlParts {
  href: string;
  origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  hash: string;
}

function parts(url: URL): UrlParts {
  return {
    href: url.href,
    origin: url.origin,
    protocol: url.protocol,
    username: url.username,
    password: url.password,
    host: url.host,
    hostname: url.hostname,
    port: url.port,
    pathname: url.pathname,
    search: url.search,
    hash: url.hash,
  };
}

/** Dispatches one computation; throws (as the isolate's exception) on bad arguments. */
export function compute(op: unknown, a: unknown, b: unknown, c: unknown): unknown {
  switch (op) {
    case 'url': {
      const input = text(a, MAX_URL, 'url');
      const base = b === undefined || b === null ? undefined : text(b, MAX_URL, 'base');
      const url = URL.parse(input, base);
      return url === null ? null : parts(url);
    }
    case 'urlset': {
      const href = text(a, MAX_URL, 'href');
      if (typeof b !== 'string' || !URL_SETTERS.has(b)) throw isolateError('unknown URL property');
      const value = text(c, MAX_URL, 'value');
      const url = URL.parse(href);
      if (url === null) return null;
      try {
        (url as unknown as Record<string, string>)[b] = value;
      } catch {
        return null;
      }
      return parts(url);
    }
    case 'digest':
      return new Uint8Array(createHash(hash(a)).update(bytes(b, MAX_DATA, 'data')).digest());
    case 'hmac':
      return new Uint8Array(createHmac(hash(a), bytes(b, MAX_DATA, 'key')).update(bytes(c, MAX_DATA, 'data')).digest());
    case 'random': {
      if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a > MAX_RANDOM) throw isolateError(`random byte count must be an integer from 0 to ${MAX_RANDOM}`, RangeError);
      return randomFillSync(new Uint8Array(a));
    }
    case 'utf8encode':
      return new Uint8Array(Buffer.from(text(a, MAX_DATA, 'text'), 'utf8'));
    case 'utf8decode': {
      const input = bytes(a, MAX_DATA, 'data');
      try {
        return new TextDecoder('utf-8', { fatal: b === true, ignoreBOM: true }).decode(input);
      } catch {
        throw isolateError('The encoded data was not valid for encoding utf-8');
      }
    }
    default:
      throw isolateError('unknown operation');
  }
}

/** Runs a synchronous callback body so that no host stack trace reaches the isolate. */
export function guarded<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof Error && error.stack === `${error.name}: ${error.message}`) throw error;
    throw isolateError(error instanceof Error ? error.message : 'host operation failed', Error);
  }
}
