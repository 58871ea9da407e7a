/** Parameters and annotations: OpenWhisk's [{key, value}] arrays. Pure. */
import { badRequest } from '../errors.ts';

export interface KeyValue {
  key: string;
  value: unknown;
  init?: boolean;
}

export function parseKeyValues(input: unknown, field: string): KeyValue[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw badRequest(`${field} must be an array of {key, value}.`);
  return input.map((item) => {
    if (typeof item !== 'object' || item === null || typeof (item as KeyValue).key !== 'string') {
      throw badRequest(`${field} must be an array of {key, value}.`);
    }
    const { key, value, init } = item as KeyValue;
    if (init !== undefined && typeof init !== 'boolean') throw badRequest(`${field}: 'init' must be a boolean.`);
    const kv: KeyValue = { key, value: value === undefined ? null : value };
    if (init) kv.init = true;
    return kv;
  });
}

/** Folds key-value arrays left to right into one object; later entries win. */
export function toObject(...lists: KeyValue[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const list of lists) for (const { key, value } of list) out[key] = value;
  return out;
}

export function getValue(list: KeyValue[], key: string): unknown {
  return list.find((kv) => kv.key === key)?.value;
}

/** Sets `key`, replacing an existing entry in place so the order users gave is kept. */
export function withValue(list: KeyValue[], key: string, value: unknown): KeyValue[] {
  const index = list.findIndex((kv) => kv.key === key);
  if (index < 0) return [...list, { key, value }];
  const copy = [...list];
  copy[index] = { key, value };
  return copy;
}

/** `base` with `over` laid on top: keys of `over` replace those of `base` (upstream's Parameters `++`). */
export function mergeKeyValues(base: KeyValue[], over: KeyValue[]): KeyValue[] {
  if (base.length === 0) return over;
  if (over.length === 0) return base;
  const replaced = new Set(over.map((kv) => kv.key));
  return [...base.filter((kv) => !replaced.has(kv.key)), ...over];
}
