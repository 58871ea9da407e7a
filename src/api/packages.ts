/**
 * /namespaces/{ns}/packages: packages and bindings. Another namespace's published packages can be
 * listed and read (the router lets exactly those reads through); everything else is the owner's.
 */
import { ApiError, badRequest, conflict, forbidden, MESSAGES, notFound } from '../errors.ts';
import { actionKeyPrefix } from '../invoker.ts';
import type { ActionDoc } from '../openwhisk/action.ts';
import { checkName } from '../openwhisk/names.ts';
import {
  checkPackageName,
  createPackage,
  isShared,
  packageSummary,
  packageView,
  packageWithActions,
  parsePackagePut,
  updatePackage,
  type Binding,
  type PackageDoc,
} from '../openwhisk/package.ts';
import type { HttpReply } from '../server/http.ts';
import { checkEntitySizes } from '../limits/sizes.ts';
import { jsonBody } from './body.ts';
import type { AuthedRequest, Deps } from './context.ts';
import { flag, listPaging } from './query.ts';
import { json } from './reply.ts';

/** SQLite's "no limit": a package's actions are listed whole. */
const ALL = { skip: 0, limit: -1 };

export function handlePackages(request: AuthedRequest, rest: string[], deps: Deps): HttpReply {
  if (rest.length === 0) {
    if (request.method !== 'GET') throw new ApiError('methodNotAllowed');
    return list(request, deps);
  }
  if (rest.length > 1) throw notFound();
  const name = checkName(rest[0]!);
  switch (request.method) {
    case 'GET':
      return get(request, deps, name);
    case 'PUT':
      return put(request, deps, name);
    case 'DELETE':
      return remove(request, deps, name);
    default:
      throw new ApiError('methodNotAllowed');
  }
}

function actionsOf(deps: Deps, pkg: PackageDoc): ActionDoc[] {
  return deps.entities.list<ActionDoc>(pkg.namespace, 'actions', { prefix: `${pkg.name}/`, ...ALL });
}

/** Own packages and bindings; in another namespace, only its shared packages. */
function list(request: AuthedRequest, deps: Deps): HttpReply {
  const paging = listPaging(request.query, 'packages');
  const count = flag(request.query, 'count');
  if (request.namespace === request.identity.namespace) {
    if (count) return json(200, { packages: deps.entities.count(request.namespace, 'packages') });
    return json(200, deps.entities.list<PackageDoc>(request.namespace, 'packages', paging).map(packageSummary));
  }
  const shared = deps.entities.list<PackageDoc>(request.namespace, 'packages', ALL).filter(isShared);
  if (count) return json(200, { packages: shared.length });
  return json(200, shared.slice(paging.skip, paging.skip + paging.limit).map(packageSummary));
}

/** A package with its actions and feeds; a binding shows the bound package's, under merged parameters. */
function get(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  const resolved = deps.resolver.resolvePackage(request.namespace, name, request.identity.namespace);
  const actions = actionsOf(deps, resolved.pkg);
  if (resolved.binding) return json(200, packageWithActions(resolved.binding, actions, resolved.pkg));
  return json(200, packageWithActions(resolved.pkg, actions));
}

function put(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  checkPackageName(name);
  const body = jsonBody(request, undefined);
  if (body === undefined) throw badRequest('The request content was malformed: expected a JSON object.');
  checkEntitySizes(body);
  const content = parsePackagePut(body, request.namespace);
  const existing = deps.entities.get<PackageDoc>(request.namespace, 'packages', name);
  if (existing && !flag(request.query, 'overwrite')) throw conflict();
  if (content.binding) {
    if (existing && !existing.binding) throw new ApiError('conflict', MESSAGES.packageCannotBecomeBinding);
    checkBinding(deps, content.binding, request.identity.namespace);
  }
  const now = deps.clock.now();
  const doc = existing ? updatePackage(existing, content, now) : createPackage({ namespace: request.namespace, name }, content, now);
  deps.entities.put(request.namespace, 'packages', name, doc);
  return json(200, packageView(doc));
}

/** A binding must refer to a package (not a binding) the caller may read. */
function checkBinding(deps: Deps, binding: Binding, caller: string): void {
  const target = deps.entities.get<PackageDoc>(binding.namespace, 'packages', binding.name);
  // Another namespace's package that is missing or private is not the caller's to know about.
  if (binding.namespace !== caller && (!target || !target.publish)) throw forbidden();
  if (!target) throw badRequest(MESSAGES.bindingDoesNotExist);
  if (target.binding) throw badRequest(MESSAGES.bindingCannotReferenceBinding);
}

/** A binding goes at once; a package only when empty, or with `force=true` together with its actions. */
function remove(request: AuthedRequest, deps: Deps, name: string): HttpReply {
  const doc = deps.entities.get<PackageDoc>(request.namespace, 'packages', name);
  if (!doc) throw notFound();
  if (!doc.binding) {
    const actions = actionsOf(deps, doc);
    if (actions.length > 0 && !flag(request.query, 'force')) throw new ApiError('conflict', MESSAGES.packageNotEmpty(actions.length));
    for (const action of actions) {
      deps.entities.delete(request.namespace, 'actions', `${name}/${action.name}`);
      deps.runner.invalidate(actionKeyPrefix(action));
      deps.alarms.removeAction(request.namespace, `${name}/${action.name}`);
    }
  }
  deps.entities.delete(request.namespace, 'packages', name);
  return json(200, packageView(doc));
}
