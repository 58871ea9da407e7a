/**
 * Finds actions through packages and bindings, merges their parameters (package < binding <
 * action) and enforces who may see what: a namespace's own entities, and other namespaces'
 * published packages (not their bindings) with the actions in them.
 */
import { ApiError, forbidden, notFound } from './errors.ts';
import type { ActionDoc } from './openwhisk/action.ts';
import { mergeKeyValues, type KeyValue } from './openwhisk/keyvalues.ts';
import { parseFullyQualifiedName, type EntityRef } from './openwhisk/names.ts';
import { isShared, type PackageDoc } from './openwhisk/package.ts';
import type { EntityStore } from './store/entities.ts';

export interface ResolvedPackage {
  /** The package that holds the actions (the bound one, for a binding). */
  pkg: PackageDoc;
  /** The binding the name referred to, if it was one. */
  binding: PackageDoc | undefined;
  /** The package's parameters with the binding's laid over them. */
  parameters: KeyValue[];
}

export interface ResolvedAction {
  /** The stored action with the package and binding parameters merged under its own. */
  action: ActionDoc;
  /** 'ns/binding' when reached through a binding: the activation's `binding` annotation. */
  binding: string | undefined;
}

export class Resolver {
  private readonly entities: EntityStore;

  constructor(entities: EntityStore) {
    this.entities = entities;
  }

  /** Whether `caller` may read a package of `namespace` without owning it. */
  isSharedPackage(namespace: string, name: string): boolean {
    const doc = this.entities.get<PackageDoc>(namespace, 'packages', name);
    return doc !== undefined && isShared(doc);
  }

  /**
   * A package or binding `caller` may read. Another namespace's package that is missing, private
   * or a binding is 403 (as upstream: no telling which); one's own missing package is 404.
   */
  readablePackage(namespace: string, name: string, caller: string): PackageDoc {
    const doc = this.entities.get<PackageDoc>(namespace, 'packages', name);
    if (namespace === caller) {
      if (!doc) throw notFound();
      return doc;
    }
    if (!doc || !isShared(doc)) throw forbidden();
    return doc;
  }

  /** Follows a binding one step (bindings cannot refer to bindings) to the package holding the actions. */
  resolvePackage(namespace: string, name: string, caller: string): ResolvedPackage {
    const doc = this.readablePackage(namespace, name, caller);
    if (!doc.binding) return { pkg: doc, binding: undefined, parameters: doc.parameters };
    const { namespace: boundNamespace, name: boundName } = doc.binding;
    const bound = this.entities.get<PackageDoc>(boundNamespace, 'packages', boundName);
    if (!bound || bound.binding) throw notFound();
    // A binding stays usable only while the package it refers to is still shared with its owner.
    if (boundNamespace !== caller && !isShared(bound)) throw forbidden();
    return { pkg: bound, binding: doc, parameters: mergeKeyValues(bound.parameters, doc.parameters) };
  }

  /** Resolves an action reference for `caller`; throws 404 or 403 as the API answers them. */
  resolveAction(ref: EntityRef, caller: string): ResolvedAction {
    if (ref.pkg === undefined) {
      if (ref.namespace !== caller) throw forbidden();
      const action = this.entities.get<ActionDoc>(ref.namespace, 'actions', ref.name);
      if (!action) throw notFound();
      return { action, binding: undefined };
    }
    const resolved = this.resolvePackage(ref.namespace, ref.pkg, caller);
    const action = this.entities.get<ActionDoc>(resolved.pkg.namespace, 'actions', `${resolved.pkg.name}/${ref.name}`);
    if (!action) throw notFound();
    const merged = resolved.parameters.length === 0 ? action : { ...action, parameters: mergeKeyValues(resolved.parameters, action.parameters) };
    return { action: merged, binding: resolved.binding ? `${resolved.binding.namespace}/${resolved.binding.name}` : undefined };
  }

  /** A sequence component ('/ns/[pkg/]name') for `caller`; undefined when missing or not visible. */
  findComponent(component: string, caller: string): ResolvedAction | undefined {
    return this.findAction(component, caller);
  }

  /** Like resolveAction, but a missing or inaccessible action is undefined. */
  findAction(ref: EntityRef | string, caller: string): ResolvedAction | undefined {
    try {
      return this.resolveAction(typeof ref === 'string' ? parseFullyQualifiedName(ref, caller) : ref, caller);
    } catch (error) {
      if (error instanceof ApiError) return undefined;
      throw error;
    }
  }
}
