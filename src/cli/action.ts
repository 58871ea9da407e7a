/** `edgewhisk action create|update|invoke|get|list|delete`, with wsk's flags. */
import type { Options, OptionSpec } from './args.ts';
import { readArtifact } from './artifact.ts';
import { ANNOTATION, ANNOTATION_FILE, LIMIT, PARAM, PARAM_FILE, SKIP, type Context, type Group } from './command.ts';
import { CliError, doing, HttpError, UsageError } from './errors.ts';
import { httpError, type WhiskClient } from './http.ts';
import { applyWeb, getKey, keyValues, readKeyValueFile, toObject, webMode, type KeyValue } from './keyvalues.ts';
import { entityPath, fullName, parseName, parseNamespace, type QualifiedName } from './names.ts';
import { formatDuration, relativeTime, type Output } from './output.ts';

export interface ActionDoc {
  namespace: string;
  name: string;
  version?: string;
  exec?: { kind?: string; code?: string; main?: string; binary?: boolean; components?: string[] };
  annotations?: KeyValue[];
  parameters?: KeyValue[];
  limits?: Record<string, number>;
  updated?: number;
}

export interface Activation {
  activationId: string;
  namespace?: string;
  name?: string;
  version?: string;
  start?: number;
  end?: number;
  duration?: number;
  statusCode?: number;
  response?: { status?: string; success?: boolean; result?: unknown };
  logs?: string[];
  annotations?: KeyValue[];
  cause?: string;
}

/** The options shared by `action create|update` and the header comments of `deploy`. */
export const ACTION_OPTIONS: OptionSpec[] = [
  { name: 'kind', type: 'string', value: 'KIND', help: 'runtime kind (nodejs:default, python:default …); inferred from the file' },
  { name: 'main', type: 'string', value: 'NAME', help: 'the entry function (default main)' },
  PARAM,
  PARAM_FILE,
  ANNOTATION,
  ANNOTATION_FILE,
  { name: 'timeout', short: 't', type: 'string', value: 'MS', help: 'time limit in milliseconds' },
  { name: 'memory', short: 'm', type: 'string', value: 'MB', help: 'memory limit in MB' },
  { name: 'logsize', short: 'l', type: 'string', value: 'MB', help: 'log size limit in MB' },
  { name: 'concurrency', short: 'c', type: 'string', value: 'N', help: 'activations one instance may run at once' },
  { name: 'web', type: 'string', value: 'true|raw|false', help: 'web-export the action (raw: raw HTTP handling)' },
  { name: 'web-secure', type: 'string', value: 'true|SECRET|false', help: 'require credentials (true) or X-Require-Whisk-Auth: SECRET' },
];

const CREATE_OPTIONS: OptionSpec[] = [
  ...ACTION_OPTIONS,
  { name: 'sequence', type: 'boolean', help: 'ARTIFACT is a comma-separated list of actions to run in order' },
  { name: 'docker', type: 'string', value: 'IMAGE', help: 'a blackbox action from a Docker image' },
];

/** Annotations a web flag on update keeps from the action as it is. */
const WEB_KEYS = ['web-export', 'raw-http', 'final', 'require-whisk-auth'];

/** The PUT path of an action. */
export function actionPath(client: WhiskClient, q: QualifiedName, suffix?: string): string {
  return client.path('actions', [q.pkg, q.name, suffix], q.namespace);
}

