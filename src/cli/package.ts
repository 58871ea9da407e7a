/** `edgewhisk package create|update|bind|get|list|delete`. */
import { annotationsOf, paging, parametersOf } from './action.ts';
import { ANNOTATION, ANNOTATION_FILE, LIMIT, PARAM, PARAM_FILE, SKIP, type Context, type Group } from './command.ts';
import { doing, UsageError } from './errors.ts';
import type { WhiskClient } from './http.ts';
import type { KeyValue } from './keyvalues.ts';
import { parseNamespace, parseSimpleName, type QualifiedName } from './names.ts';
import { relativeTime } from './output.ts';
import type { OptionSpec } from './args.ts';

export interface PackageDoc {
  namespace: string;
  name: string;
  version?: string;
  publish?: boolean;
  annotations?: KeyValue[];
  parameters?: KeyValue[];
  binding?: { namespace?: string; name?: string } | false;
  updated?: number;
}

export function packagePath(client: WhiskClient, q: QualifiedName): string {
  return client.path('packages', [q.name], q.namespace);
}

const SHARED: OptionSpec = { name: 'shared', type: 'string', value: 'yes|no', help: 'publish the package to other namespaces' };

function sharedOf(ctx: Context, context: string): boolean | undefined {
  const value = ctx.opts.string('shared');
  if (value === undefined) return undefined;
  if (/^(yes|true)$/i.test(value)) return true;
  if (/^(no|false)$/i.test(value)) return false;
  throw new UsageError(`--shared takes yes or no, not '${value}'`, context);
}

async function put(ctx: Context, overwrite: boolean): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const context = `package ${overwrite ? 'update' : 'create'}`;
  const q = parseSimpleName(nameArg, client.config.namespace, 'package name');
  const body: Record<string, unknown> = {};
  const parameters = parametersOf(ctx.opts);
  const annotations = annotationsOf(ctx.opts);
  const publish = sharedOf(ctx, context);
  if (parameters !== undefined) body.parameters = parameters;
  if (annotations !== undefined) body.annotations = annotations;
  if (publish !== undefined) body.publish = publish;
  const verb = overwrite ? 'update' : 'create';
  const doc = await doing(`Unable to ${verb} package '${nameArg}'`, () => client.call('PUT', packagePath(client, q), { query: { overwrite }, body }));
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`${overwrite ? 'updated' : 'created'} package ${nameArg}`);
}

async function bind(ctx: Context): Promise<void> {
  const client = ctx.client();
  const [sourceArg, nameArg] = ctx.words as [string, string];
  const source = parseSimpleName(sourceArg, client.config.namespace, 'package name');
  const q = parseSimpleName(nameArg, client.config.namespace, 'binding name');
  const body: Record<string, unknown> = {
    binding: { namespace: source.namespace, name: source.name },
    parameters: parametersOf(ctx.opts) ?? [],
    annotations: annotationsOf(ctx.opts) ?? [],
  };
  const doc = await doing(`Unable to bind package '${sourceArg}' as '${nameArg}'`, () => client.call('PUT', packagePath(client, q), { body }));
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`created binding ${nameArg}`);
}

async function get(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'package name');
  const doc = await doing(`Unable to get package '${nameArg}'`, () => client.call('GET', packagePath(client, q)));
  if (!ctx.out.json) ctx.out.ok(`got package ${nameArg}`);
  ctx.out.data(doc);
}

async function list(ctx: Context): Promise<void> {
  const client = ctx.client();
  const namespace = parseNamespace(ctx.words[0], client.config.namespace);
  const packages = await doing('Unable to list packages', () =>
    client.call<PackageDoc[]>('GET', client.path('packages', [], namespace), { query: paging(ctx.opts, 'package list') }),
  );
  if (ctx.out.json) {
    ctx.out.data(packages);
    return;
  }
  const now = ctx.now();
  ctx.out.table(
    ['NAME', 'BINDING', 'SHARED', 'VERSION', 'UPDATED'],
    packages.map((p) => [
      `/${p.namespace}/${p.name}`,
      p.binding && p.binding.name ? `/${p.binding.namespace}/${p.binding.name}` : '',
      p.publish ? 'shared' : 'private',
      p.version ?? '',
      p.updated === undefined ? '' : relativeTime(p.updated, now),
    ]),
    'no packages',
  );
}

async function remove(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'package name');
  const force = ctx.opts.flag('force') || undefined;
  const doc = await doing(`Unable to delete package '${nameArg}'`, () => client.call('DELETE', packagePath(client, q), { query: { force } }));
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`deleted package ${nameArg}`);
}

export const packageGroup: Group = {
  name: 'package',
  summary: 'work with packages and bindings',
  verbs: [
    { name: 'create', usage: 'NAME', summary: 'create a package', options: [PARAM, PARAM_FILE, ANNOTATION, ANNOTATION_FILE, SHARED], args: [1, 1], run: (ctx) => put(ctx, false) },
    { name: 'update', usage: 'NAME', summary: 'update a package, or create it', options: [PARAM, PARAM_FILE, ANNOTATION, ANNOTATION_FILE, SHARED], args: [1, 1], run: (ctx) => put(ctx, true) },
    { name: 'bind', usage: 'PACKAGE NAME', summary: 'bind a package (e.g. /whisk.system/utils) under a new name, with parameters', options: [PARAM, PARAM_FILE, ANNOTATION, ANNOTATION_FILE], args: [2, 2], run: bind },
    { name: 'get', usage: 'NAME', summary: 'show a package and its actions', options: [], args: [1, 1], run: get },
    { name: 'list', usage: '[/NAMESPACE]', summary: 'list packages', options: [LIMIT, SKIP], args: [0, 1], run: list },
    { name: 'delete', usage: 'NAME', summary: 'delete a package (--force: with its actions, where the server allows it)', options: [{ name: 'force', type: 'boolean', help: 'delete its actions too' }], args: [1, 1], run: remove },
  ],
};
