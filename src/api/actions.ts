/**
 * /namespaces/{ns}/actions: CRUD and invocation, in the default package or `{pkg}/{name}`. Reads
 * and invokes go through bindings (parameters merged); writes inside a binding are refused.
 */
import { ApiError, badRequest, conflict, MESSAGES, notFound } from '../errors.ts';
import { actionKeyPrefix, type InvokeRequest } from '../invoker.ts';
import { checkEntitySizes } from '../limits/sizes.ts';
import { waitAtMost } from '../limits/wait.ts';
import { actionSummary, actionView, checkNewExec, createAction, updateAction, type ActionDoc } from '../openwhisk/action.ts';
import { invokeHttpStatus } from '../openwhisk/activation.ts';
import { isSequence } from '../openwhisk/exec.ts';
import { checkName, relativePath } from '../openwhisk/names.ts';
import type { PackageDoc } from '../openwhisk/package.ts';
import type { ResolvedAction } from '../resolver.ts';
import { checkSequence } from '../sequences.ts';
import { checkCronAnnotation } from '../triggers/alarms.ts';
import { loadCronParser } from '../triggers/next-fire.ts';
import type { HttpReply } from '../server/http.ts';
import { jsonBody, payloadObject } from './body.ts';
import type { AuthedRequest, Deps } from './context.ts';
import { flag, listPaging } from './query.ts';
import { json } from './reply.ts';

interface Target {
  pkg: string | undefined;
  name: string;
}

export async function handleActions(request: AuthedRequest, rest: string[], deps: Deps): Promise<HttpReply> {
  // [] lists the namespace; ['pkg', ''] (trailing slash) lists one package.
  if (rest.length === 0) return list(request, deps, undefined);
  if (rest.length === 2 && rest[1] === '') return listPackage(request, deps, checkName(rest[0]!));
  if (rest.length > 2) throw notFound();
  const target: Target = rest.length === 2 ? { pkg: checkName(rest[0]!), name: checkName(rest[1]!) } : { pkg: undefined, name: checkName(rest[0]!) };
  switch (request.method) {
    case 'GET':
      return json(200, actionView(resolve(request, deps, target).action, request.query.get('code') !== 'false'));
    case 'PUT':
      return put(request, deps, target);
    case 'DELETE':
      return remove(request, deps, target);
    case 'POST':
      return invoke(request, deps, target);
    default:
      throw new ApiError('methodNotAllowed');
  }
}

/** The action as the caller sees it: through its package or binding, with their parameters merged. */
function resolve(request: AuthedRequest, deps: Deps, target: Target): ResolvedAction {
  return deps.resolver.resolveAction({ namespace: request.namespace, ...target }, request.identity.namespace);
}

/** Writes need the package itself: it must exist and not be a binding. */
function writablePackage(request: AuthedRequest, deps: Deps, pkg: string | undefined): void {
  if (pkg === undefined) return;
  const doc = deps.entities.get<PackageDoc>(request.namespace, 'packages', pkg);
  if (!doc) throw notFound();
  if (doc.binding) throw badRequest(MESSAGES.notAllowedOnBinding);
}

function load(request: AuthedRequest, deps: Deps, target: Target): ActionDoc {
  writablePackage(request, deps, target.pkg);
  const doc = deps.entities.get<ActionDoc>(request.namespace, 'actions', relativePath(target));
  if (!doc) throw notFound();
  return doc;
}

/** `GET …/actions/{pkg}/`: a package's actions (a binding's are those of the package it binds). */
function listPackage(request: AuthedRequest, deps: Deps, pkg: string): HttpReply {
  const { pkg: holder } = deps.resolver.resolvePackage(request.namespace, pkg, request.identity.namespace);
  const paging = listPaging(request.query, 'actions');
  const prefix = `${holder.name}/`;
  if (flag(request.query, 'count')) return json(200, { actions: deps.entities.count(holder.namespace, 'actions', prefix) });
  return json(200, deps.entities.list<ActionDoc>(holder.namespace, 'actions', { prefix, ...paging }).map(actionSummary));
}

