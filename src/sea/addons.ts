/**
 * The native addons of the single-file binary (scripts/build-binary.ts). They travel inside it as
 * SEA assets, beside a manifest with their SHA-256; the first start writes them to a private cache
 * directory and every start checks them there before process.dlopen loads them:
 *
 *   $EDGEWHISK_CACHE_DIR, else $XDG_CACHE_HOME/edgewhisk, else $HOME/.cache/edgewhisk, else (no
 *   HOME at all, e.g. an empty environment) <tmpdir>/edgewhisk-<uid>; inside it <version>-<key>/.
 *
 * Files are written to a temporary name in the same directory and renamed into place, so two
 * binaries starting at once on a fresh cache never see a half-written addon. The directories
 * are created mode 0700; a shared fallback (in /tmp) must be ours and private, or we refuse it.
 * A cache that cannot be used is a CacheError: one line saying where and why.
 *
 * Only used by the bundle (src/sea/main.ts); a normal run loads the addons from node_modules.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAsset, getRawAsset } from 'node:sea';

export type AddonName = 'isolated-vm' | 'better-sqlite3' | 'uWebSockets.js';

/** The `manifest.json` asset the build writes. */
export interface SeaManifest {
  version: string;
  /** Digest of all addons: names the cache subdirectory. */
  key: string;
  addons: Record<AddonName, { asset: string; file: string; sha256: string }>;
}

export class CacheError extends Error {}

let manifest: SeaManifest | undefined;
function readManifest(): SeaManifest {
  manifest ??= JSON.parse(getAsset('manifest.json', 'utf8')) as SeaManifest;
  return manifest;
}

/** The cache root, from the environment (see the header). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): { root: string; shared: boolean } {
  if (env.EDGEWHISK_CACHE_DIR) return { root: env.EDGEWHISK_CACHE_DIR, shared: false };
  if (env.XDG_CACHE_HOME) return { root: join(env.XDG_CACHE_HOME, 'edgewhisk'), shared: false };
  if (env.HOME) return { root: join(env.HOME, '.cache', 'edgewhisk'), shared: false };
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return { root: join(tmpdir(), `edgewhisk-${uid}`), shared: true };
}

let directory: string | undefined;
function cacheDir(): string {
  if (directory !== undefined) return directory;
  const m = readManifest();
  const { root, shared } = cacheRoot();
  const dir = join(root, `${m.version}-${m.key}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (shared) {
      // A world-writable parent: the directory must be ours and closed to others.
      const st = lstatSync(root);
      const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
      if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
        throw Object.assign(new Error('not a private directory of this user'), { code: 'EPERM' });
      }
    }
  } catch (error) {
    throw cacheError(dir, error);
  }
  directory = dir;
  return dir;
}

function cacheError(path: string, error: unknown): CacheError {
  const e = error as NodeJS.ErrnoException;
  const why = e.code ? `${e.code}${e.message.includes(e.code) ? '' : ` (${e.message})`}` : e.message;
  return new CacheError(`cannot use the addon cache directory ${path}: ${why.replace(/\s+/g, ' ')}; set EDGEWHISK_CACHE_DIR to a writable directory`);
}

function sha256(data: NodeJS.ArrayBufferView): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Bytes read at a time when checking a cached addon. */
const CHUNK_BYTES = 256 * 1024;

/**
 * The SHA-256 of a file, read a chunk at a time (undefined if it cannot be read). The addons are
 * 10 MB together and checked at every start: read whole, they stayed in the server's memory.
 */
function fileSha256(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) hash.update(chunk.subarray(0, read));
    return hash.digest('hex');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The addon's file in the cache, written now if it is missing or not what the manifest says. */
export function addonPath(name: AddonName): string {
  const entry = readManifest().addons[name];
  const dir = cacheDir();
  const path = join(dir, entry.file);
  if (fileSha256(path) === entry.sha256) return path;
  const data = new Uint8Array(getRawAsset(entry.asset) as ArrayBuffer);
  if (sha256(data) !== entry.sha256) throw new CacheError(`the binary is damaged: addon ${name} does not match its checksum`);
  const temp = join(dir, `.${entry.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o700);
    try {
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, 0o500);
    renameSync(temp, path);
  } catch (error) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // nothing to clean
    }
    throw cacheError(dir, error);
  }
  return path;
}

const loaded = new Map<AddonName, unknown>();

/** Loads an addon from the cache (once). */
export function loadAddon(name: AddonName): unknown {
  if (loaded.has(name)) return loaded.get(name);
  const path = addonPath(name);
  const module = { exports: {} as unknown };
  process.dlopen(module, path);
  // isolated-vm.js exports the addon's `ivm` (node_modules/isolated-vm/isolated-vm.js).
  const exports = name === 'isolated-vm' ? (module.exports as { ivm: unknown }).ivm : module.exports;
  loaded.set(name, exports);
  return exports;
}

/**
 * The addon's exports, loaded at first use: an `import ivm from 'isolated-vm'` in the bundle gets
 * this proxy, so commands that never touch an addon (the client verbs, --version) never extract it.
 */
export function lazyAddon(name: AddonName): object {
  const real = (): object => loadAddon(name) as object;
  return new Proxy(Object.create(null) as object, {
    get: (_target, key) => (key === '__esModule' ? undefined : Reflect.get(real(), key)),
    has: (_target, key) => Reflect.has(real(), key),
    set: (_target, key, value) => Reflect.set(real(), key, value),
  });
}
