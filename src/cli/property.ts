/** `edgewhisk property set|get|unset`: the wsk props file (~/.wskprops or WSK_CONFIG_FILE). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { OptionSpec } from './args.ts';
import type { Context, Group } from './command.ts';
import { UsageError } from './errors.ts';
import { DEFAULT_APIHOST, GUEST_KEY, isLoopbackUrl, lookup, normalizeApiHost, parseProps, propsPath, SETTINGS, updateProps, type Setting } from './props.ts';

const LABELS: Record<Setting, string> = { apihost: 'whisk API host', auth: 'whisk auth', namespace: 'whisk namespace' };
const ORDER: Setting[] = ['apihost', 'auth', 'namespace'];

export function readPropsFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

async function set(ctx: Context): Promise<void> {
  const path = propsPath(ctx.env, homedir());
  const updates: Record<string, string> = {};
  for (const setting of ORDER) {
    const value = ctx.opts.string(setting);
    if (value === undefined) continue;
    if (setting === 'apihost') normalizeApiHost(value); // refuse what could never work
    if (setting === 'auth' && !value.includes(':')) throw new UsageError('--auth must be of the form UUID:KEY', 'property set');
    updates[SETTINGS[setting].prop] = value;
  }
  if (Object.keys(updates).length === 0) throw new UsageError('give at least one of --apihost, --auth, --namespace', 'property set');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, updateProps(readPropsFile(path), updates), { mode: 0o600 });
  if (ctx.out.json) {
    ctx.out.data(Object.fromEntries(ORDER.filter((s) => ctx.opts.has(s)).map((s) => [s, ctx.opts.string(s)])));
    return;
  }
  for (const setting of ORDER) {
    if (!ctx.opts.has(setting)) continue;
    ctx.out.ok(setting === 'auth' ? `${LABELS.auth} set in ${path}` : `${LABELS[setting]} set to ${ctx.opts.string(setting)} in ${path}`);
  }
}

async function unset(ctx: Context): Promise<void> {
  const path = propsPath(ctx.env, homedir());
  const chosen = ORDER.filter((s) => ctx.opts.flag(s));
  if (chosen.length === 0) throw new UsageError('give at least one of --apihost, --auth, --namespace', 'property unset');
  const updates = Object.fromEntries(chosen.map((s) => [SETTINGS[s].prop, undefined]));
  writeFileSync(path, updateProps(readPropsFile(path), updates), { mode: 0o600 });
  for (const setting of chosen) ctx.out.ok(`${LABELS[setting]} unset in ${path}`);
}

async function get(ctx: Context): Promise<void> {
  const path = propsPath(ctx.env, homedir());
  const input = { flags: {}, env: ctx.env, props: parseProps(readPropsFile(path)), propsPath: path };
  const values = {} as Record<Setting, { value: string; source: string }>;
  for (const setting of ORDER) {
    const found = lookup(setting, input);
    if (found) values[setting] = setting === 'apihost' ? { ...found, value: normalizeApiHost(found.value) } : found;
  }
  values.apihost ??= { value: DEFAULT_APIHOST, source: 'default' };
  if (!values.auth && isLoopbackUrl(values.apihost.value)) values.auth = { value: GUEST_KEY, source: 'default (guest key, local server)' };
  values.namespace ??= { value: '_', source: 'default' };
  const chosen = ORDER.filter((s) => ctx.opts.flag(s));
  if (ctx.out.json) {
    const shown = chosen.length > 0 ? chosen : ORDER;
    ctx.out.data({ ...Object.fromEntries(shown.map((s) => [s, values[s]?.value ?? null])), propsFile: path });
    return;
  }
  if (chosen.length === 1) {
    ctx.out.line(values[chosen[0]!]?.value ?? '');
    return;
  }
  ctx.out.table(
    ['PROPERTY', 'VALUE', 'FROM'],
    (chosen.length > 0 ? chosen : ORDER).map((s) => [LABELS[s], values[s]?.value ?? ctx.out.style('dim', '(not set)'), values[s]?.source ?? '']),
  );
}

const which = (verb: string): OptionSpec[] => [
  { name: 'apihost', type: 'boolean', help: `${verb} the API host` },
  { name: 'auth', type: 'boolean', help: `${verb} the key` },
  { name: 'namespace', type: 'boolean', help: `${verb} the namespace` },
];

export const propertyGroup: Group = {
  name: 'property',
  summary: 'set and show the API host, key and namespace (~/.wskprops, or the file WSK_CONFIG_FILE names)',
  verbs: [
    { name: 'set', usage: '[--apihost HOST] [--auth KEY] [--namespace NS]', summary: 'write settings to the props file', options: [], args: [0, 0], run: set },
    { name: 'get', usage: '[--apihost] [--auth] [--namespace]', summary: 'show the settings in effect and where each comes from', options: which('show'), args: [0, 0], run: get },
    { name: 'unset', usage: '[--apihost] [--auth] [--namespace]', summary: 'remove settings from the props file', options: which('remove'), args: [0, 0], run: unset },
  ],
};
