/**
 * Node.js module resolution over an action archive's files: what `require(x)` or `import x` from a
 * module at some path means. Follows Node's documented algorithm (relative files with extension and
 * directory lookups, node_modules walking up, package.json `main`, `exports` with conditions and
 * subpath patterns, `imports` for `#` specifiers, `type` for .js files). Pure: it only reads the
 * in-memory file map.
 *
 * Deliberate differences: ES module imports of relative files also try the extensions CommonJS tries
 * (Node requires them spelled out), so an import that works in Node still works here; and the
 * `openwhisk` and `node-fetch` packages always resolve to the runtime's own, even when node_modules
 * bundles them, because the bundled ones need Node's http module, which actions do not have.
 */
import { builtinModules } from 'node:module';
import { posix } from 'node:path';

/** Where an action's files live, as __dirname and import.meta paths show them. */
export const ROOT = '/action';

export type ModuleFormat = 'commonjs' | 'module' | 'json';

export type Resolution =
  | { kind: 'builtin'; name: string }
  | { kind: 'file'; path: string; format: ModuleFormat }
  | { kind: 'error'; code: string; message: string };

export interface ModuleFiles {
  files: ReadonlyMap<string, string>;
  dirs: ReadonlySet<string>;
}

export type ResolveMode = 'require' | 'import';

const BUILTINS = new Set(builtinModules);
/**
 * Packages the runtime provides itself, whatever node_modules holds: their published builds need
 * Node's http module. `node-fetch` (preinstalled in Adobe's images) is the global fetch.
 */
const PROVIDED = new Set(['openwhisk', 'node-fetch']);
const CONDITIONS: Record<ResolveMode, readonly string[]> = {
  require: ['require', 'node', 'default'],
  import: ['import', 'node', 'default'],
};
const FILE_EXTENSIONS = ['.js', '.json', '.cjs', '.mjs'];
const INDEX_FILES = ['index.js', 'index.json', 'index.cjs', 'index.mjs'];

export function isBuiltin(specifier: string): boolean {
  return PROVIDED.has(specifier) || BUILTINS.has(specifier) || specifier.startsWith('node:');
}

class NotFound extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Resolves `specifier` as seen from a module in directory `fromDir`. */
export function resolveModule(files: ModuleFiles, specifier: string, fromDir: string, mode: ResolveMode): Resolution {
  try {
    if (specifier.startsWith('node:')) {
      const name = specifier.slice(5);
      if (!BUILTINS.has(name)) throw new NotFound('ERR_UNKNOWN_BUILTIN_MODULE', `No such built-in module: ${specifier}`);
      return { kind: 'builtin', name };
    }
    if (PROVIDED.has(specifier) || BUILTINS.has(specifier)) return { kind: 'builtin', name: specifier };
    const path = locate(files, specifier, fromDir, mode);
    if (path === undefined) {
      const code = mode === 'import' ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND';
      throw new NotFound(code, `Cannot find module '${specifier}' from '${fromDir}'`);
    }
    return { kind: 'file', path, format: formatOf(files, path) };
  } catch (error) {
    if (error instanceof NotFound) return { kind: 'error', code: error.code, message: error.message };
    throw error;
  }
}

function locate(files: ModuleFiles, specifier: string, fromDir: string, mode: ResolveMode): string | undefined {
  if (specifier === '') return undefined;
  if (specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/')) {
    const target = posix.resolve(fromDir, specifier);
    return asFile(files, target) ?? asDirectory(files, target);
  }
  if (specifier.startsWith('#')) return packageImports(files, specifier, fromDir, mode);
  return nodeModules(files, specifier, fromDir, mode);
}

function isFile(files: ModuleFiles, path: string): boolean {
  return files.files.has(path);
}

function asFile(files: ModuleFiles, path: string): string | undefined {
  if (isFile(files, path)) return path;
  for (const ext of FILE_EXTENSIONS) if (isFile(files, path + ext)) return path + ext;
  return undefined;
}

function asIndex(files: ModuleFiles, dir: string): string | undefined {
  for (const index of INDEX_FILES) {
    const path = `${dir}/${index}`;
    if (isFile(files, path)) return path;
  }
  return undefined;
}

function asDirectory(files: ModuleFiles, dir: string): string | undefined {
  const pkg = packageJson(files, dir);
  if (pkg && typeof pkg.main === 'string' && pkg.main !== '') {
    const main = posix.resolve(dir, pkg.main);
    const found = asFile(files, main) ?? asIndex(files, main);
    if (found !== undefined) return found;
  }
  return asIndex(files, dir);
}

