/** Maps HTTP requests to API handlers, and every failure to OpenWhisk's error body. */
import { ApiError, badRequest, forbidden, notFound } from '../errors.ts';
import { newTransactionId } from '../ids.ts';
import { checkNamespace } from '../openwhisk/names.ts';
import type { Handler, HttpReply, HttpRequest } from '../server/http.ts';
import { handleActions } from './actions.ts';
import { handleActivations } from './activations.ts';
import { handlePackages } from './packages.ts';
import { handleRules } from './rules.ts';
import { handleTriggers } from './triggers.ts';
import type { ApiRequest, AuthedRequest, Deps } from './context.ts';
import { apiInfo, rootInfo } from './info.ts';
import { listNamespaces, namespaceEntities, namespaceLimits } from './namespaces.ts';
import { CORS_HEADERS, errorReply, internalErrorReply, json } from './reply.ts';
import { handleWeb } from './web.ts';

const TRANSACTION_ID = /^[\w-]{1,64}$/;
const WEB_PREFIX = '/api/v1/web/';

export function createApiHandler(deps: Deps): Handler {
  return (http) => {
    const given = http.headers['x-request-id'];
    const transactionId = given !== undefined && TRANSACTION_ID.test(given) ? given : newTransactionId();
    const fail = (error: unknown): HttpReply => {
      if (error instanceof ApiError) return errorReply(error, transactionId);
      console.error(`[${transactionId}] ${http.method} ${http.path}:`, error);
      return internalErrorReply(transactionId);
    };
    try {
      const reply = route(http, transactionId, deps);
      return reply instanceof Promise ? reply.catch(fail) : reply;
    } catch (error) {
      return fail(error);
    }
  };
}

function route(http: HttpRequest, transactionId: string, deps: Deps): HttpReply | Promise<HttpReply> {
  if (http.path === '/' && isRead(http.method)) return rootInfo(deps.admission.limits);
  if (http.path === '/healthz' && isRead(http.method)) return json(200, { status: 'ok' });
  if (http.path === '/metrics' && isRead(http.method)) {
    return deps.metrics.render().then((body) => ({ status: 200, headers: { 'Content-Type': deps.metrics.contentType }, body }));
  }
  if (http.path !== '/api/v1' && !http.path.startsWith('/api/v1/')) throw notFound();
  // Web actions answer every method themselves, OPTIONS and CORS included.
  if (http.path.startsWith(WEB_PREFIX)) return handleWeb(http, http.path.slice(WEB_PREFIX.length), transactionId, deps);
  if (http.method === 'OPTIONS') return { status: 200, headers: CORS_HEADERS };
  const segments = decodeSegments(http.path.slice('/api/v1'.length));
  if (segments.length === 0) {
    if (!isRead(http.method)) throw new ApiError('methodNotAllowed');
    return apiInfo();
  }
  const request: ApiRequest = {
    http,
    method: http.method === 'HEAD' ? 'GET' : http.method,
    segments,
    query: new URLSearchParams(http.query),
    transactionId,
    received: deps.clock.now(),
  };
  if (segments[0] !== 'namespaces') throw notFound();
  const identity = deps.auth.require(http.headers.authorization);
  if (segments.length === 1) {
    if (request.method !== 'GET') throw new ApiError('methodNotAllowed');
    return listNamespaces({ ...request, identity, namespace: identity.namespace });
  }
  const named = segments[1]!;
  const namespace = named === '_' ? identity.namespace : checkNamespace(named);
  const [, , collection, ...rest] = segments;
  // Another namespace's entities are private, but for reading its published packages and
  // reading or invoking the actions in them.
  if (namespace !== identity.namespace && !sharedAccess(request.method, collection, rest, namespace, deps)) throw forbidden();
  const authed: AuthedRequest = { ...request, identity, namespace };
  switch (collection) {
    case undefined:
      if (request.method !== 'GET') throw new ApiError('methodNotAllowed');
      return namespaceEntities(authed, deps);
    case 'actions':
      return handleActions(authed, rest, deps);
    case 'activations':
      return handleActivations(authed, rest, deps);
    case 'packages':
      return handlePackages(authed, rest, deps);
    case 'triggers':
      return handleTriggers(authed, rest, deps);
    case 'rules':
      return handleRules(authed, rest, deps);
    case 'limits':
      if (rest.length > 0) throw notFound();
      return namespaceLimits(authed, deps.admission.limits);
    default:
      throw notFound();
  }
}

/**
 * What a caller may do in another namespace (upstream's package entitlement): list its packages
 * (the handler shows only published ones), GET a published package, and GET, invoke or list the
 * actions of one. Bindings are never shared; whether a published package exists is checked here
 * so that a missing one is 403 like a private one.
 */
function sharedAccess(method: string, collection: string | undefined, rest: string[], namespace: string, deps: Deps): boolean {
  if (collection === 'packages') {
    if (method !== 'GET') return false;
    return rest.length === 0 || (rest.length === 1 && deps.resolver.isSharedPackage(namespace, rest[0]!));
  }
  if (collection === 'actions' && rest.length === 2) {
    const listing = rest[1] === '';
    if (!(method === 'GET' || (method === 'POST' && !listing))) return false;
    return deps.resolver.isSharedPackage(namespace, rest[0]!);
  }
  return false;
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** '/namespaces/_/actions/a%20b' → ['namespaces', '_', 'actions', 'a b']; a trailing '/' keeps an empty last segment. */
function decodeSegments(path: string): string[] {
  if (path === '' || path === '/') return [];
  const parts = path.slice(1).split('/');
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    throw badRequest('The request path is not valid: malformed percent-encoding.');
  }
}
