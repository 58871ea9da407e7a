/**
 * Sequences: the checks a sequence must pass when it is created, and running one — each component
 * gets the previous result, an error stops the chain, and the sequence's own record lists the
 * component activations (upstream's SequenceActions).
 */
import type { Clock } from './clock.ts';
import { ApiError, badRequest, MESSAGES } from './errors.ts';
import type { Invocation, InvokeRequest } from './invoker.ts';
import { activationRecord, activationResponse, type Activation, type ActivationResponse } from './openwhisk/activation.ts';
import { isSequence, SEQUENCE_KIND } from './openwhisk/exec.ts';
import type { KeyValue } from './openwhisk/keyvalues.ts';
import { SYSTEM_LIMITS } from './openwhisk/limits.ts';
import { fullPath, parseFullyQualifiedName, type EntityRef } from './openwhisk/names.ts';
import type { ResolvedAction, Resolver } from './resolver.ts';

/** Beyond this many components visited, a definition is treated as cyclic (no valid one comes close). */
const MAX_VISITS = 1000;

/**
 * Checks a sequence about to be stored as `self`: every component exists and is visible to
 * `caller`, none leads back to `self`, and inlining nested sequences gives at most 50 actions.
 */
export function checkSequence(resolver: Resolver, self: EntityRef, components: string[], caller: string): void {
  const selfPath = fullPath(self);
  let atomic = 0;
  let visits = 0;
  const walk = (list: string[]): void => {
    for (const component of list) {
      if (++visits > MAX_VISITS) throw badRequest(MESSAGES.sequenceIsCyclic);
      let resolved: ResolvedAction;
      try {
        resolved = resolver.resolveAction(parseFullyQualifiedName(component, caller), caller);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) throw badRequest(MESSAGES.sequenceComponentNotFound);
        throw error;
      }
      const action = resolved.action;
      if (fullPath(action) === selfPath) throw badRequest(MESSAGES.sequenceIsCyclic);
      if (isSequence(action.exec)) walk(action.exec.components);
      else if (++atomic > SYSTEM_LIMITS.maxSequenceLength) throw badRequest(MESSAGES.sequenceIsTooLong);
    }
  };
  walk(components);
}

export interface SequenceContext {
  clock: Clock;
  /** A component for `caller`, through packages and bindings; undefined when missing or not visible. */
  resolve(component: string, caller: string): ResolvedAction | undefined;
  invoke(request: InvokeRequest): Invocation;
  /** Reports and stores the sequence's record (as the invoker does for every activation). */
  finish(record: Activation): Promise<void>;
}

/** Atomic actions run so far by the outermost sequence: nested sequences share it. */
export interface SequenceAccounting {
  atomic: number;
}

/** Runs the sequence `request.action`; settles with its record once that is written. */
export async function runSequence(ctx: SequenceContext, activationId: string, request: InvokeRequest): Promise<Activation> {
  const { action } = request;
  if (!isSequence(action.exec)) throw new Error(`${fullPath(action)} is not a sequence`);
  const topmost = request.causedBy !== 'sequence';
  const accounting = request.sequenceAccounting ?? { atomic: 0 };
  const start = ctx.clock.now();
  const logs: string[] = [];
  let duration = 0;
  let maxMemory: number | undefined;
  // Upstream's placeholder: the input itself, as if a previous component had returned it.
  let response: ActivationResponse = activationResponse(0, request.params);

  for (const component of action.exec.components) {
    if (accounting.atomic >= SYSTEM_LIMITS.maxSequenceLength) {
      response = activationResponse(1, { error: MESSAGES.sequenceIsTooLong });
      break;
    }
    const resolved = ctx.resolve(component, request.namespace);
    if (!resolved) {
      response = activationResponse(1, { error: MESSAGES.sequenceComponentNotFound });
      break;
    }
    const input = response.result;
    const params = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
    if (!isSequence(resolved.action.exec)) accounting.atomic++;
    let record: Activation;
    try {
      const invocation = ctx.invoke({
        ...componentRequest(request, resolved, params, ctx.clock.now()),
        cause: activationId,
        causedBy: 'sequence',
        sequenceAccounting: accounting,
      });
      logs.push(invocation.activationId);
      record = await invocation.done;
    } catch (error) {
      console.error(`sequence ${activationId}: component ${component} failed:`, error);
      response = activationResponse(3, { error: MESSAGES.sequenceActivationFailure });
      break;
    }
    duration += record.duration;
    const memory = memoryOf(record.annotations);
    if (memory !== undefined) maxMemory = Math.max(maxMemory ?? 0, memory);
    response = record.response;
    // An error result stops the chain, whatever the component's status says.
    const result = record.response.result;
    const hasError = typeof result === 'object' && result !== null && !Array.isArray(result) && 'error' in result;
    if (!record.response.success || hasError) break;
  }

  const end = ctx.clock.now();
  const annotations: KeyValue[] = [
    { key: 'topmost', value: topmost },
    { key: 'path', value: fullPath(action) },
    { key: 'kind', value: SEQUENCE_KIND },
  ];
  if (!topmost) annotations.push({ key: 'causedBy', value: SEQUENCE_KIND });
  annotations.push({ key: 'waitTime', value: Math.max(0, start - request.received) });
  if (request.binding !== undefined) annotations.push({ key: 'binding', value: request.binding });
  if (maxMemory !== undefined) annotations.push({ key: 'limits', value: { ...action.limits, memory: maxMemory } });
  const record = activationRecord(
    { activationId, namespace: request.namespace, subject: request.subject, name: action.name, version: action.version, cause: request.cause },
    // Upstream: a sequence's duration is the sum of its components' durations, not end - start.
    { start, end, duration, response, logs, annotations },
  );
  await ctx.finish(record);
  return record;
}

function componentRequest(outer: InvokeRequest, resolved: ResolvedAction, params: Record<string, unknown>, now: number): InvokeRequest {
  const request: InvokeRequest = {
    action: resolved.action,
    params,
    namespace: outer.namespace,
    subject: outer.subject,
    authKey: outer.authKey,
    transactionId: outer.transactionId,
    received: now,
  };
  if (resolved.binding !== undefined) request.binding = resolved.binding;
  if (outer.record !== undefined) request.record = outer.record;
  if (outer.recordCommit !== undefined) request.recordCommit = outer.recordCommit;
  return request;
}

function memoryOf(annotations: KeyValue[]): number | undefined {
  const limits = annotations.find((kv) => kv.key === 'limits')?.value;
  const memory = typeof limits === 'object' && limits !== null ? (limits as { memory?: unknown }).memory : undefined;
  return typeof memory === 'number' ? memory : undefined;
}
