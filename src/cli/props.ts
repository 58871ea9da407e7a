/**
 * Client configuration as wsk resolves it: the props file (~/.wskprops, or WSK_CONFIG_FILE) under
 * environment variables under command-line flags. Pure: the caller reads the file and passes env.
 */
import { join } from 'node:path';
import { UsageError } from './errors.ts';

/** OpenWhisk's published development key for `guest`, used against a local server when none is set. */
export const GUEST_KEY = '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP';
export const DEFAULT_APIHOST = 'http://127.0.0.1:3233';

export type Setting = 'apihost' | 'auth' | 'namespace';

/** The props-file key and environment variables of each setting, strongest variable first. */
export const SETTINGS: Record<Setting, { prop: string; env: string[]; flag: string }> = {
  apihost: { prop: 'APIHOST', env: ['__OW_API_HOST', 'WSK_APIHOST', 'AIO_RUNTIME_APIHOST'], flag: '--apihost' },
  auth: { prop: 'AUTH', env: ['__OW_API_KEY', 'WSK_AUTH', 'AIO_RUNTIME_AUTH'], flag: '--auth' },
  namespace: { prop: 'NAMESPACE', env: ['__OW_NAMESPACE', 'WSK_NAMESPACE', 'AIO_RUNTIME_NAMESPACE'], flag: '--namespace' },
};

export interface ClientConfig {
  /** Normalized: scheme, host, port; no trailing slash, no /api/v1. */
  apihost: string;
  auth: string;
  /** `_` (the key's own namespace) unless one is configured. */
  namespace: string;
  insecure: boolean;
  /** Where each setting came from, for `property get`. */
  sources: Record<Setting, string>;
}

export interface ConfigInput {
  flags: Partial<Record<Setting, string>> & { insecure?: boolean };
  env: Record<string, string | undefined>;
  /** The props file's entries (parseProps), empty when it does not exist. */
  props: Map<string, string>;
  propsPath: string;
}

/** WSK_CONFIG_FILE, else ~/.wskprops (HOME from the environment, as wsk does). */
export function propsPath(env: Record<string, string | undefined>, homedir: string): string {
  const given = env.WSK_CONFIG_FILE;
  if (given !== undefined && given !== '') return given;
  return join(env.HOME || homedir, '.wskprops');
}

/** KEY=VALUE lines; blank lines and # comments skipped; later keys win. */
export function parseProps(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    props.set(line.slice(0, eq).trim(), unquote(line.slice(eq + 1).trim()));
  }
  return props;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) return value.slice(1, -1);
  return value;
}

/**
 * Rewrites props-file text: each key in `updates` is replaced in place (first occurrence, later
 * duplicates dropped), appended when new, removed when its value is undefined. Other lines stay.
 */
export function updateProps(text: string, updates: Record<string, string | undefined>): string {
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const done = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = eq > 0 && !line.trim().startsWith('#') ? line.slice(0, eq).trim() : undefined;
    if (key === undefined || !(key in updates)) {
      out.push(line);
      continue;
    }
    if (done.has(key)) continue;
    done.add(key);
    const value = updates[key];
    if (value !== undefined) out.push(`${key}=${value}`);
  }
  for (const [key, value] of Object.entries(updates)) {
    if (!done.has(key) && value !== undefined) out.push(`${key}=${value}`);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** One setting: flag over environment over props file; undefined when none sets it. */
export function lookup(setting: Setting, input: ConfigInput): { value: string; source: string } | undefined {
  const { prop, env, flag } = SETTINGS[setting];
  const fromFlag = input.flags[setting];
  if (fromFlag !== undefined) return { value: fromFlag, source: `flag ${flag}` };
  for (const name of env) {
    const value = input.env[name];
    if (value !== undefined && value !== '') return { value, source: `env ${name}` };
  }
  const fromFile = input.props.get(prop);
  if (fromFile !== undefined && fromFile !== '') return { value: fromFile, source: input.propsPath };
  return undefined;
}

export function resolveClientConfig(input: ConfigInput): ClientConfig {
  const apihost = lookup('apihost', input);
  const auth = lookup('auth', input);
  const namespace = lookup('namespace', input);
  const host = normalizeApiHost(apihost?.value ?? DEFAULT_APIHOST);
  let key = auth?.value;
  let authSource = auth?.source;
  if (key === undefined) {
    // A local server accepts the published guest key: work out of the box against `edgewhisk serve`.
    if (!isLoopbackUrl(host)) {
      throw new UsageError(`no credentials for ${host}: give --auth, set __OW_API_KEY, or run 'edgewhisk property set --auth KEY'`);
    }
    key = GUEST_KEY;
    authSource = 'default (guest key, local server)';
  }
  if (!key.includes(':')) throw new UsageError(`the key from ${authSource} is not of the form UUID:KEY`);
  const insecureEnv = input.env.__OW_IGNORE_CERTS;
  return {
    apihost: host,
    auth: key,
    namespace: namespace?.value ?? '_',
    insecure: input.flags.insecure === true || (insecureEnv !== undefined && /^(1|true|yes)$/i.test(insecureEnv)),
    sources: {
      apihost: apihost?.source ?? 'default',
      auth: authSource!,
      namespace: namespace?.source ?? 'default',
    },
  };
}

/**
 * `localhost:3233` → `http://localhost:3233`; `example.com` → `https://example.com` (no scheme:
 * https, as wsk, but plain http for loopback hosts); a trailing `/` or `/api/v1` is dropped.
 */
export function normalizeApiHost(raw: string): string {
  let value = raw.trim().replace(/\/+$/, '');
  if (value === '') throw new UsageError('the API host is empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const host = value.split('/')[0]!.replace(/:\d+$/, '');
    value = `${isLoopbackHost(host) ? 'http' : 'https'}://${value}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`'${raw}' is not a valid API host`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`'${raw}' is not an http or https API host`);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api(\/v1)?$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export function isLoopbackUrl(apihost: string): boolean {
  return isLoopbackHost(new URL(apihost).hostname);
}
