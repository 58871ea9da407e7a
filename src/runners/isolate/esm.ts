/**
 * ES module actions. The host compiles and links the module graph with isolated-vm's module API
 * (real ES module semantics: strict mode, live bindings, top-level await), resolving specifiers
 * over the action's files with resolve.ts:
 * - ES module files are compiled as modules, each once per isolate;
 * - CommonJS files, JSON and built-ins are loaded by the prelude's require first, then exposed by a
 *   small generated module whose default export is `module.exports` and whose named exports are its
 *   keys, as Node's CommonJS interop does;
 * - a last generated module imports the entry and hands its namespace to the prelude's ready hook,
 *   so the action's main is known only once the entry (top-level await included) has finished.
 *
 * Why not a source transform to CommonJS: it would need a full JavaScript parser on the host, and
 * still could not give live bindings or top-level await. `import()` and `import.meta` properties are
 * not available: isolated-vm supports neither from the host.
 */
import { posix } from 'node:path';
import type ivm from 'isolated-vm';
import { resolveModule, type ModuleFiles } from '../../openwhisk/resolve.ts';

/** A failure while linking, with the message and logs the developer sees. */
export class ModuleLinkError extends Error {
  readonly logs: string[];
  constructor(message: string, logs: string[] = []) {
    super(message);
    this.logs = logs;
  }
}

export interface LinkOptions {
  isolate: ivm.Isolate;
  context: ivm.Context;
  files: ModuleFiles;
  entryPath: string;
  entrySource: string;
  /** The prelude's moduleExports(id): JSON names, or JSON {m, l} when loading failed. */
  moduleExports: ivm.Reference<(id: string) => string>;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Compiles and instantiates the graph; returns the module to evaluate. */
export async function linkModules(options: LinkOptions): Promise<ivm.Module> {
  const { isolate, context, files, moduleExports } = options;
  /** Compiled modules by file path or wrapper id; each compiled once. */
  const modules = new Map<string, ivm.Module>();
  const links = new Map<ivm.Module, Map<string, ivm.Module>>();
  /** Modules whose dependencies are still to be linked (breadth first, so cycles just work). */
  const queue: { module: ivm.Module; path: string }[] = [];

  const compile = async (code: string, filename: string): Promise<ivm.Module> => {
    try {
      return await isolate.compileModule(code, { filename });
    } catch (error) {
      throw new ModuleLinkError(`Initialization has failed due to: ${String(error)}`);
    }
  };

  const fileModule = async (path: string, source: string): Promise<ivm.Module> => {
    const known = modules.get(path);
    if (known) return known;
    const created = await compile(source, `file://${path}`);
    modules.set(path, created);
    queue.push({ module: created, path });
    return created;
  };

  const wrapper = async (id: string): Promise<ivm.Module> => {
    const known = modules.get(id);
    if (known) return known;
    const answer = await moduleExports.apply(undefined, [id]);
    const parsed: unknown = JSON.parse(String(answer));
    if (!Array.isArray(parsed)) {
      const failure = parsed as { m?: unknown; l?: unknown };
      throw new ModuleLinkError(String(failure.m), Array.isArray(failure.l) ? failure.l.map(String) : []);
    }
    const names = parsed.filter((name): name is string => typeof name === 'string' && IDENTIFIER.test(name));
    const locals = names.map((name, i) => `${JSON.stringify(name)}: $${i}`).join(', ');
    const exported = names.map((name, i) => `$${i} as ${name}`).join(', ');
    const code = [
      `const m = globalThis[Symbol.for('edgewhisk.require')](${JSON.stringify(id)});`,
      'export default m;',
      names.length > 0 ? `const { ${locals} } = m;\nexport { ${exported} };` : '',
    ].join('\n');
    const created = await compile(code, `edgewhisk:${id}`);
    modules.set(id, created);
    links.set(created, new Map());
    return created;
  };

  const dependency = async (specifier: string, from: string): Promise<ivm.Module> => {
    const found = resolveModule(files, specifier, posix.dirname(from), 'import');
    if (found.kind === 'error') throw new ModuleLinkError(`Initialization has failed due to: Error [${found.code}]: ${found.message} (imported from ${from})`);
    if (found.kind === 'builtin') return wrapper(`builtin:${found.name}`);
    if (found.format === 'module') return fileModule(found.path, files.files.get(found.path) ?? '');
    return wrapper(`${found.format}:${found.path}`);
  };

  const entry = await fileModule(options.entryPath, options.entrySource);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const deps = new Map<string, ivm.Module>();
    links.set(next.module, deps);
    for (const specifier of next.module.dependencySpecifiers) deps.set(specifier, await dependency(specifier, next.path));
  }
  const start = await compile(
    "import * as namespace from 'edgewhisk:entry';\nglobalThis[Symbol.for('edgewhisk.ready')](namespace);\n",
    'edgewhisk:start',
  );
  links.set(start, new Map([['edgewhisk:entry', entry]]));
  try {
    await start.instantiate(context, (specifier, referrer) => {
      const found = links.get(referrer)?.get(specifier);
      if (!found) throw new Error(`Cannot resolve '${specifier}'`);
      return found;
    });
  } catch (error) {
    throw new ModuleLinkError(`Initialization has failed due to: ${String(error)}`);
  }
  return start;
}
