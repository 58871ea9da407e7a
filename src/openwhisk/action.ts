/** The action entity: how a PUT body becomes a stored document, and how it is shown. Pure. */
import { entityHead } from './entity.ts';
import { badRequest } from '../errors.ts';
import { isSequence, parseActionExec, type Exec } from './exec.ts';
import { parseKeyValues, withValue, type KeyValue } from './keyvalues.ts';
import { DEFAULT_LIMITS, mergeLimits, type ActionLimits } from './limits.ts';
import { entityNamespace } from './names.ts';
import { bumpPatch, INITIAL_VERSION } from './version.ts';

export interface ActionDoc {
  namespace: string;
  pkg: string | undefined;
  name: string;
  version: string;
  publish: boolean;
  exec: Exec;
  parameters: KeyValue[];
  limits: ActionLimits;
  annotations: KeyValue[];
  updated: number;
}

type Body = Record<string, unknown>;

function asBody(input: unknown): Body {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The request content was malformed: expected a JSON object.');
  return input as Body;
}

function parsePublish(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw badRequest('publish must be a boolean.');
  return value;
}

/** Upstream adds `exec: <kind>` always, and `provide-api-key: false` on create unless given. */
function systemAnnotations(annotations: KeyValue[], exec: Exec, creating: boolean): KeyValue[] {
  let out = withValue(annotations, 'exec', exec.kind);
  if (creating && !out.some((kv) => kv.key === 'provide-api-key')) out = withValue(out, 'provide-api-key', false);
  return out;
}

/**
 * A new binary exec must be a readable archive with an entry module (archive.ts): a bad zip is a
 * 400 when it is stored, not a failed activation later. Apart from createAction and updateAction,
 * and async, because archive.ts and fflate load at the first binary action: fflate builds its
 * tables when loaded, which has V8 compile them, about 5 MB of every server's memory otherwise.
 */
export async function checkNewExec(exec: Exec): Promise<void> {
  if (!isSequence(exec) && exec.binary) (await import('./archive.ts')).checkActionArchive(exec);
}

export function createAction(
  ref: { namespace: string; pkg: string | undefined; name: string },
  input: unknown,
  now: number,
): ActionDoc {
  const body = asBody(input);
  if (body.exec === undefined) throw badRequest('exec undefined');
  const exec = parseActionExec(body.exec, ref.namespace);
  return {
    ...ref,
    version: INITIAL_VERSION,
    publish: parsePublish(body.publish, false),
    exec,
    parameters: isSequence(exec) ? sequenceParameters(exec.components) : parseKeyValues(body.parameters, 'parameters'),
    limits: mergeLimits(body.limits, DEFAULT_LIMITS),
    annotations: systemAnnotations(parseKeyValues(body.annotations, 'annotations'), exec, true),
    updated: now,
  };
}

/** Update merges: omitted fields keep their old values; `delAnnotations` removes keys. */
export function updateAction(old: ActionDoc, input: unknown, now: number): ActionDoc {
  const body = asBody(input);
  const exec = body.exec === undefined || body.exec === null ? old.exec : parseActionExec(body.exec, old.namespace);
  let annotations = body.annotations === undefined || body.annotations === null
    ? old.annotations
    : parseKeyValues(body.annotations, 'annotations');
  if (body.delAnnotations !== undefined) {
    if (!Array.isArray(body.delAnnotations) || body.delAnnotations.some((k) => typeof k !== 'string')) {
      throw badRequest('delAnnotations must be an array of strings.');
    }
    const remove = new Set(body.delAnnotations as string[]);
    annotations = annotations.filter((kv) => !remove.has(kv.key));
  }
  return {
    ...old,
    version: bumpPatch(old.version),
    publish: parsePublish(body.publish, old.publish),
    exec,
    parameters: updatedParameters(old, exec, body.parameters),
    limits: mergeLimits(body.limits, old.limits),
    annotations: systemAnnotations(annotations, exec, false),
    updated: now,
  };
}

/**
 * Upstream keeps a sequence's components in a `_actions` parameter too (a leftover of sequences
 * once run by a system action); other parameters of a sequence are discarded.
 */
function sequenceParameters(components: string[]): KeyValue[] {
  return [{ key: '_actions', value: components }];
}

/** Upstream's rule: a sequence's parameters are always its components; a former sequence's are not inherited. */
function updatedParameters(old: ActionDoc, exec: Exec, given: unknown): KeyValue[] {
  if (isSequence(exec)) return sequenceParameters(exec.components);
  if (given !== undefined && given !== null) return parseKeyValues(given, 'parameters');
  return isSequence(old.exec) ? [] : old.parameters;
}

function execView(exec: Exec, includeCode: boolean): Body {
  if (isSequence(exec)) return { kind: exec.kind, components: exec.components };
  const view: Body = { kind: exec.kind, binary: exec.binary };
  // A blackbox action without code has none to show (its image runs its own action).
  if (includeCode && !(exec.image !== undefined && exec.code === '')) view.code = exec.code;
  if (exec.main !== undefined) view.main = exec.main;
  if (exec.image !== undefined) view.image = exec.image;
  return view;
}

/** The action as `GET` returns it; `code: false` leaves the code out. */
export function actionView(doc: ActionDoc, includeCode = true): Body {
  const exec = execView(doc.exec, includeCode);
  return {
    ...entityHead(doc, entityNamespace(doc)),
    exec,
    parameters: doc.parameters,
    limits: doc.limits,
    updated: doc.updated,
  };
}

/** The list item shape: no parameters, no code. */
export function actionSummary(doc: ActionDoc): Body {
  return {
    ...entityHead(doc, entityNamespace(doc)),
    limits: doc.limits,
    exec: { binary: isSequence(doc.exec) ? false : doc.exec.binary },
    updated: doc.updated,
  };
}
