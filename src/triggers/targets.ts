/** What schedules fire, wired to the server: trigger fires and action invokes, as the owner. */
import type { Clock } from '../clock.ts';
import { newTransactionId } from '../ids.ts';
import type { Invoker } from '../invoker.ts';
import type { TriggerDoc } from '../openwhisk/trigger.ts';
import type { Resolver } from '../resolver.ts';
import type { EntityStore } from '../store/entities.ts';
import type { AlarmTargets } from './alarms.ts';
import type { Triggers } from './triggers.ts';

export interface TargetDeps {
  entities: EntityStore;
  resolver: Resolver;
  invoker: Invoker;
  triggers: Triggers;
  clock: Clock;
}

/**
 * Scheduled work runs as the trigger's or action's owner. Keys are stored only hashed, so it
 * carries no API key (as web actions, which also run as their owner).
 */
export function alarmTargets(deps: TargetDeps): AlarmTargets {
  return {
    triggerExists: (namespace, name) => deps.entities.get<TriggerDoc>(namespace, 'triggers', name) !== undefined,
    async fireTrigger(namespace, name, payload) {
      if (!deps.entities.get<TriggerDoc>(namespace, 'triggers', name)) return false;
      await deps.triggers.fire({ namespace, name, subject: namespace, authKey: '', payload, transactionId: newTransactionId() });
      return true;
    },
    async invokeAction(namespace, path) {
      const resolved = deps.resolver.findAction(`/${namespace}/${path}`, namespace);
      if (!resolved) return false;
      const invocation = deps.invoker.invoke({
        action: resolved.action,
        params: {},
        namespace,
        subject: namespace,
        authKey: '',
        transactionId: newTransactionId(),
        received: deps.clock.now(),
      });
      invocation.done.catch((error: unknown) => console.error(`scheduled activation ${invocation.activationId} not recorded:`, error));
      return true;
    },
    deleteTrigger(namespace, name, withRules) {
      deps.triggers.remove(namespace, name, withRules);
    },
  };
}
