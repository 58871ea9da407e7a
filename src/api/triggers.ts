/** /namespaces/{ns}/triggers: CRUD, and fire (POST) through the shared trigger fire path. */
import { ApiError, conflict, notFound } from '../errors.ts';
import { checkEntitySizes } from '../limits/sizes.ts';
import { checkName } from '../openwhisk/names.ts';
import { createTrigger, triggerSummary, triggerView, updateTrigger, type TriggerDoc } from '../openwhisk/trigger.ts';
import type { HttpReply } from '../server/http.ts';
import { jsonBody, payloadObject } from './body.ts';
import type { AuthedRequest, Deps } from './context.ts';
import { flag, listPaging } from './query.ts';
import { CORS_HEADERS, json } from './reply.ts';

export function handleTriggers(request: AuthedRequest, rest: string[], deps: Deps): HttpReply | Promise<HttpReply> {
  if (rest.length === 0) {
    if (request.method !== 'GET') throw new ApiError('methodNotAllowed');
    const paging = listPaging(request.query, 'triggers');
    if (flag(request.query, 'count')) return json(200, { triggers: deps.entities.count(request.namespace, 'triggers') });
    return json(200, deps.entities.list<TriggerDoc>(request.namespace, 'triggers', paging).map(triggerSummary));
  }
  if (rest.length > 1) throw notFound();
  const name = checkName(rest[0]!);
  switch (request.method) {
    case 'GET':
      return json(200, triggerView(load(request, deps, name)));
    case 'PUT':
      return put(request, deps, name);
    case 'DELETE':
      return remove(request, deps, name);
    case 'POST':
      return fire(request, deps, name);
    default:
      throw new ApiError('methodNotAllowed');
  }
}

function load(request: AuthedRequest, deps: Deps, name: string): TriggerDoc {
  const doc = deps.entities.get<TriggerDoc>(request.namespace, 'triggers', name);
  if (!doc) throw notFound();
  return doc;
}

function put(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  const body = jsonBody(request);
  checkEntitySizes(body);
  const existing = deps.entities.get<TriggerDoc>(request.namespace, 'triggers', name);
  if (existing && !flag(request.query, 'overwrite')) throw conflict();
  const now = deps.clock.now();
  const doc = existing ? updateTrigger(existing, body, now) : createTrigger({ namespace: request.namespace, name }, body, now);
  deps.entities.put(request.namespace, 'triggers', name, doc);
  return json(200, triggerView(doc));
}

/** Rules on the trigger stay (and show as inactive); its alarm, if any, goes with it. */
function remove(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  const doc = deps.triggers.remove(request.namespace, name, false);
  if (!doc) throw notFound();
  deps.alarms.removeTrigger(request.namespace, name);
  return json(200, triggerView(doc));
}

/** 202 {activationId} when a rule is active; 204 and no record otherwise (upstream). */
async function fire(request: AuthedRequest, deps: Deps, name: string): Promise<HttpReply> {
  const payload = payloadObject(request);
  deps.admission.admitFire(request.identity.namespace);
  const headers = { ...request.http.headers };
  // Upstream passes every request header on; the caller's credentials stay here.
  delete headers.authorization;
  const activationId = await deps.triggers.fire({
    namespace: request.namespace,
    name,
    subject: request.identity.namespace,
    authKey: request.identity.authKey,
    payload,
    headers,
    transactionId: request.transactionId,
  });
  if (activationId === undefined) return { status: 204, headers: CORS_HEADERS };
  return json(202, { activationId }, { 'x-openwhisk-activation-id': activationId });
}
