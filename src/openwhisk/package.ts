/** The package entity and package bindings: PUT bodies, stored documents, wire views. Pure. */
import { entityHead } from './entity.ts';
import { badRequest, MESSAGES } from '../errors.ts';
import type { ActionDoc } from './action.ts';
import { mergeKeyValues, parseKeyValues, withValue, type KeyValue } from './keyvalues.ts';
import { checkName, checkNamespace } from './names.ts';
import { bumpPatch, INITIAL_VERSION } from './version.ts';

/** Upstream reserves `default`: it names the default package in web action URLs. */
export const RESERVED_PACKAGE_NAMES: ReadonlySet<string> = new Set(['default']);

export interface Binding {
  namespace: string;
  name: string;
}

export interface PackageDoc {
  namespace: string;
  name: string;
  /** Set for a binding: the package it refers to. */
  binding: Binding | undefined;
  version: string;
  publish: boolean;
  parameters: KeyValue[];
  annotations: KeyValue[];
  updated: number;
}

/** What a PUT body says; absent fields keep their old values on update. */
export interface PackagePut {
  /** undefined when not given or given as `{}`; an update never turns a binding back into a package. */
  binding: Binding | undefined;
  parameters: KeyValue[] | undefined;
  annotations: KeyValue[] | undefined;
  publish: boolean | undefined;
}

type Body = Record<string, unknown>;

/** Parses a package PUT body; a binding's `_` namespace becomes `namespace` (the package's own). */
export function parsePackagePut(input: unknown, namespace: string): PackagePut {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The request content was malformed: expected a JSON object.');
  const body = input as Body;
  if (body.publish !== undefined && body.publish !== null && typeof body.publish !== 'boolean') throw badRequest('publish must be a boolean.');
  return {
    binding: parseBinding(body.binding, namespace),
    parameters: body.parameters === undefined || body.parameters === null ? undefined : parseKeyValues(body.parameters, 'parameters'),
    annotations: body.annotations === undefined || body.annotations === null ? undefined : parseKeyValues(body.annotations, 'annotations'),
    publish: typeof body.publish === 'boolean' ? body.publish : undefined,
  };
}

function parseBinding(input: unknown, namespace: string): Binding | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw badRequest('binding must be an object {namespace, name}.');
  const raw = input as Body;
  if (Object.keys(raw).length === 0) return undefined;
  if (typeof raw.namespace !== 'string' || typeof raw.name !== 'string') throw badRequest('binding must be an object {namespace, name}.');
  return { namespace: raw.namespace === '_' ? namespace : checkNamespace(raw.namespace), name: checkName(raw.name) };
}

export function checkPackageName(name: string): string {
  if (RESERVED_PACKAGE_NAMES.has(name)) throw badRequest(MESSAGES.packageNameIsReserved(name));
  return name;
}

/** The controller always sets the `binding` annotation itself (clients that only list packages read it). */
function bindingAnnotation(annotations: KeyValue[], binding: Binding | undefined): KeyValue[] {
  const others = annotations.filter((kv) => kv.key !== 'binding');
  return binding ? withValue(others, 'binding', { namespace: binding.namespace, name: binding.name }) : others;
}

export function createPackage(ref: { namespace: string; name: string }, put: PackagePut, now: number): PackageDoc {
  const binding = put.binding;
  return {
    namespace: ref.namespace,
    name: ref.name,
    binding,
    version: INITIAL_VERSION,
    publish: put.publish ?? false,
    parameters: put.parameters ?? [],
    annotations: bindingAnnotation(put.annotations ?? [], binding),
    updated: now,
  };
}

/** Update merges; a package cannot become a binding (the caller checks, it needs the old doc's kind). */
export function updatePackage(old: PackageDoc, put: PackagePut, now: number): PackageDoc {
  const binding = put.binding ?? old.binding;
  return {
    ...old,
    binding,
    version: bumpPatch(old.version),
    publish: put.publish ?? old.publish,
    parameters: put.parameters ?? old.parameters,
    annotations: bindingAnnotation(put.annotations ?? old.annotations, binding),
    updated: now,
  };
}

/** The package as PUT and DELETE return it. */
export function packageView(doc: PackageDoc): Body {
  return {
    ...entityHead(doc),
    parameters: doc.parameters,
    binding: doc.binding ? { namespace: doc.binding.namespace, name: doc.binding.name } : {},
    updated: doc.updated,
  };
}

/**
 * The package as GET returns it: its actions, split into `actions` and `feeds` (annotated `feed`).
 * For a binding, `bound` is the package it refers to: the binding's parameters are laid over it,
 * and the actions are the bound package's.
 */
export function packageWithActions(doc: PackageDoc, actions: ActionDoc[], bound?: PackageDoc): Body {
  const view = packageView(bound ? { ...doc, parameters: mergeKeyValues(bound.parameters, doc.parameters) } : doc);
  const item = (a: ActionDoc): Body => ({ name: a.name, version: a.version, annotations: a.annotations });
  const isFeed = (a: ActionDoc): boolean => a.annotations.some((kv) => kv.key === 'feed');
  view.actions = actions.filter((a) => !isFeed(a)).map(item);
  view.feeds = actions.filter(isFeed).map(item);
  return view;
}

/** The list item: `binding` is false for a package, {namespace, name} for a binding. */
export function packageSummary(doc: PackageDoc): Body {
  return {
    ...entityHead(doc),
    binding: doc.binding ? { namespace: doc.binding.namespace, name: doc.binding.name } : false,
    updated: doc.updated,
  };
}

/** Published and not a binding: what other namespaces may read and invoke. */
export function isShared(doc: PackageDoc): boolean {
  return doc.publish && doc.binding === undefined;
}
