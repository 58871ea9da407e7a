/**
 * `edgewhisk deploy DIR`: an OpenServerless-style project, `packages/<pkg>/<action>.js|.py|…` and
 * `packages/<pkg>/<action>/` folders (zipped), with options in header comments (`//--web true`,
 * `#--param KEY $ENV`, `//--kind`, `//--main`, `//--annotation k v`, limits) and package options in
 * `packages/<pkg>.args`. Variables come from the environment over DIR/.env. Each package and action
 * is compared with what the server has and reported as created, updated or unchanged.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { ACTION_OPTIONS, actionPath, limitsOf, type ActionDoc } from './action.ts';
import { Options, parseArgs, type OptionSpec } from './args.ts';
import { kindOfFile, readArtifact, type CodeExec } from './artifact.ts';
import type { Context, Group } from './command.ts';
import { doing, UsageError } from './errors.ts';
import { httpError, type WhiskClient } from './http.ts';
import { applyWeb, keyValues, readKeyValueFile, type KeyValue } from './keyvalues.ts';
import type { QualifiedName } from './names.ts';
import { packagePath, type PackageDoc } from './package.ts';
import { headerLines, parseDotEnv, splitWords } from './shellwords.ts';

/** Entry files of folder actions whose header comments count (OpenServerless' list, then package.json's main). */
const MAINS = ['__main__.py', 'index.js', 'index.php', 'main.go'];
const SKIP_DIRS = new Set(['node_modules', '__pycache__']);

const PACKAGE_OPTIONS: OptionSpec[] = [
  ACTION_OPTIONS.find((o) => o.name === 'param')!,
  ACTION_OPTIONS.find((o) => o.name === 'param-file')!,
  ACTION_OPTIONS.find((o) => o.name === 'annotation')!,
  ACTION_OPTIONS.find((o) => o.name === 'annotation-file')!,
  { name: 'shared', type: 'string', value: 'yes|no', help: 'publish the package' },
];

export type Status = 'created' | 'updated' | 'unchanged';

export interface Outcome {
  type: 'package' | 'action';
  name: string;
  status: Status;
  /** What differed, for `updated`. */
  changes?: string[];
  source: string;
}

interface PlannedPackage {
  name: string;
  source: string;
  body: { parameters: KeyValue[]; annotations: KeyValue[]; publish?: boolean };
}

interface PlannedAction {
  pkg: string;
  name: string;
  source: string;
  body: { exec: CodeExec; parameters: KeyValue[]; annotations: KeyValue[]; limits?: Record<string, number> };
}

interface Plan {
  packages: PlannedPackage[];
  actions: PlannedAction[];
}