function nodeModules(files: ModuleFiles, specifier: string, fromDir: string, mode: ResolveMode): string | undefined {
  const match = /^((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(specifier);
  if (!match) return undefined;
  const name = match[1]!;
  const subpath = `.${match[2] ?? ''}`;
  for (let dir = fromDir; ; dir = posix.dirname(dir)) {
    if (posix.basename(dir) !== 'node_modules') {
      const pkgDir = `${dir === '/' ? '' : dir}/node_modules/${name}`;
      if (files.dirs.has(pkgDir)) {
        const pkg = packageJson(files, pkgDir);
        if (pkg && pkg.exports !== undefined && pkg.exports !== null) {
          const target = exportsTarget(pkg.exports, subpath, mode);
          if (target === undefined) {
            throw new NotFound('ERR_PACKAGE_PATH_NOT_EXPORTED', `Package subpath '${subpath}' is not defined by "exports" in ${pkgDir}/package.json`);
          }
          const path = posix.resolve(pkgDir, target);
          if (!isFile(files, path)) throw new NotFound(mode === 'import' ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND', `Cannot find module '${path}' (exported as '${specifier}')`);
          return path;
        }
      }
      const full = `${dir === '/' ? '' : dir}/node_modules/${specifier}`;
      const found = asFile(files, full) ?? asDirectory(files, full);
      if (found !== undefined) return found;
    }
    if (dir === '/' || dir === '') return undefined;
  }
}

/** `#name` specifiers map through the `imports` field of the importing module's package. */
function packageImports(files: ModuleFiles, specifier: string, fromDir: string, mode: ResolveMode): string | undefined {
  const scope = packageScope(files, fromDir);
  const imports = scope?.pkg.imports;
  if (!scope || typeof imports !== 'object' || imports === null || Array.isArray(imports)) return undefined;
  const target = mapSubpath(imports as Record<string, unknown>, specifier, mode);
  if (target === undefined) return undefined;
  if (target.startsWith('./')) return asFile(files, posix.resolve(scope.dir, target));
  return nodeModules(files, target, scope.dir, mode);
}

/** The relative target ('./…') that a package's `exports` gives `subpath` ('.' or './x'). */
export function exportsTarget(exports: unknown, subpath: string, mode: ResolveMode): string | undefined {
  const isSubpathMap = typeof exports === 'object' && exports !== null && !Array.isArray(exports)
    && Object.keys(exports).some((key) => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditionalTarget(exports, undefined, mode) : undefined;
  const target = mapSubpath(exports as Record<string, unknown>, subpath, mode);
  return target !== undefined && target.startsWith('./') ? target : undefined;
}

/** Exact keys first, then the longest matching `*` pattern, then legacy folder keys ending in '/'. */
function mapSubpath(map: Record<string, unknown>, subpath: string, mode: ResolveMode): string | undefined {
  if (Object.hasOwn(map, subpath) && !subpath.includes('*')) return conditionalTarget(map[subpath], undefined, mode);
  let best: { key: string; match: string } | undefined;
  for (const key of Object.keys(map)) {
    const star = key.indexOf('*');
    if (star < 0 || key.indexOf('*', star + 1) >= 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.length >= key.length && subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath !== prefix) {
      if (!best || prefix.length > best.key.indexOf('*')) best = { key, match: subpath.slice(prefix.length, subpath.length - suffix.length) };
    }
  }
  if (best) return conditionalTarget(map[best.key], best.match, mode);
  for (const key of Object.keys(map).sort((a, b) => b.length - a.length)) {
    if (key.endsWith('/') && subpath.startsWith(key)) {
      const base = conditionalTarget(map[key], undefined, mode);
      return base === undefined ? undefined : base + subpath.slice(key.length);
    }
  }
  return undefined;
}

function conditionalTarget(target: unknown, patternMatch: string | undefined, mode: ResolveMode): string | undefined {
  if (typeof target === 'string') {
    if (patternMatch === undefined) return target;
    return target.replace(/\*/g, patternMatch);
  }
  if (Array.isArray(target)) {
    for (const item of target) {
      const resolved = conditionalTarget(item, patternMatch, mode);
      if (resolved !== undefined) return resolved;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS[mode].includes(condition)) continue;
      const resolved = conditionalTarget(value, patternMatch, mode);
      if (resolved !== undefined) return resolved;
    }
  }
  return undefined;
}

/** How a file is loaded: by extension, and for .js by the nearest package.json's `type`. */
export function formatOf(files: ModuleFiles, path: string): ModuleFormat {
  if (path.endsWith('.mjs')) return 'module';
  if (path.endsWith('.cjs')) return 'commonjs';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.js')) return packageScope(files, posix.dirname(path))?.pkg.type === 'module' ? 'module' : 'commonjs';
  return 'commonjs';
}

interface PackageJson {
  main?: unknown;
  exports?: unknown;
  imports?: unknown;
  type?: unknown;
}

/** Node's package scope: the nearest package.json upward, not crossing a node_modules folder. */
function packageScope(files: ModuleFiles, dir: string): { dir: string; pkg: PackageJson } | undefined {
  for (let current = dir; ; current = posix.dirname(current)) {
    if (posix.basename(current) === 'node_modules') return undefined;
    const pkg = packageJson(files, current);
    if (pkg) return { dir: current, pkg };
    if (current === '/' || current === ROOT) return undefined;
  }
}

const parsedPackages = new WeakMap<ModuleFiles, Map<string, PackageJson | null>>();

function packageJson(files: ModuleFiles, dir: string): PackageJson | undefined {
  let cache = parsedPackages.get(files);
  if (!cache) {
    cache = new Map();
    parsedPackages.set(files, cache);
  }
  const path = `${dir === '/' ? '' : dir}/package.json`;
  let pkg = cache.get(path);
  if (pkg === undefined) {
    const text = files.files.get(path);
    pkg = null;
    if (text !== undefined) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) pkg = parsed as PackageJson;
      } catch {
        throw new NotFound('ERR_INVALID_PACKAGE_CONFIG', `Invalid package config ${path}: it is not valid JSON.`);
      }
    }
    cache.set(path, pkg);
  }
  return pkg ?? undefined;
}
