/**
 * Web actions: `/api/v1/web/{namespace}/{package|default}/{action}[.ext][/path]`, and Adobe's
 * namespace-host form `{namespace}.{base domain}/api/v1/web/{package}/{action}`. Anyone may call
 * an action annotated `web-export: true`; it runs as its owner. The order of checks is upstream's
 * (WebActions.scala): the action (404), the payload size (413), CORS and OPTIONS, require-whisk-auth
 * (401), the arguments (400), then the activation.
 */
import { nodeCrypto, sha256 } from '../crypto.ts';
import { MESSAGES } from '../errors.ts';
import { getValue } from '../openwhisk/keyvalues.ts';
import { SYSTEM_LIMITS } from '../openwhisk/limits.ts';
import { isValidName } from '../openwhisk/names.ts';
import { waitAtMost } from '../limits/wait.ts';
import { prettyJson, projectResult, splitExtension, WEB_MESSAGES, webArguments, type WebExtension } from '../openwhisk/web.ts';
import type { HttpReply, HttpRequest } from '../server/http.ts';
import type { ActionDoc } from '../openwhisk/action.ts';
import type { ResolvedAction } from '../resolver.ts';
import type { Deps } from './context.ts';

const ALLOW_ORIGIN_METHODS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH',
};
const DEFAULT_ALLOW_HEADERS = 'Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent';
/** Shared by every reply that uses it: replies are only read (spread into the headers written). */
const DEFAULT_CORS: Readonly<Record<string, string>> = Object.freeze({ ...ALLOW_ORIGIN_METHODS, 'Access-Control-Allow-Headers': DEFAULT_ALLOW_HEADERS });
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

interface WebTarget {
  namespace: string;
  pkg: string | undefined;
  name: string;
  extension: WebExtension;
  /** The path after the action segment. */
  rest: string;
}

/**
 * Reads the target from a path below /api/v1/web (already split on '/', not decoded). With a
 * base domain configured and a Host of `{ns}.{base}`, the namespace comes from the host.
 */
export function webTarget(segments: string[], host: string | undefined, baseDomain: string | undefined): WebTarget | undefined {
  let parts = segments;
  const hostname = host?.split(':')[0]?.toLowerCase();
  let namespace: string | undefined;
  if (baseDomain && hostname && hostname.endsWith(`.${baseDomain}`)) {
    namespace = hostname.slice(0, -baseDomain.length - 1);
  } else {
    namespace = parts[0];
    parts = parts.slice(1);
  }
  const [pkgSegment, actionSegment, ...rest] = parts;
  if (namespace === undefined || pkgSegment === undefined || actionSegment === undefined) return undefined;
  let decoded: string[];
  try {
    decoded = [namespace, pkgSegment, actionSegment].map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [ns, pkg, segment] = decoded as [string, string, string];
  const [name, extension] = splitExtension(segment);
  if (!isValidName(ns) || !isValidName(name) || (pkg !== 'default' && !isValidName(pkg))) return undefined;
  return { namespace: ns, pkg: pkg === 'default' ? undefined : pkg, name, extension, rest: rest.length > 0 ? `/${rest.join('/')}` : '' };
}

/** Targets of recent web paths: parsing and checking one costs more than the rest of routing. */
const TARGETS = new Map<string, WebTarget | undefined>();
const MAX_TARGETS = 10_000;
/** Longer paths are parsed each time: the cache stays small (at most ~3 MB) whatever callers send. */
const MAX_CACHED_PATH = 256;

/** webTarget of the path below /api/v1/web, remembered (a WebTarget is never changed). */
function cachedWebTarget(rest: string, host: string | undefined, baseDomain: string | undefined): WebTarget | undefined {
  // With a base domain the namespace may come from the Host header: it is part of the key then.
  const key = baseDomain ? `${host ?? ''} ${rest}` : rest;
  if (key.length > MAX_CACHED_PATH) return webTarget(rest.split('/'), host, baseDomain);
  let target = TARGETS.get(key);
  if (target === undefined && !TARGETS.has(key)) {
    target = webTarget(rest.split('/'), host, baseDomain);
    if (TARGETS.size >= MAX_TARGETS) TARGETS.clear();
    TARGETS.set(key, target);
  }
  return target;
}

/** Upstream's error body, pretty-printed as its controller prints it. */
function errorReply(status: number, message: string, transactionId: string, headers: Readonly<Record<string, string>>): HttpReply {
  return {
    status,
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: prettyJson({ error: message, code: transactionId }),
  };
}

/** `rest`: the raw path below /api/v1/web/. */
export async function handleWeb(http: HttpRequest, rest: string, transactionId: string, deps: Deps): Promise<HttpReply> {
  // Until the action is known, errors carry the default CORS headers (upstream sends none; a
  // browser can then read why its call failed).
  if (!METHODS.has(http.method)) {
    return errorReply(405, 'HTTP method not allowed, supported methods: OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH', transactionId, {
      ...DEFAULT_CORS,
      Allow: 'OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH',
    });
  }
  const target = cachedWebTarget(rest, http.headers.host, deps.config.webBaseDomain);
  const notFound = (): HttpReply => errorReply(404, 'The requested resource does not exist.', transactionId, DEFAULT_CORS);
  if (!target || !deps.namespaces.exists(target.namespace)) return notFound();
  // Through packages and bindings, as the owner sees them; merged parameters feed the final check.
  let resolved: ResolvedAction;
  try {
    resolved = deps.resolver.resolveAction({ namespace: target.namespace, pkg: target.pkg, name: target.name }, target.namespace);
  } catch {
    return notFound();
  }
  const { action } = resolved;
  const plan = webPlanOf(action);
  if (!plan.exported) return notFound();

  if (http.body.length > SYSTEM_LIMITS.maxPayloadSize) {
    return errorReply(413, MESSAGES.entityTooBig('Request', http.body.length, SYSTEM_LIMITS.maxPayloadSize), transactionId, DEFAULT_CORS);
  }

  // With web-custom-options the action answers OPTIONS and sets its own CORS headers.
  const { customOptions } = plan;
  const requested = http.headers['access-control-request-headers'];
  const cors: Readonly<Record<string, string>> = customOptions
    ? NO_HEADERS
    : requested === undefined ? DEFAULT_CORS : { ...ALLOW_ORIGIN_METHODS, 'Access-Control-Allow-Headers': requested };
  const error = (status: number, message: string, extra: Record<string, string> = {}): HttpReply =>
    errorReply(status, message, transactionId, { ...cors, ...extra });
  if (http.method === 'OPTIONS' && !customOptions) return { status: 200, headers: cors, body: '' };

  // Invalid credentials are not an error here: the call is simply anonymous.
  let user: string | undefined;
  try {
    user = deps.auth.identify(http.headers.authorization)?.namespace;
  } catch {
    user = undefined;
  }
  if (http.method !== 'OPTIONS' && !authorized(plan.requireAuth, http, user)) return error(401, 'The supplied authentication is invalid');
  // Upstream hands the action every request header. Whisk credentials that identified the caller
  // are the one exception: __ow_user carries who called, the key stays with the platform.
  let headers = http.headers;
  if (user !== undefined) {
    headers = { ...headers };
    delete headers.authorization;
  }
  const args = webArguments({ method: http.method, headers, path: target.rest, query: http.query, body: http.body, user }, plan.raw, plan.finalParams);
  if (!args.ok) return error(args.status, args.message);

  const extraLogging = (http.headers['x-ow-extra-logging'] ?? '').trim().toLowerCase() === 'on';
  const invocation = deps.invoker.invoke({
    action,
    params: args.params,
    namespace: target.namespace,
    subject: target.namespace,
    authKey: '',
    transactionId,
    received: deps.clock.now(),
    record: deps.config.recordWebSuccesses || extraLogging ? 'always' : 'failures',
    recordCommit: 'eventual',
    ...(resolved.binding === undefined ? {} : { binding: resolved.binding }),
  });
  invocation.done.catch((failure: unknown) => console.error(`web activation ${invocation.activationId} not recorded:`, failure));
  const idHeader = { 'x-openwhisk-activation-id': invocation.activationId };
  const waited = await waitAtMost(invocation.done, deps.config.maxBlockingWaitMs);
  if (!waited) return error(202, WEB_MESSAGES.responseNotReady, idHeader);

  // Success projects the result; an application error projects its `error` field; anything else is 400.
  const { response } = waited;
  if (response.statusCode > 1) return error(400, WEB_MESSAGES.errorProcessingRequest, idHeader);
  let value = response.result;
  if (response.statusCode === 1) {
    value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>).error : undefined;
    if (value === undefined) return error(404, WEB_MESSAGES.propertyNotFound, idHeader);
  }
  const projected = projectResult(target.extension, value);
  if (!projected.ok) return error(projected.status, projected.message, idHeader);
  return {
    status: projected.response.status,
    headers: { ...withoutOverridden(cors, projected.response.headers), ...projected.response.headers, ...idHeader },
    body: projected.response.body,
  };
}

