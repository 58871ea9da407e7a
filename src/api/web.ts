/**
 * Web actions: `/api/v1/web/{namespace}/{package|default}/{action}[.ext][/path]`, and Adobe's
 * namespace-host form `{namespace}.{base domain}/api/v1/web/{package}/{action}`. Anyone may call
 * an action annotated `web-export: true`; it runs as its owner.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { MESSAGES } from '../errors.ts';
import type { ActionDoc } from '../openwhisk/action.ts';
import { getValue } from '../openwhisk/keyvalues.ts';
import { SYSTEM_LIMITS } from '../openwhisk/limits.ts';
import { isValidName } from '../openwhisk/names.ts';
import { projectResult, splitExtension, webArguments, type WebExtension } from '../openwhisk/web.ts';
import type { HttpReply, HttpRequest } from '../server/http.ts';
import type { Deps } from './context.ts';

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH',
};
const DEFAULT_ALLOW_HEADERS = 'Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent';

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

export async function handleWeb(http: HttpRequest, segments: string[], transactionId: string, deps: Deps): Promise<HttpReply> {
  const error = (status: number, message: string, extra: Record<string, string> = {}): HttpReply => ({
    status,
    headers: { ...CORS, 'Access-Control-Allow-Headers': DEFAULT_ALLOW_HEADERS, 'Content-Type': 'application/json', ...extra },
    body: JSON.stringify({ error: message, code: transactionId }),
  });
  const target = webTarget(segments, http.headers.host, deps.config.webBaseDomain);
  if (!target || !deps.namespaces.exists(target.namespace)) return error(404, 'The requested resource does not exist.');
  const path = target.pkg === undefined ? target.name : `${target.pkg}/${target.name}`;
  const action = deps.entities.get<ActionDoc>(target.namespace, 'actions', path);
  if (!action || getValue(action.annotations, 'web-export') !== true) return error(404, 'The requested resource does not exist.');

  const customOptions = getValue(action.annotations, 'web-custom-options') === true;
  const cors: Record<string, string> = customOptions
    ? {}
    : { ...CORS, 'Access-Control-Allow-Headers': http.headers['access-control-request-headers'] ?? DEFAULT_ALLOW_HEADERS };
  if (http.method === 'OPTIONS' && !customOptions) return { status: 200, headers: cors, body: '' };

  // Invalid credentials are not an error here: the call is simply anonymous.
  let user: string | undefined;
  try {
    user = deps.auth.identify(http.headers.authorization)?.namespace;
  } catch {
    user = undefined;
  }
  if (http.method !== 'OPTIONS' && !authorized(action, http, user)) {
    return { ...error(401, 'The supplied authentication is invalid'), headers: { ...cors, 'Content-Type': 'application/json' } };
  }
  if (http.body.length > SYSTEM_LIMITS.maxPayloadSize) {
    return error(413, MESSAGES.entityTooBig('Request', http.body.length, SYSTEM_LIMITS.maxPayloadSize));
  }

  const raw = getValue(action.annotations, 'raw-http') === true;
  const finalParams = new Set(getValue(action.annotations, 'final') === true ? action.parameters.map((p) => p.key) : []);
  const headers = { ...http.headers };
  delete headers.authorization;
  const args = webArguments({ method: http.method, headers, path: target.rest, query: http.query, body: http.body, user }, raw, finalParams);
  if (!args.ok) return error(args.status, args.message, cors);

  const extraLogging = (http.headers['x-ow-extra-logging'] ?? '').toLowerCase() === 'on';
  const invocation = deps.invoker.invoke({
    action,
    params: args.params,
    namespace: target.namespace,
    subject: target.namespace,
    authKey: '',
    transactionId,
    received: deps.clock.now(),
    record: deps.config.recordWebSuccesses || extraLogging ? 'always' : 'failures',
  });
  invocation.done.catch((failure: unknown) => console.error(`web activation ${invocation.activationId} not recorded:`, failure));
  const idHeader = { 'x-openwhisk-activation-id': invocation.activationId };
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    invocation.done,
    new Promise<undefined>((resolve) => (timer = setTimeout(resolve, deps.config.maxBlockingWaitMs, undefined))),
  ]).finally(() => clearTimeout(timer));
  if (!waited) return error(202, 'Response not yet ready.', { ...cors, ...idHeader });

  const { response } = waited;
  if (response.statusCode > 1) return error(400, 'There was an error processing your request.', { ...cors, ...idHeader });
  let value = response.result;
  if (response.statusCode === 1) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).error : undefined;
    if (value === undefined) return error(404, 'Response does not include requested property.', { ...cors, ...idHeader });
  }
  const projected = projectResult(target.extension, value);
  if (!projected.ok) return error(projected.status, projected.message, { ...cors, ...idHeader });
  return {
    status: projected.response.status,
    headers: { ...cors, ...projected.response.headers, ...idHeader },
    body: projected.response.body,
  };
}

/** `require-whisk-auth`: true needs valid credentials; a string or number must equal X-Require-Whisk-Auth. */
function authorized(action: ActionDoc, http: HttpRequest, user: string | undefined): boolean {
  const required = getValue(action.annotations, 'require-whisk-auth');
  if (required === undefined || required === false) return true;
  if (required === true) return user !== undefined;
  if (typeof required !== 'string' && typeof required !== 'number') return false;
  const given = http.headers['x-require-whisk-auth'];
  return given !== undefined && timingSafeEqual(hash(given), hash(String(required)));
}

/** Hashing first gives equal-length inputs, so the comparison takes the same time whatever the secret. */
function hash(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
