/**
 * Invocation: action → runner → activation record. Resolves what the action sees (parameters,
 * __OW_* environment), runs it, builds OpenWhisk's activation record and persists it.
 */
import type { Clock } from './clock.ts';
import { newActivationId } from './ids.ts';
import type { Admission } from './limits/throttle.ts';
import type { ActionDoc } from './openwhisk/action.ts';
import { activationRecord, activationResponse, type Activation } from './openwhisk/activation.ts';
import { getValue, toObject, type KeyValue } from './openwhisk/keyvalues.ts';
import { SYSTEM_LIMITS } from './openwhisk/limits.ts';
import { entityNamespace, relativePath } from './openwhisk/names.ts';
import { isSequence } from './openwhisk/exec.ts';
import type { ResolvedAction } from './resolver.ts';
import { runSequence, type SequenceAccounting, type SequenceContext } from './sequences.ts';
import type { ActivationStore } from './store/activations.ts';
import { callerApiKey, type Runner, type RunnableAction } from './runners/runner.ts';

export interface InvokeRequest {
  action: ActionDoc;
  /** Invoke-time parameters; they override the action's defaults. */
  params: Record<string, unknown>;
  /** The caller: its namespace owns the activation record. */
  namespace: string;
  subject: string;
  authKey: string;
  transactionId: string;
  /** When the request arrived (for waitTime), epoch ms. */
  received: number;
  cause?: string;
  /** Set on the activations a sequence runs: upstream's `causedBy` annotation. */
  causedBy?: 'sequence';
  /** 'ns/binding' when the action was reached through a package binding. */
  binding?: string;
  /** Shared by nested sequences: atomic actions run so far by the outermost one. */
  sequenceAccounting?: SequenceAccounting;
  /** 'failures' skips the record of a successful activation (web calls, as Adobe does). Default 'always'. */
  record?: 'always' | 'failures';
  /**
   * 'durable' (default): the activation settles once its record is committed, so whoever answers
   * after it answers for a stored record. 'eventual': committed shortly after, with others (web
   * calls; upstream too answers those before the record is stored).
   */
  recordCommit?: 'durable' | 'eventual';
}

export interface Invocation {
  activationId: string;
  /** Settles with the record once it is persisted. */
  done: Promise<Activation>;
}

export interface InvokerDeps {
  runner: Runner;
  activations: ActivationStore;
  clock: Clock;
  apiHost: string;
  /** Finds a sequence component for a caller (through packages and bindings); undefined when missing. */
  resolveComponent?: (component: string, caller: string) => ResolvedAction | undefined;
  /** Called as each activation starts, before its action runs. */
  onStart?: () => void;
  /** Sees every finished activation (metrics). */
  onActivation?: (activation: Activation) => void;
  /** Throttles and the in-flight bound (src/limits): top-level activations are admitted here. */
  admission?: Admission;
}

/** The key that identifies one version of an action's code in warm pools. */
export function actionKey(action: ActionDoc): string {
  return `${actionKeyPrefix(action)}${action.version}#${action.updated}`;
}

/** Every version of one action: what `Runner.invalidate` takes after an update or delete. */
export function actionKeyPrefix(action: { namespace: string; pkg: string | undefined; name: string }): string {
  return `${action.namespace}/${relativePath(action)}@`;
}

interface Runnable {
  runnable: RunnableAction;
  /** The action's default parameters as an object. */
  defaults: Record<string, unknown>;
  /** `namespace/[package/]name`: the record's `path` annotation; `__OW_ACTION_NAME` is it with a leading slash. */
  path: string;
}

/**
 * What the runner needs of an action, derived once per action document: the entity cache hands out
 * the same document until the action changes, so warm calls skip rebuilding it.
 */
const RUNNABLES = new WeakMap<ActionDoc, Runnable>();

function runnableOf(action: ActionDoc): Runnable {
  let derived = RUNNABLES.get(action);
  if (derived !== undefined) return derived;
  const { exec } = action;
  if (isSequence(exec)) throw new Error('sequences run through runSequence');
  const runnable: RunnableAction = {
    key: actionKey(action),
    kind: exec.kind,
    code: exec.code,
    binary: exec.binary,
    main: exec.main ?? 'main',
    limits: action.limits,
  };
  if (exec.image !== undefined) runnable.image = exec.image;
  const initParams = action.parameters.filter((kv) => kv.init === true);
  if (initParams.length > 0) runnable.initParams = toObject(initParams);
  derived = { runnable, defaults: toObject(action.parameters), path: `${entityNamespace(action)}/${action.name}` };
  RUNNABLES.set(action, derived);
  return derived;
}

