/** `edgewhisk rule create|update|enable|disable|get|list|delete`. */
import { paging } from './action.ts';
import { LIMIT, SKIP, type Context, type Group } from './command.ts';
import { doing } from './errors.ts';
import type { WhiskClient } from './http.ts';
import { fullName, parseName, parseNamespace, parseSimpleName, type QualifiedName } from './names.ts';
import { relativeTime } from './output.ts';

interface RuleDoc {
  namespace: string;
  name: string;
  version?: string;
  status?: string;
  trigger?: { path?: string; name?: string } | string;
  action?: { path?: string; name?: string } | string;
  updated?: number;
}

function rulePath(client: WhiskClient, q: QualifiedName): string {
  return client.path('rules', [q.name], q.namespace);
}

/** `/ns/name` from a rule's {path, name} reference. */
function refName(ref: RuleDoc['trigger']): string {
  if (ref === undefined) return '';
  if (typeof ref === 'string') return ref;
  return `/${ref.path ?? ''}/${ref.name ?? ''}`;
}

async function put(ctx: Context, overwrite: boolean): Promise<void> {
  const client = ctx.client();
  const [nameArg, triggerArg, actionArg] = ctx.words as [string, string, string];
  const q = parseSimpleName(nameArg, client.config.namespace, 'rule name');
  const trigger = fullName(parseSimpleName(triggerArg, client.config.namespace, 'trigger name'));
  const action = fullName(parseName(actionArg, client.config.namespace, 'action name'));
  const verb = overwrite ? 'update' : 'create';
  const doc = await doing(`Unable to ${verb} rule '${nameArg}'`, () =>
    client.call('PUT', rulePath(client, q), { query: { overwrite }, body: { trigger, action } }),
  );
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`${overwrite ? 'updated' : 'created'} rule ${nameArg}`);
}

async function setStatus(ctx: Context, status: 'active' | 'inactive'): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'rule name');
  const verb = status === 'active' ? 'enable' : 'disable';
  const doc = await doing(`Unable to ${verb} rule '${nameArg}'`, () => client.call('POST', rulePath(client, q), { body: { status } }));
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`${verb}d rule ${nameArg}`);
}

async function get(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'rule name');
  const doc = await doing(`Unable to get rule '${nameArg}'`, () => client.call('GET', rulePath(client, q)));
  if (!ctx.out.json) ctx.out.ok(`got rule ${nameArg}`);
  ctx.out.data(doc);
}

async function list(ctx: Context): Promise<void> {
  const client = ctx.client();
  const namespace = parseNamespace(ctx.words[0], client.config.namespace);
  const rules = await doing('Unable to list rules', () =>
    client.call<RuleDoc[]>('GET', client.path('rules', [], namespace), { query: paging(ctx.opts, 'rule list') }),
  );
  if (ctx.out.json) {
    ctx.out.data(rules);
    return;
  }
  const now = ctx.now();
  ctx.out.table(
    ['NAME', 'STATUS', 'TRIGGER', 'ACTION', 'UPDATED'],
    rules.map((r) => [
      `/${r.namespace}/${r.name}`,
      r.status === 'active' ? ctx.out.style('green', 'active') : (r.status ?? ''),
      refName(r.trigger),
      refName(r.action),
      r.updated === undefined ? '' : relativeTime(r.updated, now),
    ]),
    'no rules',
  );
}

async function remove(ctx: Context): Promise<void> {
  const client = ctx.client();
  const nameArg = ctx.words[0]!;
  const q = parseSimpleName(nameArg, client.config.namespace, 'rule name');
  const doc = await doing(`Unable to delete rule '${nameArg}'`, () => client.call('DELETE', rulePath(client, q)));
  if (ctx.out.json) ctx.out.data(doc);
  else ctx.out.ok(`deleted rule ${nameArg}`);
}

export const ruleGroup: Group = {
  name: 'rule',
  summary: 'work with rules (trigger → action)',
  verbs: [
    { name: 'create', usage: 'NAME TRIGGER ACTION', summary: 'create a rule (active)', options: [], args: [3, 3], run: (ctx) => put(ctx, false) },
    { name: 'update', usage: 'NAME TRIGGER ACTION', summary: 'update a rule, or create it', options: [], args: [3, 3], run: (ctx) => put(ctx, true) },
    { name: 'enable', usage: 'NAME', summary: 'activate a rule', options: [], args: [1, 1], run: (ctx) => setStatus(ctx, 'active') },
    { name: 'disable', usage: 'NAME', summary: 'deactivate a rule', options: [], args: [1, 1], run: (ctx) => setStatus(ctx, 'inactive') },
    { name: 'get', usage: 'NAME', summary: 'show a rule', options: [], args: [1, 1], run: get },
    { name: 'list', usage: '[/NAMESPACE]', summary: 'list rules', options: [LIMIT, SKIP], args: [0, 1], run: list },
    { name: 'delete', usage: 'NAME', summary: 'delete a rule', options: [], args: [1, 1], run: remove },
  ],
};