/**
 * The default CORS headers the action did not set itself. Upstream sends both, and a browser
 * rejects `Access-Control-Allow-Origin: *, *` (apache/openwhisk#2478). The defaults are all
 * Access-Control-* headers, so only such names in `given` can override one.
 */
function withoutOverridden(defaults: Readonly<Record<string, string>>, given: Record<string, unknown>): Readonly<Record<string, string>> {
  let kept: Record<string, string> | undefined;
  for (const name in given) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('access-control-')) continue;
    kept ??= { ...defaults };
    for (const key in kept) if (key.toLowerCase() === lower) delete kept[key];
  }
  return kept ?? defaults;
}

/** What the web layer reads of an action's annotations and parameters. */
interface WebPlan {
  exported: boolean;
  customOptions: boolean;
  raw: boolean;
  /** With `final: true`, the parameters (with a value) a request may not override. */
  finalParams: ReadonlySet<string>;
  requireAuth: unknown;
}

/** Derived once per action document: the entity cache hands out the same one until it changes. */
const WEB_PLANS = new WeakMap<ActionDoc, WebPlan>();

function webPlanOf(action: ActionDoc): WebPlan {
  let plan = WEB_PLANS.get(action);
  if (plan !== undefined) return plan;
  const final = getValue(action.annotations, 'final') === true;
  plan = {
    exported: getValue(action.annotations, 'web-export') === true,
    customOptions: getValue(action.annotations, 'web-custom-options') === true,
    raw: getValue(action.annotations, 'raw-http') === true,
    finalParams: new Set(final ? action.parameters.filter((p) => p.value !== null).map((p) => p.key) : []),
    requireAuth: getValue(action.annotations, 'require-whisk-auth'),
  };
  WEB_PLANS.set(action, plan);
  return plan;
}

/**
 * `require-whisk-auth`: true needs valid credentials; a string or number must equal the
 * X-Require-Whisk-Auth header; false requires nothing; any other value lets no one in.
 */
function authorized(required: unknown, http: HttpRequest, user: string | undefined): boolean {
  if (required === undefined || required === false) return true;
  if (required === true) return user !== undefined;
  if (typeof required !== 'string' && typeof required !== 'number') return false;
  const given = http.headers['x-require-whisk-auth'];
  // Hashing first gives equal-length inputs, so the comparison takes the same time whatever the secret.
  return given !== undefined && nodeCrypto().timingSafeEqual(sha256(given), sha256(String(required)));
}
