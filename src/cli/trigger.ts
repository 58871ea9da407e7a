/**
 * `edgewhisk trigger create|update|fire|get|list|delete`. A trigger with --feed is created as wsk
 * does it: the trigger (annotated `feed`) first, then a blocking invoke of the feed action with
 * lifecycleEvent CREATE, the trigger's name and the caller's key; `get` asks the feed (READ),
 * `delete` tells it (DELETE), `update` with parameters sends UPDATE.
 */
import { annotationsOf, errorText, parametersOf, paging, type Activation } from './action.ts';
import { ANNOTATION, ANNOTATION_FILE, LIMIT, PARAM, PARAM_FILE, SKIP, type Context, type Group } from './command.ts';
import { CliError, doing, EXIT } from './errors.ts';
import { httpError, type WhiskClient } from './http.ts';
import { getKey, setKey, toObject, type KeyValue } from './keyvalues.ts';
import { fullName, parseName, parseNamespace, parseSimpleName, type QualifiedName } from './names.ts';
import { relativeTime } from './output.ts';

interface TriggerDoc {
  namespace: string;
  name: string;
  version?: string;
  annotations?: KeyValue[];
  parameters?: KeyValue[];
  rules?: Record<string, { status?: string; action?: { path?: string; name?: string } }>;
  updated?: number;
}

type Lifecycle = 'CREATE' | 'READ' | 'UPDATE' | 'DELETE';

function triggerPath(client: WhiskClient, q: QualifiedName): string {
  return client.path('triggers', [q.name], q.namespace);
}

/** Blocking invoke of a feed action; a failed one throws with the feed's own message. */
export async function invokeFeed(client: WhiskClient, feed: string, lifecycle: Lifecycle, trigger: QualifiedName, params: Record<string, unknown> = {}): Promise<Activation> {
  const f = parseName(feed, client.config.namespace, 'feed name');
  const body = { ...params, lifecycleEvent: lifecycle, triggerName: `/${trigger.namespace}/${trigger.name}`, authKey: client.config.auth };
  const reply = await client.send('POST', client.path('actions', [f.pkg, f.name], f.namespace), { query: { blocking: true }, body });
  const activation = reply.body as Activation | undefined;
  if (reply.status === 202) throw new CliError(`feed ${feed} (${lifecycle}) did not answer in time (activation ${activation?.activationId ?? '?'})`);
  if (typeof activation?.activationId !== 'string' || activation.response === undefined) {
    if (reply.status >= 400) throw httpError(reply);
    throw new CliError(`feed ${feed} (${lifecycle}) gave no activation record`);
  }
  if (reply.status >= 400 || activation.response.success === false) {
    throw new CliError(`feed ${feed} (${lifecycle}) failed: ${errorText(activation.response.result)} [activation ${activation.activationId}]`);
  }
  return activation;
}

async function existing(client: WhiskClient, q: QualifiedName): Promise<TriggerDoc | undefined> {
  const reply = await client.send('GET', triggerPath(client, q));
  if (reply.status === 404) return undefined;
  if (reply.status >= 400) throw httpError(reply);
  return reply.body as TriggerDoc;
}

function feedOf(doc: { annotations?: KeyValue[] } | undefined): string | undefined {
  const feed = getKey(doc?.annotations, 'feed');
  return typeof feed === 'string' && feed !== '' ? feed : undefined;
}

async function create(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'trigger name');
  const parameters = parametersOf(ctx.opts) ?? [];
  const annotations = annotationsOf(ctx.opts) ?? [];
  const feedArg = ctx.opts.string('feed');
  const what = `Unable to create trigger '${nameArg}'`;
  if (feedArg === undefined) {
    const doc = await doing(what, () => client.call('PUT', triggerPath(client, q), { body: { parameters, annotations } }));
    if (ctx.out.json) ctx.out.data(doc);
    else ctx.out.ok(`created trigger ${nameArg}`);
    return;
  }
  const feed = fullName(parseName(feedArg, client.config.namespace, 'feed name'));
  // The parameters configure the feed; the trigger itself only records which feed it has.
  const doc = await doing(what, () => client.call('PUT', triggerPath(client, q), { body: { annotations: setKey(annotations, 'feed', feed) } }));
  let activation: Activation;
  try {
    activation = await invokeFeed(client, feed, 'CREATE', q, toObject(parameters));
  } catch (error) {
    // As wsk: a trigger whose feed could not be set up is removed again.
    await client.send('DELETE', triggerPath(client, q)).catch(() => undefined);
    throw new CliError(`${what}: ${(error as Error).message}`, error instanceof CliError ? error.exitCode : EXIT.failure);
  }
  if (ctx.out.json) {
    ctx.out.data(doc);
    return;
  }
  ctx.out.ok(`invoked ${feed} with id ${activation.activationId}`);
  ctx.out.ok(`created trigger ${nameArg}`);
}

