/** Request bodies: JSON parsing with OpenWhisk's 400 and 413 answers. */
import { ApiError, badRequest, MESSAGES } from '../errors.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../limits/json.ts';
import { SYSTEM_LIMITS } from '../openwhisk/limits.ts';
import type { ApiRequest } from './context.ts';

/** Parses a JSON body; an empty body is `fallback`. */
export function jsonBody(request: ApiRequest, fallback: unknown = {}): unknown {
  const body = request.http.body;
  if (body.length === 0) return fallback;
  if (nestedDeeperThan(body)) throw badRequest(`The request content was malformed: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request content was malformed: the body is not valid JSON.');
  }
}

/** Invoke and fire payloads: a JSON object of at most OpenWhisk's 1 MB payload limit. */
export function payloadObject(request: ApiRequest): Record<string, unknown> {
  const size = request.http.body.length;
  if (size > SYSTEM_LIMITS.maxPayloadSize) {
    throw new ApiError('tooLarge', MESSAGES.entityTooBig('Request', size, SYSTEM_LIMITS.maxPayloadSize));
  }
  const value = jsonBody(request);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The request content was malformed: parameters must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
