/**
 * Action archives: the base64 zip (or tar.gz) a client sends as `exec.code` for a multi-file
 * Node.js action. Decodes it into the module files an isolate can load and finds the entry point the
 * way the OpenWhisk Node.js runtime does. Pure: bytes in, file map out.
 *
 * Only files a module loader can use are kept (.js, .cjs, .mjs, .json): actions have no file system,
 * so templates or native addons in an archive could never be read anyway.
 */
import { posix } from 'node:path';
import { gunzipSync, unzipSync } from 'fflate';
import { badRequest } from '../errors.ts';
import { ROOT, resolveModule, type ModuleFormat } from './resolve.ts';

export interface Archive {
  /** Module files by absolute path under ROOT, as text. */
  files: Map<string, string>;
  /** Every directory holding a kept file (and their ancestors up to ROOT). */
  dirs: Set<string>;
  /** Decompressed bytes kept, for cache accounting. */
  bytes: number;
}

export class ArchiveError extends Error {}

/** Decompressed size an archive may declare; beyond it, it is refused rather than inflated. */
export const MAX_ARCHIVE_BYTES = 256 * 1_048_576;
const MAX_ENTRIES = 100_000;
const KEEP = /\.(?:js|cjs|mjs|json)$/;

const UNREADABLE = 'There was an error uncompressing the action archive.';
export const NO_ENTRY = 'Zipped actions must contain either package.json or index.js at the root.';

/** Upstream's detectFileType: the magic bytes of the decoded code. */
export function archiveType(bytes: Uint8Array): 'zip' | 'tar.gz' | undefined {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08) return 'tar.gz';
  return undefined;
}

/** Decodes base64 `code` into an Archive, or throws ArchiveError with a message for the developer. */
export function readArchive(code: string): Archive {
  const bytes = Buffer.from(code.trim(), 'base64');
  const type = archiveType(bytes);
  if (type === undefined) throw new ArchiveError(`${UNREADABLE} The file type is unsupported: expected a zip or tar.gz archive.`);
  const raw = type === 'zip' ? unzipFiles(bytes) : untarFiles(bytes);
  const files = new Map<string, string>();
  const dirs = new Set<string>([ROOT]);
  const decoder = new TextDecoder('utf-8');
  let total = 0;
  for (const [name, data] of raw) {
    const path = entryPath(name);
    if (path === undefined || !KEEP.test(path)) continue;
    total += data.length;
    // Node strips a UTF-8 byte order mark from module sources; TextDecoder does too by default.
    files.set(path, decoder.decode(data));
    for (let dir = posix.dirname(path); dir.length > ROOT.length && !dirs.has(dir); dir = posix.dirname(dir)) dirs.add(dir);
  }
  return { files, dirs, bytes: total };
}

/** Where an archive entry lives under ROOT; undefined for directories and names escaping the root. */
function entryPath(name: string): string | undefined {
  const clean = name.replace(/\\/g, '/');
  if (clean.endsWith('/') || clean.includes('\0')) return undefined;
  const path = posix.normalize(posix.join(ROOT, clean));
  return path.startsWith(`${ROOT}/`) ? path : undefined;
}

function unzipFiles(bytes: Uint8Array): Map<string, Uint8Array> {
  let declared = 0;
  let entries = 0;
  let tooBig = false;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      // Refuse on declared sizes before inflating anything: a zip bomb is never expanded. fflate
      // sizes each output buffer from the declared size, so a lying entry is truncated, not grown.
      filter: (file) => {
        if (++entries > MAX_ENTRIES) tooBig = true;
        if (!KEEP.test(file.name)) return false;
        declared += file.originalSize;
        if (declared > MAX_ARCHIVE_BYTES) tooBig = true;
        return !tooBig;
      },
    });
  } catch (error) {
    throw new ArchiveError(`${UNREADABLE} ${describe(error)}`);
  }
  if (tooBig) throw new ArchiveError(`${UNREADABLE} Its module files exceed ${MAX_ARCHIVE_BYTES} bytes or ${MAX_ENTRIES} entries.`);
  return new Map(Object.entries(files));
}

