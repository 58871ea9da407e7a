/**
 * The seam between the invoker and the places actions run. A run's outcome is a value — success,
 * application error, developer error, internal error — never a thrown user failure.
 */
import type { StatusCode } from '../openwhisk/activation.ts';
import type { ActionLimits } from '../openwhisk/limits.ts';

export interface RunnableAction {
  /** Identifies this code version: a change of key means a fresh isolate or container. */
  key: string;
  kind: string;
  code: string;
  binary: boolean;
  main: string;
  limits: ActionLimits;
}

export interface RunRequest {
  action: RunnableAction;
  params: Record<string, unknown>;
  /** The __OW_* values the action sees in process.env / its environment. */
  env: Record<string, string>;
  maxResultBytes: number;
}

export interface RunResult {
  statusCode: StatusCode;
  result: unknown;
  logs: string[];
  /** When the activation began executing (after any wait for a free isolate), epoch ms. */
  start: number;
  end: number;
  /** Milliseconds spent creating and initializing a fresh runtime (cold start only). */
  initTime?: number;
  timedOut: boolean;
}

export interface Runner {
  run(request: RunRequest): Promise<RunResult>;
  /** Drops warm state of actions whose key starts with `prefix` (after an update or delete). */
  invalidate(prefix: string): void;
  close(): Promise<void>;
}
