/** OpenWhisk entity names and paths (EntityName / EntityPath in upstream). Pure. */
import { badRequest } from '../errors.ts';
import { MESSAGES } from '../errors.ts';

/** Upstream's EntityName regex: word characters, then word characters, '@', ' ', '.', '-'. */
const ENTITY_NAME = /^(?:\w|\w[\w@ .-]*[\w@.-])$/;
export const MAX_NAME_LENGTH = 256;

export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && ENTITY_NAME.test(name);
}

export function checkName(name: string): string {
  if (name.length > MAX_NAME_LENGTH) {
    throw badRequest(`Entity name longer than allowed: ${name.length} > ${MAX_NAME_LENGTH}.`);
  }
  if (!isValidName(name)) throw badRequest(MESSAGES.entityNameIllegal);
  return name;
}

export function checkNamespace(namespace: string): string {
  if (!isValidName(namespace)) throw badRequest(MESSAGES.namespaceIllegal);
  return namespace;
}

/** An entity inside a namespace, optionally inside a package: 'pkg/name' or 'name'. */
export interface EntityRef {
  namespace: string;
  pkg: string | undefined;
  name: string;
}

/** The entity's path inside its namespace, as stored and as used in `?name=` filters. */
export function relativePath(ref: { pkg: string | undefined; name: string }): string {
  return ref.pkg === undefined ? ref.name : `${ref.pkg}/${ref.name}`;
}

/** 'guest/pkg' for packaged entities, as OpenWhisk shows an entity's namespace. */
export function entityNamespace(ref: { namespace: string; pkg: string | undefined }): string {
  return ref.pkg === undefined ? ref.namespace : `${ref.namespace}/${ref.pkg}`;
}

/** 'guest/pkg/name', the `path` annotation of activations. */
export function fullPath(ref: EntityRef): string {
  return `${entityNamespace(ref)}/${ref.name}`;
}

/**
 * Parses a fully qualified name ('/ns/pkg/a', '/ns/a') or a relative one ('pkg/a', 'a') against a
 * default namespace, as OpenWhisk resolves names in rules, sequences and the CLI.
 */
export function parseQualifiedName(value: string, defaultNamespace: string): EntityRef {
  const absolute = value.startsWith('/');
  const parts = (absolute ? value.slice(1) : value).split('/');
  if (parts.some((p) => p === '')) throw badRequest(`The name '${value}' is not a valid entity name.`);
  let namespace = defaultNamespace;
  if (absolute) {
    if (parts.length < 2) throw badRequest('The fully qualified name of the entity must contain at least the namespace and the name of the entity.');
    namespace = parts.shift()!;
  }
  if (parts.length > 2) throw badRequest(`The name '${value}' is not a valid entity name.`);
  const name = checkName(parts.pop()!);
  const pkg = parts.length === 1 ? checkName(parts[0]!) : undefined;
  return { namespace: namespace === '_' ? defaultNamespace : checkNamespace(namespace), pkg, name };
}

/** '/guest/pkg/a': how sequence components and rule references are written. */
export function qualifiedNameWithLeadingSlash(ref: EntityRef): string {
  return `/${fullPath(ref)}`;
}

/**
 * Parses a name that must carry its namespace: '/ns/a', '/ns/pkg/a' (the leading slash is
 * optional, as in upstream's EntityPath). `_` stands for `defaultNamespace`.
 */
export function parseFullyQualifiedName(value: string, defaultNamespace: string): EntityRef {
  const parts = (value.startsWith('/') ? value.slice(1) : value).split('/');
  if (parts.length < 2) throw badRequest(MESSAGES.malformedQualifiedName);
  if (parts.length > 3 || parts.some((p) => p === '')) throw badRequest(`The name '${value}' is not a valid entity name.`);
  const [namespace, ...rest] = parts as [string, ...string[]];
  const name = checkName(rest.pop()!);
  const pkg = rest.length === 1 ? checkName(rest[0]!) : undefined;
  return { namespace: namespace === '_' ? defaultNamespace : checkNamespace(namespace), pkg, name };
}
