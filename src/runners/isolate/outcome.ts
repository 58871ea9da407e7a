/**
 * What crosses into and out of an isolate, as text: the input a call is made with and the output a
 * finished call writes. Kept apart from the pool (and from isolated-vm) because the server builds
 * the one and reads the other for calls that run in a worker process, which only forwards them.
 */
import { MESSAGES } from '../../errors.ts';
import type { StatusCode } from '../../openwhisk/activation.ts';
import type { RunRequest, RunResult } from '../runner.ts';

/**
 * A run's outcome before the server looks at it: a finished call's output text as the isolate wrote
 * it (`start`: when the pool took the call), or a result the pool made itself (timeouts, failures).
 */
export type RunOutcome =
  | { kind: 'output'; output: string; start: number; end: number; initTime?: number | undefined }
  | { kind: 'result'; result: RunResult };

/** What the isolate is called with: one JSON text, built once per call wherever the request is. */
export function isolateInput(request: RunRequest): string {
  return JSON.stringify({
    p: request.params,
    e: request.env,
    logLimit: request.action.limits.logs * 1048576,
    resultLimit: request.maxResultBytes,
  });
}

/**
 * What a finished call wrote — `{"c": status, "r": result, "l": logs}` — as the activation's
 * outcome; anything else is the action's failure to produce a dictionary.
 */
export function resultOf(outcome: RunOutcome): RunResult {
  if (outcome.kind === 'result') return outcome.result;
  const { start, end } = outcome;
  let parsed: { c: StatusCode; r: unknown; l: string[] };
  try {
    parsed = JSON.parse(outcome.output) as typeof parsed;
  } catch {
    return { ...developerError(MESSAGES.notDictionary), logs: [], start, end, timedOut: false };
  }
  const valid = parsed && (parsed.c === 0 || parsed.c === 1 || parsed.c === 2) && Array.isArray(parsed.l);
  const base = valid ? { statusCode: parsed.c, result: parsed.r } : developerError(MESSAGES.notDictionary);
  return withInit({ ...base, logs: valid ? parsed.l : [], start, end, timedOut: false }, outcome.initTime);
}

export function developerError(message: string): { statusCode: StatusCode; result: unknown } {
  return { statusCode: 2, result: { error: message } };
}

export function withInit(result: RunResult, initTime: number | undefined): RunResult {
  if (initTime !== undefined) result.initTime = initTime;
  return result;
}
