/**
 * Entity size limits on PUT bodies, as upstream's LimitedWhiskEntityPut checks them: `exec` at
 * most 48 MB of code, `parameters` and `annotations` at most 1 MB each (the size of each key plus
 * its value's JSON), else 413 "<field> larger than allowed: <size> > <limit> bytes."
 * (Invoke and fire payloads are checked by api/body.ts, results in the isolate's runtime.)
 */
import { ApiError, MESSAGES } from '../errors.ts';
import { SYSTEM_LIMITS } from '../openwhisk/limits.ts';

/** Throws 413 when a field of an entity PUT body is larger than OpenWhisk allows. */
export function checkEntitySizes(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const { exec, parameters, annotations } = body as Record<string, unknown>;
  if (typeof exec === 'object' && exec !== null && typeof (exec as { code?: unknown }).code === 'string') {
    const size = Buffer.byteLength((exec as { code: string }).code);
    if (size > SYSTEM_LIMITS.maxCodeSize) throw new ApiError('tooLarge', MESSAGES.entityTooBig('exec', size, SYSTEM_LIMITS.maxCodeSize));
  }
  for (const [field, value] of [['parameters', parameters], ['annotations', annotations]] as const) {
    const size = keyValuesSize(value);
    if (size > SYSTEM_LIMITS.maxParameterSize) throw new ApiError('tooLarge', MESSAGES.entityTooBig(field, size, SYSTEM_LIMITS.maxParameterSize));
  }
}

/** Upstream's Parameters.size: each key's length plus its value's JSON (0 for what is not a list). */
function keyValuesSize(value: unknown): number {
  if (!Array.isArray(value)) return 0;
  let size = 0;
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { key, value: v } = entry as { key?: unknown; value?: unknown };
    if (typeof key === 'string') size += Buffer.byteLength(key);
    if (v !== undefined) size += Buffer.byteLength(JSON.stringify(v) ?? '');
  }
  return size;
}