/** Limits from -t/-m/-l/-c; undefined when none given. */
export function limitsOf(opts: Options, context: string): Record<string, number> | undefined {
  const limits: Record<string, number> = {};
  const timeout = opts.integer('timeout', 1, 2 ** 31, context);
  const memory = opts.integer('memory', 1, 2 ** 20, context);
  const logs = opts.integer('logsize', 0, 2 ** 20, context);
  const concurrency = opts.integer('concurrency', 1, 10_000, context);
  if (timeout !== undefined) limits.timeout = timeout;
  if (memory !== undefined) limits.memory = memory;
  if (logs !== undefined) limits.logs = logs;
  if (concurrency !== undefined) limits.concurrency = concurrency;
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** -p/-P; undefined when neither given. */
export function parametersOf(opts: Options): KeyValue[] | undefined {
  if (!opts.has('param') && !opts.has('param-file')) return undefined;
  const file = opts.string('param-file');
  return keyValues(opts.pairs('param'), file === undefined ? [] : readKeyValueFile(file, '--param-file'));
}

/** -a/-A; undefined when neither given. */
export function annotationsOf(opts: Options): KeyValue[] | undefined {
  if (!opts.has('annotation') && !opts.has('annotation-file')) return undefined;
  const file = opts.string('annotation-file');
  return keyValues(opts.pairs('annotation'), file === undefined ? [] : readKeyValueFile(file, '--annotation-file'));
}

async function existingAction(client: WhiskClient, q: QualifiedName): Promise<ActionDoc | undefined> {
  const reply = await client.send('GET', actionPath(client, q), { query: { code: false } });
  if (reply.status === 404) return undefined;
  if (reply.status >= 400) throw httpError(reply);
  return reply.body as ActionDoc;
}

async function put(ctx: Context, update: boolean): Promise<void> {
  const context = `action ${update ? 'update' : 'create'}`;
  const client = ctx.client();
  const [nameArg, artifact] = ctx.words as [string, string | undefined];
  const q = parseName(nameArg, client.config.namespace, 'action name');
  const { opts } = ctx;
  const body: Record<string, unknown> = {};
  const kind = opts.string('kind');
  const main = opts.string('main');
  if (opts.flag('sequence')) {
    if (artifact === undefined) throw new UsageError('--sequence needs the comma-separated action names as ARTIFACT', context);
    const components = artifact.split(',').map((c) => c.trim()).filter((c) => c !== '');
    if (components.length === 0) throw new UsageError('--sequence needs at least one action', context);
    body.exec = { kind: 'sequence', components: components.map((c) => fullName(parseName(c, client.config.namespace, 'action name'))) };
  } else if (opts.has('docker')) {
    const exec: Record<string, unknown> = { kind: 'blackbox', image: opts.string('docker') };
    if (artifact !== undefined) exec.code = readArtifact(artifact, 'blackbox', undefined).exec.code;
    if (main !== undefined) exec.main = main;
    body.exec = exec;
  } else if (artifact !== undefined) {
    body.exec = readArtifact(artifact, kind, main).exec;
  } else if (!update) {
    throw new UsageError('An action name and code artifact are required.', context);
  } else if (kind !== undefined || main !== undefined) {
    throw new UsageError('--kind and --main need the code ARTIFACT too', context);
  }
  const parameters = parametersOf(opts);
  if (parameters !== undefined) body.parameters = parameters;
  const limits = limitsOf(opts, context);
  if (limits !== undefined) body.limits = limits;

  const given = annotationsOf(opts);
  const web = opts.string('web');
  const webSecure = opts.string('web-secure');
  let annotations = given;
  if (update && (given !== undefined || web !== undefined || webSecure !== undefined)) {
    const existing = (await doing(`Unable to update action '${nameArg}'`, () => existingAction(client, q)))?.annotations ?? [];
    // New annotations replace the old ones (as in wsk), but a web action stays one unless --web says otherwise.
    annotations = given === undefined ? existing : [...given, ...existing.filter((kv) => WEB_KEYS.includes(kv.key) && !given.some((g) => g.key === kv.key))];
  }
  if (web !== undefined || webSecure !== undefined) annotations = applyWeb(annotations ?? [], web, webSecure);
  if (annotations !== undefined) body.annotations = annotations;

  const verb = update ? 'update' : 'create';
  const result = await doing(`Unable to ${verb} action '${nameArg}'`, () =>
    client.call('PUT', actionPath(client, q), { query: { overwrite: update }, body }),
  );
  if (ctx.out.json) ctx.out.data(result);
  else ctx.out.ok(`${update ? 'updated' : 'created'} action ${nameArg}`);
}

async function invoke(ctx: Context): Promise<void> {
  const client = ctx.client();
  const q = parseName(ctx.words[0]!, client.config.namespace, 'action name');
  const file = ctx.opts.string('param-file');
  const params = toObject(keyValues(ctx.opts.pairs('param'), file === undefined ? [] : readKeyValueFile(file, '--param-file')));
  const resultOnly = ctx.opts.flag('result');
  const blocking = ctx.opts.flag('blocking') || resultOnly;
  const shown = `/${q.namespace}/${entityPath(q)}`;
  const reply = await client.send('POST', actionPath(client, q), { query: { blocking: blocking || undefined }, body: params });
  const body = reply.body as Activation | undefined;
  if (reply.status === 202) {
    const id = body?.activationId ?? reply.headers.get('x-openwhisk-activation-id') ?? '?';
    if (!blocking) {
      if (ctx.out.json) ctx.out.data(body);
      else ctx.out.ok(`invoked ${shown} with id ${id}`);
      return;
    }
    if (ctx.out.json && !resultOnly) ctx.out.data(body);
    const message = `invoked ${shown} with id ${id}, but it is still running; see 'edgewhisk activation result ${id}'`;
    if (resultOnly) throw new CliError(message);
    ctx.out.ok(message);
    return;
  }
  const isActivation = body !== undefined && typeof body === 'object' && typeof body.activationId === 'string' && body.response !== undefined;
  if (reply.status >= 400 && !isActivation) throw withPrefix(httpError(reply), `Unable to invoke action '${ctx.words[0]}'`);
  const activation = body!;
  if (resultOnly) ctx.out.data(activation.response?.result ?? {});
  else if (ctx.out.json) ctx.out.data(activation);
  else printInvocation(ctx.out, shown, activation, ctx.now());
  if (reply.status >= 400 || activation.response?.success === false) {
    throw new CliError(`action ${shown} failed (${activation.response?.status ?? `HTTP ${reply.status}`}): ${errorText(activation.response?.result)} [activation ${activation.activationId}]`);
  }
}

function withPrefix(error: HttpError, what: string): HttpError {
  error.message = `${what}: ${error.message}`;
  return error;
}

/** The `error` of a failed result, as one line. */
export function errorText(result: unknown): string {
  const error = (result as { error?: unknown } | undefined)?.error ?? result;
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return message;
  return JSON.stringify(error);
}

/** `ok: invoked … with id …  success · 3 ms · cold start`, then the result and the logs. */
export function printInvocation(out: Output, shown: string, activation: Activation, now: number): void {
  const status = activation.response?.status ?? (activation.response?.success ? 'success' : 'failed');
  const colour = status === 'success' ? 'green' : 'red';
  const facts = [out.style(colour, status)];
  if (activation.duration !== undefined) facts.push(formatDuration(activation.duration));
  const init = getKey(activation.annotations, 'initTime');
  if (typeof init === 'number') facts.push(`cold start ${formatDuration(init)}`);
  if (activation.start !== undefined && now - activation.start > 60_000) facts.push(relativeTime(activation.start, now));
  out.ok(`invoked ${shown} with id ${activation.activationId}  ${facts.join(' · ')}`);
  out.data(activation.response?.result ?? {});
  if (activation.logs && activation.logs.length > 0) {
    out.line(out.style('dim', 'logs:'));
    for (const line of activation.logs) out.line(`  ${line}`);
  }
}

async function get(ctx: Context): Promise<void> {
  const client = ctx.client();
  const q = parseName(ctx.words[0]!, client.config.namespace, 'action name');
  const action = await doing(`Unable to get action '${ctx.words[0]}'`, () =>
    client.call<ActionDoc>('GET', actionPath(client, q), { query: { code: false } }),
  );
  if (ctx.opts.flag('url')) {
    const url = webUrl(client.config.apihost, action);
    if (ctx.out.json) ctx.out.data({ url });
    else ctx.out.line(url);
    return;
  }
  if (ctx.out.json) {
    ctx.out.data(action);
    return;
  }
  ctx.out.ok(`got action ${ctx.words[0]}`);
  ctx.out.data(action);
}

/** `{apihost}/api/v1/web/{ns}/{pkg|default}/{name}`, from the namespace the server reports ("guest/pkg"). */
export function webUrl(apihost: string, action: { namespace: string; name: string }): string {
  const [ns, pkg = 'default'] = action.namespace.split('/');
  return `${apihost}/api/v1/web/${[ns!, pkg, action.name].map(encodeURIComponent).join('/')}`;
}

async function list(ctx: Context): Promise<void> {
  const client = ctx.client();
  const arg = ctx.words[0];
  let namespace = client.config.namespace;
  let pkg: string | undefined;
  if (arg !== undefined) {
    if (arg.startsWith('/')) {
      const parts = arg.split('/').filter((p) => p !== '');
      if (parts.length === 0 || parts.length > 2) throw new UsageError(`'${arg}' is not a namespace or package`, 'action list');
      [namespace, pkg] = [parseNamespace(parts[0], namespace), parts[1]];
    } else {
      if (arg.includes('/')) throw new UsageError(`'${arg}' is not a package name`, 'action list');
      pkg = arg;
    }
  }
  const path = pkg === undefined ? client.path('actions', [], namespace) : client.path('actions', [pkg, ''], namespace);
  const actions = await doing(`Unable to list actions`, () => client.call<ActionDoc[]>('GET', path, { query: paging(ctx.opts, 'action list') }));
  if (ctx.out.json) {
    ctx.out.data(actions);
    return;
  }
  const now = ctx.now();
  ctx.out.table(
    ['NAME', 'KIND', 'VERSION', 'WEB', 'UPDATED'],
    actions.map((a) => [
      `/${a.namespace}/${a.name}`,
      String(getKey(a.annotations, 'exec') ?? a.exec?.kind ?? ''),
      a.version ?? '',
      webMode(a.annotations),
      a.updated === undefined ? '' : relativeTime(a.updated, now),
    ]),
    'no actions',
  );
}

export function paging(opts: Options, context: string): { limit?: number; skip?: number } {
  const query: { limit?: number; skip?: number } = {};
  const limit = opts.integer('limit', 0, 200, context);
  const skip = opts.integer('skip', 0, 2 ** 31, context);
  if (limit !== undefined) query.limit = limit;
  if (skip !== undefined) query.skip = skip;
  return query;
}

async function remove(ctx: Context): Promise<void> {
  const client = ctx.client();
  const q = parseName(ctx.words[0]!, client.config.namespace, 'action name');
  const result = await doing(`Unable to delete action '${ctx.words[0]}'`, () => client.call('DELETE', actionPath(client, q)));
  if (ctx.out.json) ctx.out.data(result);
  else ctx.out.ok(`deleted action ${ctx.words[0]}`);
}

export const actionGroup: Group = {
  name: 'action',
  summary: 'work with actions',
  verbs: [
    { name: 'create', usage: 'NAME ARTIFACT', summary: 'create an action from a file, a .zip, a folder (zipped), or --sequence a,b', options: CREATE_OPTIONS, args: [1, 2], run: (ctx) => put(ctx, false) },
    { name: 'update', usage: 'NAME [ARTIFACT]', summary: 'update an action, or create it if it does not exist', options: CREATE_OPTIONS, args: [1, 2], run: (ctx) => put(ctx, true) },
    {
      name: 'invoke',
      usage: 'NAME',
      summary: 'invoke an action',
      options: [
        PARAM,
        PARAM_FILE,
        { name: 'blocking', short: 'b', type: 'boolean', help: 'wait for the result' },
        { name: 'result', short: 'r', type: 'boolean', help: 'wait, and print only the result (implies --blocking)' },
      ],
      args: [1, 1],
      run: invoke,
    },
    { name: 'get', usage: 'NAME', summary: 'show an action (without its code)', options: [{ name: 'url', type: 'boolean', help: 'print only its web URL' }], args: [1, 1], run: get },
    { name: 'list', usage: '[PACKAGE | /NAMESPACE[/PACKAGE]]', summary: 'list actions', options: [LIMIT, SKIP], args: [0, 1], run: list },
    { name: 'delete', usage: 'NAME', summary: 'delete an action', options: [], args: [1, 1], run: remove },
  ],
};

