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
  /** A blackbox action's container image (exec.image). */
  image?: string | undefined;
  /** Parameters annotated `init: true`: container runtimes get them in the environment at /init. */
  initParams?: Record<string, unknown> | undefined;
}

export interface RunRequest {
  action: RunnableAction;
  params: Record<string, unknown>;
  /** The __OW_* values the action sees in process.env / its environment. */
  env: Record<string, string>;
  maxResultBytes: number;
  /**
   * The caller's `uuid:key`, when the activation may act as its caller on the OpenWhisk API
   * (require('openwhisk') inside the action); see callerApiKey. Never handed to the isolate.
   */
  apiKey?: string | undefined;
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
  /**
   * A hint that an action (its kind, and its key or the `namespace/path@` prefix of it) is likely
   * to run soon: it was just deployed. A runner that starts processes on demand may start the one
   * it needs now, and one that keeps blank isolates may make one, so that its first call does not
   * wait for either.
   */
  prepare?(action: { kind: string; key: string }): void;
  close(): Promise<void>;
}

/**
 * Whether an activation may act as its caller when its code calls the OpenWhisk API. Upstream gives
 * the caller's key to the action only when it is annotated provide-api-key; here the built-in
 * client needs no key in the isolate, so the same rule is kept where it protects someone: the code
 * of another namespace (a shared package, a public action) may act as its caller only when its
 * owner asked for it with provide-api-key. An action of the caller's own namespace runs the
 * caller's own code, so it may.
 */
export function callerApiKey(
  action: { namespace: string; annotations: readonly { key: string; value: unknown }[] },
  caller: { namespace: string; authKey: string },
): string | undefined {
  if (caller.namespace === action.namespace) return caller.authKey;
  return action.annotations.some((kv) => kv.key === 'provide-api-key' && kv.value === true) ? caller.authKey : undefined;
}