function untarFiles(bytes: Uint8Array): Map<string, Uint8Array> {
  // The gzip trailer declares the inflated size (mod 2^32); inflate into exactly that much.
  const size = bytes.length >= 18 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readUInt32LE(bytes.length - 4) : 0;
  if (size > MAX_ARCHIVE_BYTES) throw new ArchiveError(`${UNREADABLE} It inflates to more than ${MAX_ARCHIVE_BYTES} bytes.`);
  let tar: Uint8Array;
  try {
    tar = gunzipSync(bytes, { out: new Uint8Array(size) });
  } catch (error) {
    throw new ArchiveError(`${UNREADABLE} ${describe(error)}`);
  }
  return parseTar(tar);
}

/** ustar with the GNU long-name and pax `path` extensions: enough for `tar czf` on Linux and macOS. */
export function parseTar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (from: number, length: number): string => {
    let end = from;
    while (end < from + length && tar[end] !== 0) end++;
    return Buffer.from(tar.subarray(from, end)).toString('utf8');
  };
  let longName: string | undefined;
  let offset = 0;
  let entries = 0;
  while (offset + 512 <= tar.length) {
    if (tar[offset] === 0) break; // end-of-archive block
    if (++entries > MAX_ENTRIES) throw new ArchiveError(`${UNREADABLE} It has more than ${MAX_ENTRIES} entries.`);
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0 || offset + 512 + size > tar.length) throw new ArchiveError(`${UNREADABLE} The tar data is truncated.`);
    const type = String.fromCharCode(tar[offset + 156] ?? 0);
    const prefix = text(offset + 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    longName = undefined;
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'L') longName = Buffer.from(body).toString('utf8').replace(/\0+$/, '');
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(Buffer.from(body).toString('utf8'))?.[1];
    else if ((type === '0' || type === '\0') && KEEP.test(name)) {
      if (name.startsWith('./')) name = name.slice(2);
      files.set(name, body);
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

export interface ArchiveEntry {
  path: string;
  format: ModuleFormat;
  /** The export holding main, possibly dotted (`handlers.main`). */
  exportName: string;
}

/**
 * The module and export that `main` names, as upstream's splitMainHandler reads it: `fn` is an
 * export of the package's entry (package.json `main`, else index.js); `file.fn` is export `fn` of
 * `./file` (resolved like require does: file, file.js, file/index.js …).
 */
export function archiveEntry(archive: Archive, main: string): ArchiveEntry {
  const parts = /^([^.]+)$|^([^.]+)\.(.+)$/.exec(main);
  if (!parts) throw new ArchiveError('Name of main function is not valid.');
  const file = parts[2];
  const exportName = (parts[3] ?? parts[1])!;
  if (file === undefined && !archive.files.has(`${ROOT}/package.json`) && !archive.files.has(`${ROOT}/index.js`)) {
    throw new ArchiveError(NO_ENTRY);
  }
  const found = resolveModule(archive, file === undefined ? '.' : `./${file}`, ROOT, 'require');
  if (found.kind === 'error') throw new ArchiveError(found.message);
  if (found.kind === 'builtin') throw new ArchiveError(`The action's entry '${file}' names a built-in module, not a file of the archive.`);
  return { path: found.path, format: found.format, exportName };
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message ? `${message[0]!.toUpperCase()}${message.slice(1)}.` : '';
}

/**
 * Create-time check of a binary Node.js action: its code must be a readable archive with an entry
 * module for its `main`, so a bad zip is a 400 now rather than a failed activation later.
 */
export function checkActionArchive(exec: { kind: string; binary?: boolean; code?: string; main?: string | undefined }): void {
  if (exec.binary !== true || typeof exec.code !== 'string' || !exec.kind.startsWith('nodejs')) return;
  try {
    archiveEntry(readArchive(exec.code), exec.main ?? 'main');
  } catch (error) {
    if (error instanceof ArchiveError) throw badRequest(error.message);
    throw error;
  }
}