async function update(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'trigger name');
  const what = `Unable to update trigger '${nameArg}'`;
  const current = await doing(what, () => existing(client, q));
  const feed = feedOf(current);
  const parameters = parametersOf(ctx.opts);
  const annotations = annotationsOf(ctx.opts);
  if (feed !== undefined && parameters !== undefined) {
    const activation = await invokeFeed(client, feed, 'UPDATE', q, toObject(parameters)).catch((error: unknown) => {
      throw new CliError(`${what}: ${(error as Error).message}`);
    });
    if (!ctx.out.json) ctx.out.ok(`invoked ${feed} with id ${activation.activationId}`);
  }
  const body: Record<string, unknown> = {};
  if (feed === undefined && parameters !== undefined) body.parameters = parameters;
  if (annotations !== undefined) body.annotations = feed === undefined ? annotations : setKey(annotations, 'feed', feed);
  const doc = await doing(what, () => client.call('PUT', triggerPath(client, q), { query: { overwrite: true }, body }));
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`updated trigger ${nameArg}`);
}

async function fire(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'trigger name');
  const params = toObject(parametersOf(ctx.opts) ?? []);
  const reply = await client.send('POST', triggerPath(client, q), { body: params });
  if (reply.status >= 400) {
    const error = httpError(reply);
    error.message = `Unable to fire trigger '${nameArg}': ${error.message}`;
    throw error;
  }
  const shown = `/${q.namespace}/${q.name}`;
  const id = (reply.body as { activationId?: string } | undefined)?.activationId;
  if (ctx.out.json) ctx.out.data(reply.body ?? {});
  else if (reply.status === 204 || id === undefined) ctx.out.line(`trigger ${shown} did not fire as it is not associated with an active rule`);
  else ctx.out.ok(`triggered ${shown} with id ${id}`);
}

async function get(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'trigger name');
  const doc = await doing(`Unable to get trigger '${nameArg}'`, () => client.call<TriggerDoc>('GET', triggerPath(client, q)));
  const feed = feedOf(doc);
  let status: unknown;
  if (feed !== undefined) {
    try {
      status = (await invokeFeed(client, feed, 'READ', q)).response?.result;
    } catch (error) {
      ctx.out.warn(`${(error as Error).message}`);
    }
  }
  if (ctx.out.json) {
    ctx.out.data(feed === undefined ? doc : { ...doc, feed: status ?? null });
    return;
  }
  ctx.out.ok(`got trigger ${nameArg}`);
  ctx.out.data(doc);
  if (status !== undefined) {
    ctx.out.line(ctx.out.style('dim', `feed ${feed}:`));
    ctx.out.data(status);
  }
}

async function list(ctx: Context): Promise<void> {
  const client = ctx.client();
  const namespace = parseNamespace(ctx.words[0], client.config.namespace);
  const triggers = await doing('Unable to list triggers', () =>
    client.call<TriggerDoc[]>('GET', client.path('triggers', [], namespace), { query: paging(ctx.opts, 'trigger list') }),
  );
  if (ctx.out.json) {
    ctx.out.data(triggers);
    return;
  }
  const now = ctx.now();
  ctx.out.table(
    ['NAME', 'FEED', 'VERSION', 'UPDATED'],
    triggers.map((t) => [`/${t.namespace}/${t.name}`, feedOf(t) ?? '', t.version ?? '', t.updated === undefined ? '' : relativeTime(t.updated, now)]),
    'no triggers',
  );
}

async function remove(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'trigger name');
  const what = `Unable to delete trigger '${nameArg}'`;
  const current = await doing(what, () => client.call<TriggerDoc>('GET', triggerPath(client, q)));
  const feed = feedOf(current);
  if (feed !== undefined) {
    try {
      const activation = await invokeFeed(client, feed, 'DELETE', q);
      if (!ctx.out.json) ctx.out.ok(`invoked ${feed} with id ${activation.activationId}`);
    } catch (error) {
      ctx.out.warn(`${(error as Error).message}; deleting the trigger anyway`);
    }
  }
  const doc = await doing(what, () => client.call('DELETE', triggerPath(client, q)));
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`deleted trigger ${nameArg}`);
}

const FEED = { name: 'feed', short: 'f', type: 'string', value: 'ACTION', help: 'a feed action, e.g. /whisk.system/alarms/alarm (-p configures it)' } as const;

export const triggerGroup: Group = {
  name: 'trigger',
  summary: 'work with triggers (and their feeds)',
  verbs: [
    { name: 'create', usage: 'NAME', summary: 'create a trigger, optionally fed by a feed action', options: [PARAM, PARAM_FILE, ANNOTATION, ANNOTATION_FILE, FEED], args: [1, 1], run: create },
    { name: 'update', usage: 'NAME', summary: "update a trigger's parameters or annotations (a feed trigger's parameters go to its feed)", options: [PARAM, PARAM_FILE, ANNOTATION, ANNOTATION_FILE], args: [1, 1], run: update },
    { name: 'fire', usage: 'NAME', summary: 'fire a trigger with a payload', options: [PARAM, PARAM_FILE], args: [1, 1], run: fire },
    { name: 'get', usage: 'NAME', summary: 'show a trigger (and its feed configuration)', options: [], args: [1, 1], run: get },
    { name: 'list', usage: '[/NAMESPACE]', summary: 'list triggers', options: [LIMIT, SKIP], args: [0, 1], run: list },
    { name: 'delete', usage: 'NAME', summary: 'delete a trigger (and stop its feed)', options: [], args: [1, 1], run: remove },
  ],
};
