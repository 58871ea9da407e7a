/**
 * Actions the server implements itself, behind the same Runner seam as user code: the alarms
 * feeds need the server's schedule store, not an isolate. An action of kind `edgewhisk:host` names
 * its handler in `exec.code`; only the server seeds such actions (users cannot create the kind).
 */
import type { StatusCode } from '../openwhisk/activation.ts';
import type { Runner, RunRequest, RunResult } from './runner.ts';

export interface HostCall {
  params: Record<string, unknown>;
  /** The caller's namespace (the activation's owner). */
  namespace: string;
}

export interface HostOutcome {
  statusCode: StatusCode;
  result: unknown;
}

export type HostHandler = (call: HostCall) => HostOutcome | Promise<HostOutcome>;

export class HostRunner implements Runner {
  private readonly handlers = new Map<string, HostHandler>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  register(name: string, handler: HostHandler): void {
    this.handlers.set(name, handler);
  }

  async run(request: RunRequest): Promise<RunResult> {
    const start = this.now();
    const handler = this.handlers.get(request.action.code);
    let outcome: HostOutcome;
    if (!handler) {
      outcome = { statusCode: 3, result: { error: `No built-in action '${request.action.code}'.` } };
    } else {
      try {
        outcome = await handler({ params: request.params, namespace: request.env.__OW_NAMESPACE ?? '' });
      } catch (error) {
        console.error(`built-in action ${request.action.code} failed:`, error);
        outcome = { statusCode: 3, result: { error: 'There was an internal server error.' } };
      }
    }
    return { ...outcome, logs: [], start, end: this.now(), timedOut: false };
  }

  invalidate(): void {}

  async close(): Promise<void> {}
}

/** Runs each action on the runner registered for its kind, all others on `fallback`. */
export class KindRouter implements Runner {
  private readonly fallback: Runner;
  private readonly byKind: ReadonlyMap<string, Runner>;

  constructor(fallback: Runner, byKind: Record<string, Runner>) {
    this.fallback = fallback;
    this.byKind = new Map(Object.entries(byKind));
  }

  run(request: RunRequest): Promise<RunResult> {
    return (this.byKind.get(request.action.kind) ?? this.fallback).run(request);
  }

  invalidate(prefix: string): void {
    this.fallback.invalidate(prefix);
    for (const runner of this.byKind.values()) runner.invalidate(prefix);
  }

  prepare(action: { kind: string; key: string }): void {
    (this.byKind.get(action.kind) ?? this.fallback).prepare?.(action);
  }

  async close(): Promise<void> {
    await Promise.all([this.fallback.close(), ...[...this.byKind.values()].map((r) => r.close())]);
  }
}