function list(request: AuthedRequest, deps: Deps, prefix: string | undefined): HttpReply {
  const paging = listPaging(request.query, 'actions');
  if (flag(request.query, 'count')) {
    return json(200, { actions: deps.entities.count(request.namespace, 'actions', prefix) });
  }
  const docs = deps.entities.list<ActionDoc>(request.namespace, 'actions', { prefix, ...paging });
  return json(200, docs.map(actionSummary));
}

async function put(request: AuthedRequest, deps: Deps, target: Target): Promise<HttpReply> {
  const body = jsonBody(request, undefined);
  if (body === undefined) throw badRequest('The request content was malformed: expected a JSON object.');
  checkEntitySizes(body);
  writablePackage(request, deps, target.pkg);
  const path = relativePath(target);
  const existing = deps.entities.get<ActionDoc>(request.namespace, 'actions', path);
  const now = deps.clock.now();
  let doc: ActionDoc;
  if (existing) {
    if (!flag(request.query, 'overwrite')) throw conflict();
    doc = updateAction(existing, body, now);
  } else {
    doc = createAction({ namespace: request.namespace, ...target }, body, now);
  }
  if (doc.exec !== existing?.exec) await checkNewExec(doc.exec);
  // A `cron` annotation is checked and scheduled with cron-parser, loaded at the first one.
  if (doc.annotations.some((kv) => kv.key === 'cron')) await loadCronParser();
  if (isSequence(doc.exec) && doc.exec !== existing?.exec) checkSequence(deps.resolver, doc, doc.exec.components, request.identity.namespace);
  checkCronAnnotation(doc.annotations);
  // Deployed now, likely called soon: its runner gets ready (a worker process, a blank isolate)
  // from now on, while this deploy is stored and answered, not when the first call comes.
  if (!isSequence(doc.exec)) deps.runner.prepare?.({ kind: doc.exec.kind, key: actionKeyPrefix(doc) });
  deps.entities.put(request.namespace, 'actions', path, doc);
  if (existing) deps.runner.invalidate(actionKeyPrefix(existing));
  deps.alarms.syncAction(doc);
  return json(200, actionView(doc));
}

function remove(request: AuthedRequest, deps: Deps, target: Target): HttpReply {
  const doc = load(request, deps, target);
  deps.entities.delete(request.namespace, 'actions', relativePath(target));
  deps.runner.invalidate(actionKeyPrefix(doc));
  deps.alarms.removeAction(request.namespace, relativePath(target));
  return json(200, actionView(doc));
}

async function invoke(request: AuthedRequest, deps: Deps, target: Target): Promise<HttpReply> {
  const params = payloadObject(request);
  const { action, binding } = resolve(request, deps, target);
  const blocking = flag(request.query, 'blocking');
  const waitMs = blockingWait(request, deps.config.maxBlockingWaitMs);
  const invokeRequest: InvokeRequest = {
    action,
    params,
    namespace: request.identity.namespace,
    subject: request.identity.namespace,
    authKey: request.identity.authKey,
    transactionId: request.transactionId,
    received: request.received,
  };
  if (binding !== undefined) invokeRequest.binding = binding;
  const invocation = deps.invoker.invoke(invokeRequest);
  const idHeader = { 'x-openwhisk-activation-id': invocation.activationId };
  const accepted = (): HttpReply => json(202, { activationId: invocation.activationId }, idHeader);
  // The record is written when the run ends; if no one is waiting any more, a failure is logged.
  invocation.done.catch((error: unknown) => console.error(`activation ${invocation.activationId} not recorded:`, error));
  if (!blocking) return accepted();
  const activation = await waitAtMost(invocation.done, waitMs);
  if (!activation) return accepted();
  const status = invokeHttpStatus(activation.response.statusCode);
  return json(status, flag(request.query, 'result') ? activation.response.result : activation, idHeader);
}

function blockingWait(request: AuthedRequest, max: number): number {
  const raw = request.query.get('timeout');
  if (raw === null || raw === '') return max;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value <= 0 || value > max) throw badRequest(MESSAGES.invalidTimeout(max));
  return value;
}
