/** Activation records: statuses, the stored/wire record, list summaries. Pure. */
import type { KeyValue } from './keyvalues.ts';

/** OpenWhisk's four outcomes; the statusCode is the index (0..3). */
export const STATUS = ['success', 'application error', 'action developer error', 'whisk internal error'] as const;
export type StatusCode = 0 | 1 | 2 | 3;

export interface ActivationResponse {
  status: (typeof STATUS)[number];
  statusCode: StatusCode;
  success: boolean;
  result: unknown;
}

export interface Activation {
  activationId: string;
  namespace: string;
  name: string;
  version: string;
  subject: string;
  publish: boolean;
  start: number;
  end: number;
  duration: number;
  cause?: string;
  response: ActivationResponse;
  logs: string[];
  annotations: KeyValue[];
}

/** A trigger's record only says that it fired (and what became of its rules): no end, no duration. */
export type TriggerActivation = Omit<Activation, 'end' | 'duration'>;

/** What the activation store holds and the activations API shows. */
export type ActivationRecord = Activation | TriggerActivation;

/** What a record says of who ran what: the caller's namespace and subject, the action's name and version. */
export interface RecordOrigin {
  activationId: string;
  namespace: string;
  subject: string;
  name: string;
  version: string;
  cause?: string | undefined;
}

/** An activation record; `duration` defaults to end - start (sequences give the sum of their parts). */
export function activationRecord(
  origin: RecordOrigin,
  run: { start: number; end: number; duration?: number; response: ActivationResponse; logs: string[]; annotations: KeyValue[] },
): Activation {
  const record: Activation = {
    activationId: origin.activationId,
    namespace: origin.namespace,
    name: origin.name,
    version: origin.version,
    subject: origin.subject,
    publish: false,
    start: run.start,
    end: run.end,
    duration: run.duration ?? run.end - run.start,
    response: run.response,
    logs: run.logs,
    annotations: run.annotations,
  };
  if (origin.cause !== undefined) record.cause = origin.cause;
  return record;
}

export function activationResponse(statusCode: StatusCode, result: unknown): ActivationResponse {
  return { status: STATUS[statusCode], statusCode, success: statusCode === 0, result };
}

/** What the list endpoint returns per record without `docs=true`. */
export function activationSummary(a: ActivationRecord): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    activationId: a.activationId,
    namespace: a.namespace,
    name: a.name,
    version: a.version,
    publish: a.publish,
    annotations: a.annotations,
    start: a.start,
  };
  if (a.cause !== undefined) summary.cause = a.cause;
  // Upstream: a trigger activation (no end) has no end, duration or statusCode in its summary.
  if ('end' in a) {
    summary.end = a.end;
    summary.duration = a.duration;
    summary.statusCode = a.response.statusCode;
  }
  return summary;
}

/** HTTP status of a blocking invoke for an activation's outcome. */
export function invokeHttpStatus(statusCode: StatusCode): number {
  if (statusCode === 0) return 200;
  if (statusCode === 3) return 500;
  return 502;
}
