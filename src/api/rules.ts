/**
 * /namespaces/{ns}/rules: CRUD and enable/disable. As upstream, a rule's status is kept on its
 * trigger (the link fire reads), so a rule whose trigger is gone shows as inactive.
 */
import { ApiError, badRequest, conflict, forbidden, MESSAGES, notFound } from '../errors.ts';
import { checkName, fullPath, type EntityRef } from '../openwhisk/names.ts';
import { createRule, fromPathName, parseRulePut, parseRuleStatus, ruleView, updateRule, type RuleDoc } from '../openwhisk/rule.ts';
import { withRule, type RuleStatus, type TriggerDoc } from '../openwhisk/trigger.ts';
import type { HttpReply } from '../server/http.ts';
import { jsonBody } from './body.ts';
import type { AuthedRequest, Deps } from './context.ts';
import { flag, listPaging } from './query.ts';
import { json } from './reply.ts';

export function handleRules(request: AuthedRequest, rest: string[], deps: Deps): HttpReply {
  if (rest.length === 0) {
    if (request.method !== 'GET') throw new ApiError('methodNotAllowed');
    const paging = listPaging(request.query, 'rules');
    if (flag(request.query, 'count')) return json(200, { rules: deps.entities.count(request.namespace, 'rules') });
    const docs = deps.entities.list<RuleDoc>(request.namespace, 'rules', paging);
    return json(200, docs.map((doc) => ruleView(doc, statusOf(deps, doc))));
  }
  if (rest.length > 1) throw notFound();
  const name = checkName(rest[0]!);
  switch (request.method) {
    case 'GET': {
      const doc = load(request, deps, name);
      return json(200, ruleView(doc, statusOf(deps, doc)));
    }
    case 'PUT':
      return put(request, deps, name);
    case 'DELETE':
      return remove(request, deps, name);
    case 'POST':
      return setStatus(request, deps, name);
    default:
      throw new ApiError('methodNotAllowed');
  }
}

const ruleKey = (rule: RuleDoc): string => `${rule.namespace}/${rule.name}`;

function load(request: AuthedRequest, deps: Deps, name: string): RuleDoc {
  const doc = deps.entities.get<RuleDoc>(request.namespace, 'rules', name);
  if (!doc) throw notFound();
  return doc;
}

function triggerOf(deps: Deps, rule: RuleDoc): TriggerDoc | undefined {
  return deps.entities.get<TriggerDoc>(rule.trigger.path, 'triggers', rule.trigger.name);
}

export function statusOf(deps: Deps, rule: RuleDoc): RuleStatus {
  return triggerOf(deps, rule)?.rules[ruleKey(rule)]?.status ?? 'inactive';
}

/** Upstream's checks on a rule's references: both must exist (400 otherwise) and be readable. */
function checkReferences(deps: Deps, trigger: EntityRef, action: EntityRef, caller: string): TriggerDoc {
  if (trigger.namespace !== caller) throw forbidden();
  const triggerDoc = trigger.pkg === undefined ? deps.entities.get<TriggerDoc>(trigger.namespace, 'triggers', trigger.name) : undefined;
  if (!triggerDoc) throw badRequest(`trigger /${fullPath(trigger)} does not exist`);
  try {
    deps.resolver.resolveAction(action, caller);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw badRequest(`action /${fullPath(action)} does not exist`);
    throw error;
  }
  return triggerDoc;
}

function put(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  const content = parseRulePut(jsonBody(request), request.namespace);
  const existing = deps.entities.get<RuleDoc>(request.namespace, 'rules', name);
  if (existing && !flag(request.query, 'overwrite')) throw conflict();
  const now = deps.clock.now();
  const rule = existing ? updateRule(existing, content, now) : createRule({ namespace: request.namespace, name }, content, now);
  const caller = request.identity.namespace;
  const trigger = checkReferences(deps, fromPathName(rule.trigger), fromPathName(rule.action), caller);
  // New rules are active; an updated one keeps its status, moving with it to a new trigger.
  const status: RuleStatus = existing ? statusOf(deps, existing) : 'active';
  const oldTrigger = existing ? triggerOf(deps, existing) : undefined;
  if (oldTrigger && (oldTrigger.namespace !== trigger.namespace || oldTrigger.name !== trigger.name)) {
    deps.entities.put(oldTrigger.namespace, 'triggers', oldTrigger.name, withRule(oldTrigger, ruleKey(rule), undefined));
  }
  deps.entities.put(trigger.namespace, 'triggers', trigger.name, withRule(trigger, ruleKey(rule), { action: rule.action, status }));
  deps.entities.put(request.namespace, 'rules', name, rule);
  return json(200, ruleView(rule, status));
}

/** Works in any state, also when the trigger is gone. */
function remove(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  const rule = load(request, deps, name);
  const trigger = triggerOf(deps, rule);
  if (trigger && trigger.rules[ruleKey(rule)]) {
    deps.entities.put(trigger.namespace, 'triggers', trigger.name, withRule(trigger, ruleKey(rule), undefined));
  }
  deps.entities.delete(request.namespace, 'rules', name);
  return json(200, ruleView(rule, 'inactive'));
}

function setStatus(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  const rule = load(request, deps, name);
  const status = parseRuleStatus(jsonBody(request));
  const trigger = triggerOf(deps, rule);
  if (!trigger) throw notFound(MESSAGES.ruleNeedsExistingTrigger);
  if (trigger.rules[ruleKey(rule)]?.status !== status) {
    deps.entities.put(trigger.namespace, 'triggers', trigger.name, withRule(trigger, ruleKey(rule), { action: rule.action, status }));
  }
  return json(200, ruleView(rule, status));
}