export class Invoker {
  private readonly deps: InvokerDeps;
  /**
   * Activations started and not yet recorded: a count, not a set of them — a long-lived Set with
   * an entry in and out per request keeps the requests' objects alive through young-generation
   * collections (see src/limits/wait.ts).
   */
  private inFlight = 0;
  /** Called once inFlight is back to 0 (drain). */
  private readonly idle: (() => void)[] = [];

  constructor(deps: InvokerDeps) {
    this.deps = deps;
  }

  /** Starts an activation; throws 429/503 (ApiError) when admission refuses a top-level one. */
  invoke(request: InvokeRequest): Invocation {
    // A sequence's components are part of its one admission.
    const admission = request.causedBy === 'sequence' ? undefined : this.deps.admission;
    admission?.admit(request.namespace);
    const activationId = newActivationId();
    const done = isSequence(request.action.exec) ? this.sequence(activationId, request) : this.execute(activationId, request);
    this.inFlight++;
    const settled = (): void => {
      admission?.release(request.namespace);
      if (--this.inFlight === 0 && this.idle.length > 0) for (const wake of this.idle.splice(0)) wake();
    };
    done.then(settled, settled);
    return { activationId, done };
  }

  /** Activations started and not yet recorded. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Waits until every running activation is recorded, or `maxMs` passes; true when all finished. */
  async drain(maxMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => this.idle.push((wake = () => resolve(true)))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), maxMs))),
    ]);
    clearTimeout(timer);
    // A drain that timed out leaves no waiter behind (a later one would otherwise wake it for nothing).
    const left = this.idle.indexOf(wake!);
    if (left >= 0) this.idle.splice(left, 1);
    return finished || this.inFlight === 0;
  }

  private async execute(activationId: string, request: InvokeRequest): Promise<Activation> {
    const { action } = request;
    const now = this.deps.clock.now();
    const { runnable, defaults, path } = runnableOf(action);
    this.deps.onStart?.();
    const result = await this.deps.runner.run({
      action: runnable,
      params: { ...defaults, ...request.params },
      env: this.environment(activationId, request, path, now + action.limits.timeout),
      maxResultBytes: SYSTEM_LIMITS.maxResultSize,
      apiKey: callerApiKey(action, request),
    });
    const annotations: KeyValue[] = [
      { key: 'path', value: path },
      { key: 'waitTime', value: Math.max(0, result.start - request.received) },
      { key: 'kind', value: action.exec.kind },
      { key: 'timeout', value: result.timedOut },
      { key: 'limits', value: action.limits },
    ];
    if (result.initTime !== undefined) annotations.push({ key: 'initTime', value: result.initTime });
    if (request.causedBy !== undefined) annotations.push({ key: 'causedBy', value: request.causedBy });
    if (request.binding !== undefined) annotations.push({ key: 'binding', value: request.binding });
    const record = activationRecord(
      { activationId, namespace: request.namespace, subject: request.subject, name: action.name, version: action.version, cause: request.cause },
      { start: result.start, end: result.end, response: activationResponse(result.statusCode, result.result), logs: result.logs, annotations },
    );
    await this.finish(record, request);
    return record;
  }

  private async finish(record: Activation, request: InvokeRequest): Promise<void> {
    this.deps.onActivation?.(record);
    if (request.record === 'failures' && record.response.success) return;
    const path = relativePath(request.action);
    if (request.recordCommit === 'eventual') {
      // Undefined unless the writer is far behind: then this call waits for the commit too.
      const behind = this.deps.activations.append(record, path);
      if (behind) await behind;
    } else await this.deps.activations.write(record, path);
  }

  private sequence(activationId: string, request: InvokeRequest): Promise<Activation> {
    const context: SequenceContext = {
      clock: this.deps.clock,
      resolve: (component, caller) => this.deps.resolveComponent?.(component, caller),
      invoke: (component) => this.invoke(component),
      finish: (record) => this.finish(record, request),
    };
    return runSequence(context, activationId, request);
  }

  private environment(activationId: string, request: InvokeRequest, path: string, deadline: number): Record<string, string> {
    const { action } = request;
    const env: Record<string, string> = {
      __OW_ACTION_NAME: `/${path}`,
      __OW_ACTION_VERSION: action.version,
      __OW_NAMESPACE: request.namespace,
      __OW_ACTIVATION_ID: activationId,
      __OW_TRANSACTION_ID: request.transactionId,
      __OW_DEADLINE: String(deadline),
      __OW_API_HOST: this.deps.apiHost,
    };
    // Upstream: the key is passed only when the action is annotated provide-api-key (default false).
    // Web calls run as the owner, whose key is only stored hashed: they get none.
    if (getValue(action.annotations, 'provide-api-key') === true && request.authKey !== '') env.__OW_API_KEY = request.authKey;
    return env;
  }
}
