/** /namespaces and /namespaces/{ns}/limits. */
import { ApiError } from '../errors.ts';
import type { AdmissionLimits } from '../limits/throttle.ts';
import { LIMIT_RANGES, SYSTEM_LIMITS } from '../openwhisk/limits.ts';
import type { HttpReply } from '../server/http.ts';
import { actionSummary, type ActionDoc } from '../openwhisk/action.ts';
import { packageSummary, type PackageDoc } from '../openwhisk/package.ts';
import { ruleView, type RuleDoc } from '../openwhisk/rule.ts';
import { triggerSummary, type TriggerDoc } from '../openwhisk/trigger.ts';
import type { Collection } from '../store/entities.ts';
import type { AuthedRequest, Deps } from './context.ts';
import { MAX_LIST_LIMIT } from './query.ts';
import { statusOf } from './rules.ts';
import { json } from './reply.ts';

/** A key belongs to exactly one namespace, so that is the whole list. */
export function listNamespaces(request: AuthedRequest): HttpReply {
  return json(200, [request.identity.namespace]);
}

/**
 * GET /namespaces/{ns}: the namespace's entities by collection, as upstream answers it (each list
 * is the first page of its collection, in the collection's list-item shape).
 */
export function namespaceEntities(request: AuthedRequest, deps: Deps): HttpReply {
  const page = { skip: 0, limit: MAX_LIST_LIMIT };
  const list = <T>(collection: Collection): T[] => deps.entities.list<T>(request.namespace, collection, page);
  return json(200, {
    actions: list<ActionDoc>('actions').map(actionSummary),
    packages: list<PackageDoc>('packages').map(packageSummary),
    triggers: list<TriggerDoc>('triggers').map(triggerSummary),
    rules: list<RuleDoc>('rules').map((rule) => ruleView(rule, statusOf(deps, rule))),
  });
}

/** The throttles are the server's configured ones (0 = unlimited), the same for every namespace. */
export function namespaceLimits(request: AuthedRequest, throttles: AdmissionLimits): HttpReply {
  if (request.method !== 'GET') throw new ApiError('methodNotAllowed');
  return json(200, {
    invocationsPerMinute: throttles.invocationsPerMinute,
    concurrentInvocations: throttles.concurrentInvocations,
    firesPerMinute: throttles.firesPerMinute,
    maxActionMemory: LIMIT_RANGES.memory.max * 1048576,
    minActionMemory: LIMIT_RANGES.memory.min * 1048576,
    maxActionTimeout: LIMIT_RANGES.timeout.max,
    minActionTimeout: LIMIT_RANGES.timeout.min,
    maxActionLogs: LIMIT_RANGES.logs.max * 1048576,
    minActionLogs: LIMIT_RANGES.logs.min * 1048576,
    maxActionConcurrency: LIMIT_RANGES.concurrency.max,
    minActionConcurrency: LIMIT_RANGES.concurrency.min,
    maxParameterSize: SYSTEM_LIMITS.maxParameterSize,
  });
}
