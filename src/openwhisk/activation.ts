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

export function activationResponse(statusCode: StatusCode, result: unknown): ActivationResponse {
  return { status: STATUS[statusCode], statusCode, success: statusCode === 0, result };
}

/** What the list endpoint returns per record without `docs=true`. */
export function activationSummary(a: Activation): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    activationId: a.activationId,
    namespace: a.namespace,
    name: a.name,
    version: a.version,
    publish: a.publish,
    annotations: a.annotations,
    start: a.start,
    end: a.end,
    duration: a.duration,
    statusCode: a.response.statusCode,
  };
  if (a.cause !== undefined) summary.cause = a.cause;
  return summary;
}

/** HTTP status of a blocking invoke for an activation's outcome. */
export function invokeHttpStatus(statusCode: StatusCode): number {
  if (statusCode === 0) return 200;
  if (statusCode === 3) return 500;
  return 502;
}