/** Reads the project into what should be on the server; warnings go to `warn`. */
export function planProject(root: string, env: Record<string, string | undefined>, warn: (message: string) => void): Plan {
  const packagesDir = join(root, 'packages');
  if (!existsSync(packagesDir) || !statSync(packagesDir).isDirectory()) {
    throw new UsageError(`'${root}' has no packages/ folder: deploy expects packages/<package>/<action>.js|.py or packages/<package>/<action>/`);
  }
  const rel = (path: string): string => relative(root, path) || '.';
  const headerOptions = (files: string[], specs: OptionSpec[], source: string): Options => {
    const words: string[] = [];
    for (const file of files) {
      for (const line of headerLines(readFileSync(file, 'utf8'))) {
        try {
          words.push(...splitWords(line, { env, missing: (name) => warn(`${rel(file)}: $${name} is not set`) }));
        } catch (error) {
          throw new UsageError(`${rel(file)}: ${(error as Error).message}`);
        }
      }
    }
    try {
      const parsed = parseArgs(words, specs, source);
      if (parsed.words.length > 0) throw new UsageError(`unexpected '${parsed.words[0]}' in the header options`);
      return new Options(parsed);
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`${source}: ${error.message}`);
      throw error;
    }
  };
  const fileRelative = (opts: Options, name: string): KeyValue[] => {
    const file = opts.string(name);
    return file === undefined ? [] : readKeyValueFile(resolve(root, file), `${name}`);
  };

  const plan: Plan = { packages: [], actions: [] };
  const pkgNames = readdirSync(packagesDir)
    .filter((name) => !name.startsWith('.') && statSync(join(packagesDir, name)).isDirectory())
    .sort();
  for (const pkg of pkgNames) {
    const argsFile = join(packagesDir, `${pkg}.args`);
    const source = existsSync(argsFile) ? rel(argsFile) : rel(join(packagesDir, pkg));
    let pkgOpts: Options | undefined;
    if (existsSync(argsFile)) {
      // Lines of option words, with or without the //- or #- of header comments.
      const lines = readFileSync(argsFile, 'utf8').split(/\r?\n/).map((l) => l.trim().replace(/^(\/\/|#)(?=-)/, '')).filter((l) => l.startsWith('-'));
      try {
        const words = lines.flatMap((line) => splitWords(line, { env, missing: (name) => warn(`${source}: $${name} is not set`) }));
        const parsed = parseArgs(words, PACKAGE_OPTIONS, source);
        if (parsed.words.length > 0) throw new UsageError(`unexpected '${parsed.words[0]}'`);
        pkgOpts = new Options(parsed);
      } catch (error) {
        throw new UsageError(`${source}: ${(error as Error).message}`);
      }
    }
    const body: PlannedPackage['body'] = {
      parameters: pkgOpts ? keyValues(pkgOpts.pairs('param'), fileRelative(pkgOpts, 'param-file')) : [],
      annotations: pkgOpts ? keyValues(pkgOpts.pairs('annotation'), fileRelative(pkgOpts, 'annotation-file')) : [],
    };
    const shared = pkgOpts?.string('shared');
    if (shared !== undefined) body.publish = /^(yes|true)$/i.test(shared);
    plan.packages.push({ name: pkg, source, body });

    const dir = join(packagesDir, pkg);
    const seen = new Map<string, string>();
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const isDir = statSync(path).isDirectory();
      if (entry.startsWith('.') || (isDir && SKIP_DIRS.has(entry))) continue;
      if (!isDir && kindOfFile(entry) === undefined) continue;
      if (!isDir && (extname(entry) === '.zip' || extname(entry) === '.jar')) continue;
      const name = isDir ? entry : basename(entry, extname(entry));
      const source = rel(path) + (isDir ? '/' : '');
      const clash = seen.get(name);
      if (clash !== undefined) throw new UsageError(`${clash} and ${source} would both be action ${pkg}/${name}`);
      seen.set(name, source);
      const headers = isDir ? mainFiles(path) : [path];
      const opts = headerOptions(headers, ACTION_OPTIONS, source);
      if (isDir) warnMissingDependencies(path, source, warn);
      const artifact = readArtifact(path, opts.string('kind'), opts.string('main'));
      let annotations = keyValues(opts.pairs('annotation'), fileRelative(opts, 'annotation-file'));
      const web = opts.string('web');
      const webSecure = opts.string('web-secure');
      if (web !== undefined || webSecure !== undefined) annotations = applyWeb(annotations, web, webSecure);
      const actionBody: PlannedAction['body'] = {
        exec: artifact.exec,
        parameters: keyValues(opts.pairs('param'), fileRelative(opts, 'param-file')),
        annotations,
      };
      const limits = limitsOf(opts, source);
      if (limits !== undefined) actionBody.limits = limits;
      plan.actions.push({ pkg, name, source, body: actionBody });
    }
  }
  return plan;
}

function mainFiles(dir: string): string[] {
  const files = MAINS.map((m) => join(dir, m)).filter((f) => existsSync(f));
  const manifest = join(dir, 'package.json');
  if (existsSync(manifest)) {
    try {
      const main = (JSON.parse(readFileSync(manifest, 'utf8')) as { main?: unknown }).main;
      if (typeof main === 'string') {
        const file = resolve(dir, main);
        if (existsSync(file) && statSync(file).isFile() && !files.includes(file)) files.push(file);
      }
    } catch {
      // an unreadable package.json is the runtime's to report
    }
  }
  return files;
}

function warnMissingDependencies(dir: string, source: string, warn: (message: string) => void): void {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest) || existsSync(join(dir, 'node_modules'))) return;
  try {
    const deps = (JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, unknown> }).dependencies;
    if (deps && Object.keys(deps).length > 0) warn(`${source}: package.json has dependencies but there is no node_modules (run npm install there)`);
  } catch {
    warn(`${source}: package.json is not valid JSON`);
  }
}

