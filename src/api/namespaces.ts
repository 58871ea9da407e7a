/** /namespaces and /namespaces/{ns}/limits. */
import { ApiError } from '../errors.ts';
import type { AdmissionLimits } from '../limits/throttle.ts';
import { LIMIT_RANGES, SYSTEM_LIMITS } from '../openwhisk/limits.ts';
import type { HttpReply } from '../server/http.ts';
import type { AuthedRequest } from './context.ts';
import { json } from './reply.ts';

/** A key belongs to exactly one namespace, so that is the whole list. */
export function listNamespaces(request: AuthedRequest): HttpReply {
  return json(200, [request.identity.namespace]);
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
