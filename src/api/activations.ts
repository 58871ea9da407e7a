/** /namespaces/{ns}/activations: list, get, logs, result. */
import { ApiError, badRequest, MESSAGES, notFound } from '../errors.ts';
import { isActivationId } from '../ids.ts';
import { activationSummary } from '../openwhisk/activation.ts';
import { isValidName } from '../openwhisk/names.ts';
import type { HttpReply } from '../server/http.ts';
import type { AuthedRequest, Deps } from './context.ts';
import { epochMs, flag, listPaging } from './query.ts';
import { json } from './reply.ts';

/** Reads wait for the records queued before them to be committed (src/store/activations.ts). */
export async function handleActivations(request: AuthedRequest, rest: string[], deps: Deps): Promise<HttpReply> {
  if (request.method !== 'GET') throw new ApiError('methodNotAllowed');
  if (rest.length === 0) return list(request, deps);
  const id = rest[0]!;
  if (!isActivationId(id)) throw badRequest(MESSAGES.activationIdIllegal);
  const activation = await deps.activations.get(request.namespace, id);
  if (!activation || rest.length > 2) throw notFound();
  if (rest.length === 1) return json(200, activation);
  if (rest[1] === 'logs') return json(200, { logs: activation.logs });
  if (rest[1] === 'result') return json(200, activation.response);
  throw notFound();
}

async function list(request: AuthedRequest, deps: Deps): Promise<HttpReply> {
  const { query } = request;
  const docs = flag(query, 'docs');
  const count = flag(query, 'count');
  if (docs && count) throw badRequest(MESSAGES.docsWithCount);
  const name = query.get('name') ?? undefined;
  if (name !== undefined) {
    const parts = name.split('/');
    if (parts.length > 2 || !parts.every(isValidName)) throw badRequest(MESSAGES.badNameFilter(name));
  }
  const filter = { namespace: request.namespace, path: name, since: epochMs(query, 'since'), upto: epochMs(query, 'upto') };
  if (count) return json(200, { activations: await deps.activations.count({ ...filter, skip: 0, limit: 0 }) });
  const records = await deps.activations.list({ ...filter, ...listPaging(query, 'activations') });
  return json(200, docs ? records : records.map(activationSummary));
}
