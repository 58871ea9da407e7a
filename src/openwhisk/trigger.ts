/** The trigger entity: PUT bodies, the stored document with its rule links, wire views. Pure. */
import { entityHead } from './entity.ts';
import { badRequest, MESSAGES } from '../errors.ts';
import { getValue, parseKeyValues, type KeyValue } from './keyvalues.ts';
import { isValidName } from './names.ts';
import { bumpPatch, INITIAL_VERSION } from './version.ts';

export type RuleStatus = 'active' | 'inactive';

/** An entity reference as upstream writes it inside documents: {path: 'guest/pkg', name: 'a'}. */
export interface PathName {
  path: string;
  name: string;
}

/** What a trigger knows of each rule on it (upstream's ReducedRule): fire needs nothing else. */
export interface RuleLink {
  action: PathName;
  status: RuleStatus;
}

export interface TriggerDoc {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  parameters: KeyValue[];
  annotations: KeyValue[];
  /** Upstream accepts and shows trigger limits but defines none. */
  limits: Record<string, never>;
  /** Keyed by the rule's 'namespace/name'. Rule status lives here, as upstream keeps it. */
  rules: Record<string, RuleLink>;
  updated: number;
}

type Body = Record<string, unknown>;

function asBody(input: unknown): Body {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The request content was malformed: expected a JSON object.');
  return input as Body;
}

function optionalKeyValues(value: unknown, field: string): KeyValue[] | undefined {
  return value === undefined || value === null ? undefined : parseKeyValues(value, field);
}

function parsePublish(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badRequest('publish must be a boolean.');
  return value;
}

/** A `feed` annotation must name an entity path, e.g. '/whisk.system/alarms/alarm'. */
function checkFeed(annotations: KeyValue[]): KeyValue[] {
  const feed = annotations.find((kv) => kv.key === 'feed');
  if (!feed) return annotations;
  const value = feed.value;
  const segments = typeof value === 'string' ? (value.startsWith('/') ? value.slice(1) : value).split('/') : [];
  if (segments.length === 0 || !segments.every(isValidName)) throw badRequest(MESSAGES.feedNameInvalid);
  return annotations;
}

export function createTrigger(ref: { namespace: string; name: string }, input: unknown, now: number): TriggerDoc {
  const body = asBody(input);
  return {
    namespace: ref.namespace,
    name: ref.name,
    version: INITIAL_VERSION,
    publish: parsePublish(body.publish) ?? false,
    parameters: optionalKeyValues(body.parameters, 'parameters') ?? [],
    annotations: checkFeed(optionalKeyValues(body.annotations, 'annotations') ?? []),
    limits: {},
    rules: {},
    updated: now,
  };
}

/** Update merges omitted fields from the old document and keeps its rules. */
export function updateTrigger(old: TriggerDoc, input: unknown, now: number): TriggerDoc {
  const body = asBody(input);
  return {
    ...old,
    version: bumpPatch(old.version),
    publish: parsePublish(body.publish) ?? old.publish,
    parameters: optionalKeyValues(body.parameters, 'parameters') ?? old.parameters,
    annotations: checkFeed(optionalKeyValues(body.annotations, 'annotations') ?? old.annotations),
    updated: now,
  };
}

/** The trigger with a rule linked (or unlinked); like upstream, this is not an update of the trigger. */
export function withRule(trigger: TriggerDoc, rule: string, link: RuleLink | undefined): TriggerDoc {
  const rules = { ...trigger.rules };
  if (link) rules[rule] = link;
  else delete rules[rule];
  return { ...trigger, rules };
}

/** The trigger as GET, PUT and DELETE return it; `rules` only once it has any. */
export function triggerView(doc: TriggerDoc): Body {
  const view: Body = {
    ...entityHead(doc),
    parameters: doc.parameters,
    limits: doc.limits,
    updated: doc.updated,
  };
  if (Object.keys(doc.rules).length > 0) view.rules = doc.rules;
  return view;
}

export function triggerSummary(doc: TriggerDoc): Body {
  return {
    ...entityHead(doc),
    updated: doc.updated,
  };
}

/** The feed action a trigger was created with, if any. */
export function triggerFeed(doc: TriggerDoc): string | undefined {
  const feed = getValue(doc.annotations, 'feed');
  return typeof feed === 'string' ? feed : undefined;
}

/** One line of a trigger activation's logs: what became of one rule (upstream's RuleActivationResult). */
export function ruleLogLine(
  rule: string,
  action: string,
  outcome: { statusCode: 0 | 1 | 2 | 3; activationId: string } | { statusCode: 0 | 1 | 2 | 3; error: string },
): string {
  const line: Body = { rule, action, statusCode: outcome.statusCode, success: outcome.statusCode === 0 };
  if ('activationId' in outcome) line.activationId = outcome.activationId;
  else line.error = outcome.error;
  return JSON.stringify(line);
}
