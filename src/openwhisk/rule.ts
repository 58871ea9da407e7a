/** The rule entity: PUT bodies, status changes, the stored document and its wire view. Pure. */
import { entityHead } from './entity.ts';
import { badRequest, MESSAGES } from '../errors.ts';
import { parseKeyValues, type KeyValue } from './keyvalues.ts';
import { entityNamespace, parseFullyQualifiedName, type EntityRef } from './names.ts';
import type { PathName, RuleStatus } from './trigger.ts';
import { bumpPatch, INITIAL_VERSION } from './version.ts';

export interface RuleDoc {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  annotations: KeyValue[];
  trigger: PathName;
  action: PathName;
  updated: number;
}

export interface RulePut {
  trigger: EntityRef | undefined;
  action: EntityRef | undefined;
  publish: boolean | undefined;
  annotations: KeyValue[] | undefined;
}

type Body = Record<string, unknown>;

export function toPathName(ref: EntityRef): PathName {
  return { path: entityNamespace(ref), name: ref.name };
}

export function fromPathName(value: PathName): EntityRef {
  const [namespace, pkg] = value.path.split('/') as [string, string | undefined];
  return { namespace, pkg, name: value.name };
}

/** 'guest/pkg/a': how rules and actions are named in a trigger activation's logs and rule maps. */
export function pathNameString(value: PathName): string {
  return `${value.path}/${value.name}`;
}

/** A reference as upstream reads it: '/ns/[pkg/]name' or {path, name}; `_` is the rule's namespace. */
function parseReference(value: unknown, namespace: string): EntityRef | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return parseFullyQualifiedName(value, namespace);
  if (typeof value === 'object' && !Array.isArray(value)) {
    const { path, name } = value as Body;
    if (typeof path === 'string' && typeof name === 'string') return parseFullyQualifiedName(`${path}/${name}`, namespace);
  }
  throw badRequest(MESSAGES.malformedQualifiedName);
}

export function parseRulePut(input: unknown, namespace: string): RulePut {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The request content was malformed: expected a JSON object.');
  const body = input as Body;
  if (body.publish !== undefined && body.publish !== null && typeof body.publish !== 'boolean') throw badRequest('publish must be a boolean.');
  return {
    trigger: parseReference(body.trigger, namespace),
    action: parseReference(body.action, namespace),
    publish: typeof body.publish === 'boolean' ? body.publish : undefined,
    annotations: body.annotations === undefined || body.annotations === null ? undefined : parseKeyValues(body.annotations, 'annotations'),
  };
}

export function createRule(ref: { namespace: string; name: string }, put: RulePut, now: number): RuleDoc {
  if (!put.trigger || !put.action) throw badRequest(MESSAGES.ruleNeedsTriggerAndAction);
  return {
    namespace: ref.namespace,
    name: ref.name,
    version: INITIAL_VERSION,
    publish: put.publish ?? false,
    annotations: put.annotations ?? [],
    trigger: toPathName(put.trigger),
    action: toPathName(put.action),
    updated: now,
  };
}

export function updateRule(old: RuleDoc, put: RulePut, now: number): RuleDoc {
  return {
    ...old,
    version: bumpPatch(old.version),
    publish: put.publish ?? old.publish,
    annotations: put.annotations ?? old.annotations,
    trigger: put.trigger ? toPathName(put.trigger) : old.trigger,
    action: put.action ? toPathName(put.action) : old.action,
    updated: now,
  };
}

/** The body of `POST /rules/{name}`: {"status": "active" | "inactive"}. */
export function parseRuleStatus(input: unknown): RuleStatus {
  const status = typeof input === 'object' && input !== null ? (input as Body).status : undefined;
  if (status === 'active' || status === 'inactive') return status;
  throw badRequest(MESSAGES.badRuleStatus(typeof status === 'string' ? status : JSON.stringify(status ?? null)));
}

export function ruleView(doc: RuleDoc, status: RuleStatus): Body {
  return {
    ...entityHead(doc),
    status,
    trigger: doc.trigger,
    action: doc.action,
    updated: doc.updated,
  };
}
