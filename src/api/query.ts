/** Query-string parameters of list endpoints, validated with OpenWhisk's messages. */
import { badRequest, MESSAGES } from '../errors.ts';

export const DEFAULT_LIST_LIMIT = 30;
export const MAX_LIST_LIMIT = 200;

function integer(query: URLSearchParams, name: string, collection: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  // Beyond 2^53 it is no integer JavaScript (or SQLite's OFFSET) can take exactly.
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) throw badRequest(MESSAGES.notInteger(collection, raw));
  return Number(raw);
}

export function listPaging(query: URLSearchParams, collection: string): { skip: number; limit: number } {
  const skip = integer(query, 'skip', collection) ?? 0;
  if (skip < 0) throw badRequest(MESSAGES.listSkip(collection, skip));
  let limit = integer(query, 'limit', collection) ?? DEFAULT_LIST_LIMIT;
  if (limit < 0 || limit > MAX_LIST_LIMIT) throw badRequest(MESSAGES.listLimit(collection, limit, MAX_LIST_LIMIT));
  // OpenWhisk treats limit=0 as "the maximum".
  if (limit === 0) limit = MAX_LIST_LIMIT;
  return { skip, limit };
}

export function flag(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  return raw !== null && raw.toLowerCase() === 'true';
}

export function epochMs(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) throw badRequest(MESSAGES.badEpoch(raw));
  return Number(raw);
}
