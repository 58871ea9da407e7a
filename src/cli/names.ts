/**
 * Entity names as wsk reads them: `name`, `pkg/name`, `/ns/name`, `/ns/pkg/name`. A name without
 * a namespace takes the configured one (`_`: the key's own). Pure.
 */
import { UsageError } from './errors.ts';

export interface QualifiedName {
  namespace: string;
  pkg: string | undefined;
  name: string;
}

export function parseName(value: string, defaultNamespace: string, what = 'name'): QualifiedName {
  const absolute = value.startsWith('/');
  const parts = (absolute ? value.slice(1) : value).split('/');
  if (parts.some((p) => p === '')) throw new UsageError(`'${value}' is not a valid ${what}`);
  let namespace = defaultNamespace;
  if (absolute) {
    if (parts.length < 2) throw new UsageError(`'${value}' is not a valid ${what}: a name with a leading '/' needs the namespace and the name`);
    namespace = parts.shift()!;
  }
  if (parts.length > 2) throw new UsageError(`'${value}' is not a valid ${what}: too many '/'`);
  const name = parts.pop()!;
  return { namespace, pkg: parts[0], name };
}

/** A name that may not be inside a package (triggers, rules, packages). */
export function parseSimpleName(value: string, defaultNamespace: string, what: string): QualifiedName {
  const q = parseName(value, defaultNamespace, what);
  if (q.pkg !== undefined) throw new UsageError(`'${value}' is not a valid ${what}: ${what}s are not inside packages`);
  return q;
}

/** `/ns` or `ns` as the optional argument of list commands; `undefined` → the configured namespace. */
export function parseNamespace(value: string | undefined, defaultNamespace: string): string {
  if (value === undefined) return defaultNamespace;
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (trimmed === '' || trimmed.includes('/')) throw new UsageError(`'${value}' is not a namespace`);
  return trimmed;
}

/** `pkg/name` or `name`: the path inside the namespace. */
export function entityPath(q: QualifiedName): string {
  return q.pkg === undefined ? q.name : `${q.pkg}/${q.name}`;
}

/** `/ns/pkg/name`. */
export function fullName(q: QualifiedName): string {
  return `/${q.namespace}/${entityPath(q)}`;
}
