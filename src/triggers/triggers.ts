/**
 * Firing a trigger, the same way for `POST /triggers/{name}` and for schedules: each active rule
 * invokes its action through the invoker (its own activation, caused by the trigger's), and the
 * trigger's record keeps the payload and one log line per rule (upstream's Triggers.activate).
 */
import type { Clock } from '../clock.ts';
import { ApiError, ERRORS, MESSAGES, notFound } from '../errors.ts';
import { newActivationId } from '../ids.ts';
import type { InvokeRequest, Invoker } from '../invoker.ts';
import { activationResponse, type TriggerActivation } from '../openwhisk/activation.ts';
import { toObject } from '../openwhisk/keyvalues.ts';
import { fromPathName, pathNameString, type RuleDoc } from '../openwhisk/rule.ts';
import { ruleLogLine, type RuleLink, type TriggerDoc } from '../openwhisk/trigger.ts';
import type { Resolver } from '../resolver.ts';
import type { ActivationStore } from '../store/activations.ts';
import type { EntityStore } from '../store/entities.ts';

export interface FireRequest {
  /** The trigger's namespace, which is also the caller's: triggers are private. */
  namespace: string;
  name: string;
  subject: string;
  /** The caller's credential ('' for schedules, which run as the owner whose key is stored hashed). */
  authKey: string;
  payload: Record<string, unknown>;
  /** A REST fire's request headers: the actions get them as `__ow_headers` (OpenWhisk 2.0). */
  headers?: Record<string, string>;
  transactionId: string;
}

export interface TriggersDeps {
  entities: EntityStore;
  resolver: Resolver;
  invoker: Invoker;
  activations: ActivationStore;
  clock: Clock;
}

export class Triggers {
  private readonly deps: TriggersDeps;

  constructor(deps: TriggersDeps) {
    this.deps = deps;
  }

  /**
   * Fires `request.name`: the trigger activation's id, or undefined when no rule is active (then
   * nothing is recorded, as upstream answers 204). A missing trigger is 404.
   */
  async fire(request: FireRequest): Promise<string | undefined> {
    const { entities, activations, clock } = this.deps;
    const trigger = entities.get<TriggerDoc>(request.namespace, 'triggers', request.name);
    if (!trigger) throw notFound();
    const rules = Object.entries(trigger.rules);
    if (!rules.some(([, link]) => link.status === 'active')) return undefined;

    const activationId = newActivationId();
    const start = clock.now();
    const args: Record<string, unknown> = { ...toObject(trigger.parameters) };
    if (request.headers) args.__ow_headers = request.headers;
    Object.assign(args, request.payload);
    // Inactive rules get a log line too, saying their action was not activated.
    const logs = rules.map(([rule, link]) => this.activateRule(request, activationId, rule, link, args));
    const record: TriggerActivation = {
      activationId,
      namespace: request.namespace,
      name: trigger.name,
      version: trigger.version,
      subject: request.subject,
      publish: false,
      start,
      response: activationResponse(0, request.payload),
      logs,
      annotations: [],
    };
    await activations.write(record, trigger.name);
    return activationId;
  }

  /** Deletes a trigger; with `withRules` also the rules on it (the once alarm's deleteAfterFire: 'rules'). */
  remove(namespace: string, name: string, withRules: boolean): TriggerDoc | undefined {
    const { entities } = this.deps;
    const trigger = entities.get<TriggerDoc>(namespace, 'triggers', name);
    if (!trigger) return undefined;
    if (withRules) {
      for (const rule of Object.keys(trigger.rules)) {
        const [ruleNamespace, ruleName] = splitRuleKey(rule);
        const doc = entities.get<RuleDoc>(ruleNamespace, 'rules', ruleName);
        if (doc && doc.trigger.path === namespace && doc.trigger.name === name) entities.delete(ruleNamespace, 'rules', ruleName);
      }
    }
    entities.delete(namespace, 'triggers', name);
    return trigger;
  }

  private activateRule(request: FireRequest, cause: string, rule: string, link: RuleLink, args: Record<string, unknown>): string {
    const action = pathNameString(link.action);
    if (link.status !== 'active') return ruleLogLine(rule, action, { statusCode: 1, error: MESSAGES.triggerWithInactiveRule(rule, action) });
    try {
      const resolved = this.deps.resolver.resolveAction(fromPathName(link.action), request.namespace);
      const invoke: InvokeRequest = {
        action: resolved.action,
        params: args,
        namespace: request.namespace,
        subject: request.subject,
        authKey: request.authKey,
        transactionId: request.transactionId,
        received: this.deps.clock.now(),
        cause,
      };
      if (resolved.binding !== undefined) invoke.binding = resolved.binding;
      const invocation = this.deps.invoker.invoke(invoke);
      invocation.done.catch((error: unknown) => console.error(`activation ${invocation.activationId} (rule ${rule}) not recorded:`, error));
      return ruleLogLine(rule, action, { statusCode: 0, activationId: invocation.activationId });
    } catch (error) {
      // As if the action had been invoked over HTTP: a 4xx is an application error, anything else the system's.
      if (error instanceof ApiError) return ruleLogLine(rule, action, { statusCode: error.status >= 500 ? 3 : 1, error: error.message });
      console.error(`trigger ${request.namespace}/${request.name}: rule ${rule}:`, error);
      return ruleLogLine(rule, action, { statusCode: 3, error: ERRORS.internal.message });
    }
  }
}

/** Rule keys in a trigger are 'namespace/name'. */
export function splitRuleKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
