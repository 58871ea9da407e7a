/**
 * Action code from the file system, as wsk reads it: a source file (kind from its extension), a
 * .zip (base64; needs --kind), or a folder (zipped here, kind from what it holds). Zips are built
 * deterministically (sorted entries, fixed times), so the same folder gives the same code and
 * `deploy` can tell an unchanged action from a changed one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { UsageError } from './errors.ts';

export interface CodeExec {
  kind: string;
  code: string;
  main?: string;
}

export interface Artifact {
  exec: CodeExec;
  /** 'file', 'zip' or 'folder' (zipped). */
  form: 'file' | 'zip' | 'folder';
  /** Files zipped, for a folder. */
  files?: number;
}

const KIND_BY_EXTENSION: Record<string, string> = {
  '.js': 'nodejs:default',
  '.mjs': 'nodejs:default',
  '.cjs': 'nodejs:default',
  '.py': 'python:default',
  '.php': 'php:default',
  '.go': 'go:default',
  '.rb': 'ruby:default',
  '.swift': 'swift:default',
  '.rs': 'rust:default',
  '.jar': 'java:default',
};

/** Files at a folder's root that tell its runtime, in order of precedence. */
const KIND_BY_FILE: [string, string][] = [
  ['package.json', 'nodejs:default'],
  ['index.js', 'nodejs:default'],
  ['__main__.py', 'python:default'],
  ['requirements.txt', 'python:default'],
  ['index.php', 'php:default'],
  ['composer.json', 'php:default'],
  ['main.go', 'go:default'],
  ['go.mod', 'go:default'],
];

/** Never zipped: version control and OS litter. */
const SKIP = new Set(['.git', '.svn', '.hg', '.DS_Store', 'Thumbs.db']);

export function kindOfFile(path: string): string | undefined {
  return KIND_BY_EXTENSION[extname(path).toLowerCase()];
}

export function kindOfFolder(names: Iterable<string>): string | undefined {
  const present = new Set(names);
  return KIND_BY_FILE.find(([file]) => present.has(file))?.[1];
}

/** Reads `path` into an action exec; `kind` and `main` (from --kind, --main) win over inference. */
export function readArtifact(path: string, kind: string | undefined, main: string | undefined): Artifact {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `file '${path}' does not exist` : `cannot read '${path}': ${(error as Error).message}`);
  }
  const withMain = (exec: CodeExec): CodeExec => (main === undefined ? exec : { ...exec, main });
  if (stat.isDirectory()) {
    const inferred = kind ?? kindOfFolder(readdirSync(path));
    if (inferred === undefined) {
      throw new UsageError(`cannot tell the kind of folder '${path}' (no package.json, index.js, __main__.py …): give --kind`);
    }
    const { zip, files } = zipFolder(path);
    if (files === 0) throw new UsageError(`folder '${path}' is empty`);
    return { exec: withMain({ kind: inferred, code: Buffer.from(zip).toString('base64') }), form: 'folder', files };
  }
  const ext = extname(path).toLowerCase();
  const bytes = readFile(path);
  if (ext === '.zip' || ext === '.jar') {
    const inferred = kind ?? (ext === '.jar' ? KIND_BY_EXTENSION['.jar'] : undefined);
    if (inferred === undefined) throw new UsageError(`creating an action from a .zip artifact requires specifying the action kind explicitly (--kind)`);
    return { exec: withMain({ kind: inferred, code: bytes.toString('base64') }), form: 'zip' };
  }
  const inferred = kind ?? kindOfFile(path);
  if (inferred === undefined) {
    throw new UsageError(`cannot tell the kind of '${basename(path)}' from its extension '${ext}': give --kind`);
  }
  return { exec: withMain({ kind: inferred, code: bytes.toString('utf8') }), form: 'file' };
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read '${path}': ${(error as Error).message}`);
  }
}

/** Every file under `dir` (symlinks followed), as sorted posix paths relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      if (SKIP.has(name)) continue;
      const full = join(current, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(full);
      else if (stat.isFile()) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** The same folder content always gives the same bytes: sorted entries, one fixed (local) time. */
export function zipFolder(dir: string): { zip: Uint8Array; files: number } {
  const mtime = new Date(2000, 0, 1, 0, 0, 0);
  const entries: Zippable = {};
  const files = listFiles(dir);
  for (const file of files) entries[file] = [readFileSync(join(dir, file)), { mtime }];
  return { zip: zipSync(entries, { level: 6, mtime }), files: files.length };
}