/** `family:default` → the server's default kind of that family, from `GET /` (runtimes). */
async function defaultKinds(client: WhiskClient): Promise<Map<string, string>> {
  const kinds = new Map<string, string>();
  try {
    // The runtimes are listed at the server's root, not under /api/v1.
    const reply = await client.send('GET', '/', { auth: false, root: true });
    const root = (reply.status === 200 ? reply.body : {}) as { runtimes?: Record<string, { kind: string; default?: boolean }[]> };
    for (const [family, list] of Object.entries(root.runtimes ?? {})) {
      const preferred = list.find((k) => k.default) ?? list[0];
      if (preferred) kinds.set(family, preferred.kind);
    }
  } catch {
    // unknown: kinds are then compared by family
  }
  return kinds;
}

function sameKind(desired: string, actual: string | undefined, defaults: Map<string, string>): boolean {
  if (actual === undefined) return false;
  if (desired === actual) return true;
  if (!desired.endsWith(':default')) return false;
  const family = desired.slice(0, -':default'.length);
  const resolved = defaults.get(family);
  return resolved !== undefined ? resolved === actual : actual.split(':')[0] === family;
}

/** Key-value lists compared as sets of (key, value). */
function canonical(list: KeyValue[] | undefined, ignore: (key: string) => boolean = () => false): string {
  return JSON.stringify(
    (list ?? [])
      .filter((kv) => !ignore(kv.key))
      .map((kv) => [kv.key, kv.value])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

/** Keys the server sets itself: `exec` always, `provide-api-key` on create. */
function serverAnnotation(desired: KeyValue[]): (key: string) => boolean {
  return (key) => key === 'exec' || (key === 'provide-api-key' && !desired.some((kv) => kv.key === key));
}

/** `over` laid on `base`, key by key. */
function merged(base: KeyValue[], over: KeyValue[]): KeyValue[] {
  return [...base.filter((kv) => !over.some((o) => o.key === kv.key)), ...over];
}

/**
 * What differs between the action on the server and the one to deploy. `inherited` are its
 * package's parameters: reading an action in a package shows them merged in (as upstream does).
 */
export function actionChanges(existing: ActionDoc, desired: PlannedAction['body'], defaults: Map<string, string>, inherited: KeyValue[] = []): string[] {
  const changes: string[] = [];
  const exec = existing.exec ?? {};
  if (!sameKind(desired.exec.kind, exec.kind, defaults)) changes.push('kind');
  if (exec.code !== desired.exec.code) changes.push('code');
  if ((exec.main ?? undefined) !== desired.exec.main) changes.push('main');
  const params = canonical(existing.parameters);
  if (params !== canonical(desired.parameters) && params !== canonical(merged(inherited, desired.parameters))) changes.push('parameters');
  const ignore = serverAnnotation(desired.annotations);
  if (canonical(existing.annotations, ignore) !== canonical(desired.annotations, ignore)) changes.push('annotations');
  for (const [key, value] of Object.entries(desired.limits ?? {})) {
    if (existing.limits?.[key] !== value) {
      changes.push('limits');
      break;
    }
  }
  return changes;
}

export function packageChanges(existing: PackageDoc, desired: PlannedPackage['body']): string[] {
  const changes: string[] = [];
  if (canonical(existing.parameters) !== canonical(desired.parameters)) changes.push('parameters');
  if (canonical(existing.annotations, (k) => k === 'binding') !== canonical(desired.annotations)) changes.push('annotations');
  if (desired.publish !== undefined && Boolean(existing.publish) !== desired.publish) changes.push('shared');
  return changes;
}

async function fetchExisting<T>(client: WhiskClient, path: string, query: Record<string, boolean> = {}): Promise<T | undefined> {
  const reply = await client.send('GET', path, { query });
  if (reply.status === 404) return undefined;
  if (reply.status >= 400) throw httpError(reply);
  return reply.body as T;
}

async function deploy(ctx: Context): Promise<void> {
  const root = resolve(ctx.words[0] ?? '.');
  const dryRun = ctx.opts.flag('dry-run');
  const dotEnvFile = join(root, '.env');
  const env = { ...(existsSync(dotEnvFile) ? parseDotEnv(readFileSync(dotEnvFile, 'utf8')) : {}), ...ctx.env };
  const plan = planProject(root, env, (message) => ctx.out.warn(message));
  const client = ctx.client();
  const namespace = client.config.namespace;
  const outcomes: Outcome[] = [];

  for (const pkg of plan.packages) {
    const q: QualifiedName = { namespace, pkg: undefined, name: pkg.name };
    const path = packagePath(client, q);
    const existing = await doing(`Unable to deploy package '${pkg.name}'`, () => fetchExisting<PackageDoc>(client, path));
    const changes = existing ? packageChanges(existing, pkg.body) : [];
    const status: Status = !existing ? 'created' : changes.length > 0 ? 'updated' : 'unchanged';
    if (status !== 'unchanged' && !dryRun) {
      await doing(`Unable to deploy package '${pkg.name}'`, () => client.call('PUT', path, { query: { overwrite: true }, body: pkg.body }));
    }
    outcomes.push({ type: 'package', name: pkg.name, status, ...(changes.length > 0 ? { changes } : {}), source: pkg.source });
  }

  const defaults = plan.actions.length > 0 ? await defaultKinds(client) : new Map<string, string>();
  for (const action of plan.actions) {
    const q: QualifiedName = { namespace, pkg: action.pkg, name: action.name };
    const name = `${action.pkg}/${action.name}`;
    const path = actionPath(client, q);
    const existing = await doing(`Unable to deploy action '${name}'`, () => fetchExisting<ActionDoc>(client, path));
    const inherited = plan.packages.find((p) => p.name === action.pkg)?.body.parameters ?? [];
    const changes = existing ? actionChanges(existing, action.body, defaults, inherited) : [];
    const status: Status = !existing ? 'created' : changes.length > 0 ? 'updated' : 'unchanged';
    if (status !== 'unchanged' && !dryRun) {
      await doing(`Unable to deploy action '${name}' (${action.source})`, () => client.call('PUT', path, { query: { overwrite: true }, body: action.body }));
    }
    outcomes.push({ type: 'action', name, status, ...(changes.length > 0 ? { changes } : {}), source: action.source });
  }

  if (ctx.out.json) {
    ctx.out.data({ dryRun, namespace, outcomes });
    return;
  }
  const colour = { created: 'green', updated: 'yellow', unchanged: 'dim' } as const;
  ctx.out.table(
    ['', 'NAME', 'STATUS', 'FROM'],
    outcomes.map((o) => [
      o.type,
      o.name,
      ctx.out.style(colour[o.status], `${dryRun && o.status !== 'unchanged' ? 'would be ' : ''}${o.status}${o.changes ? ` (${o.changes.join(', ')})` : ''}`),
      o.source,
    ]),
    'nothing to deploy',
  );
  const count = (s: Status): number => outcomes.filter((o) => o.status === s).length;
  ctx.out.line(`${dryRun ? 'dry run: ' : ''}${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged`);
}

export const deployGroup: Group = {
  name: 'deploy',
  summary: 'deploy a project folder (packages/<package>/<action>.js|.py or <action>/ folders) and report what changed',
  verbs: [
    {
      name: '',
      usage: '[DIR]',
      summary: 'deploy DIR (default .): packages/<package>/<action>.js|.py|… or <action>/ folders (zipped), options in //-- or #-- header comments and packages/<package>.args',
      options: [{ name: 'dry-run', type: 'boolean', help: 'report what would change without changing anything' }],
      args: [0, 1],
      run: deploy,
    },
  ],
};
