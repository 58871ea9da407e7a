/** Action archives (zip, tar.gz) and Node's module resolution over their files: pure functions. */
import { gzipSync, strToU8, zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { ArchiveError, archiveEntry, checkActionArchive, MAX_ARCHIVE_BYTES, NO_ENTRY, readArchive } from '../../src/openwhisk/archive.ts';
import { exportsTarget, resolveModule, type ModuleFiles } from '../../src/openwhisk/resolve.ts';

function zip(files: Record<string, string>): string {
  const tree: Zippable = {};
  for (const [name, text] of Object.entries(files)) tree[name] = strToU8(text);
  return Buffer.from(zipSync(tree)).toString('base64');
}

/** A minimal ustar archive (name ≤ 100 bytes), gzipped. */
function tarGz(files: Record<string, string>): string {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text);
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000644\0', 100);
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('0', 156);
    header.write('ustar\0', 257);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.from(gzipSync(Buffer.concat(blocks))).toString('base64');
}

function files(map: Record<string, string>): ModuleFiles {
  return readArchive(zip(map));
}

describe('readArchive', () => {
  it('keeps the module files of a zip under /action, with their directories', () => {
    const archive = readArchive(zip({ 'index.js': 'a', 'lib/util.js': 'b', 'data/x.json': '{}', 'README.md': '#', 'img/logo.png': 'p' }));
    expect([...archive.files.keys()].sort()).toEqual(['/action/data/x.json', '/action/index.js', '/action/lib/util.js']);
    expect(archive.files.get('/action/lib/util.js')).toBe('b');
    expect(archive.dirs.has('/action/lib')).toBe(true);
  });

  it('reads tar.gz archives too', () => {
    const archive = readArchive(tarGz({ 'index.js': 'exports.main = () => ({})', 'lib/a.js': 'x' }));
    expect(archive.files.get('/action/index.js')).toBe('exports.main = () => ({})');
    expect(archive.files.has('/action/lib/a.js')).toBe(true);
  });

  it('drops entries whose names escape the root', () => {
    const archive = readArchive(zip({ '../evil.js': 'x', 'ok/../index.js': 'y' }));
    expect([...archive.files.keys()]).toEqual(['/action/index.js']);
  });

  it.each([
    ['not an archive', Buffer.from('hello world, not a zip').toString('base64'), /file type is unsupported/],
    ['a truncated zip', zip({ 'index.js': 'x'.repeat(1000) }).slice(0, 80), /error uncompressing/],
  ])('refuses %s', (_label, code, message) => {
    expect(() => readArchive(code)).toThrow(ArchiveError);
    expect(() => readArchive(code)).toThrow(message);
  });

  it('refuses a zip that declares more than the size limit, without inflating it', () => {
    const raw = Buffer.from(zipSync({ 'index.js': strToU8('x') }));
    // Patch the central directory's uncompressed size of the only entry.
    const central = raw.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    raw.writeUInt32LE(MAX_ARCHIVE_BYTES + 1, central + 24);
    expect(() => readArchive(raw.toString('base64'))).toThrow(/exceed/);
  });
});

describe('archiveEntry (upstream main handling)', () => {
  it('main "fn" is an export of package.json main, else of index.js', () => {
    const withPackage = readArchive(zip({ 'package.json': '{"main":"src/app.js"}', 'src/app.js': '' }));
    expect(archiveEntry(withPackage, 'main')).toEqual({ path: '/action/src/app.js', format: 'commonjs', exportName: 'main' });
    const plain = readArchive(zip({ 'index.js': '' }));
    expect(archiveEntry(plain, 'handler')).toEqual({ path: '/action/index.js', format: 'commonjs', exportName: 'handler' });
  });

  it('main "file.fn" names a module and its export', () => {
    const archive = readArchive(zip({ 'index.js': '', 'lib/handlers.js': '' }));
    expect(archiveEntry(archive, 'lib/handlers.run')).toMatchObject({ path: '/action/lib/handlers.js', exportName: 'run' });
  });

  it('an .mjs entry or a "type": "module" package is an ES module', () => {
    expect(archiveEntry(readArchive(zip({ 'package.json': '{"main":"index.mjs"}', 'index.mjs': '' })), 'main').format).toBe('module');
    expect(archiveEntry(readArchive(zip({ 'package.json': '{"type":"module"}', 'index.js': '' })), 'main').format).toBe('module');
  });

  it("refuses an archive without package.json or index.js at the root, with upstream's message", () => {
    expect(() => archiveEntry(readArchive(zip({ 'app/index.js': '' })), 'main')).toThrow(NO_ENTRY);
  });

  it('refuses a package.json main that does not exist', () => {
    expect(() => archiveEntry(readArchive(zip({ 'package.json': '{"main":"missing.js"}' })), 'main')).toThrow(/Cannot find module/);
  });

  it('checkActionArchive turns an unreadable archive into a 400 and ignores plain code', () => {
    expect(() => checkActionArchive({ kind: 'nodejs:24', binary: true, code: Buffer.from('nope').toString('base64') })).toThrow(ApiError);
    expect(() => checkActionArchive({ kind: 'nodejs:24', binary: false, code: 'function main() {}' })).not.toThrow();
    expect(() => checkActionArchive({ kind: 'nodejs:24', binary: true, code: zip({ 'index.js': '' }) })).not.toThrow();
  });
});

describe('resolveModule', () => {
  const tree = files({
    'index.js': '',
    'lib/a.js': '',
    'lib/data.json': '{}',
    'lib/dir/index.js': '',
    'node_modules/plain/package.json': '{"main":"./main.js"}',
    'node_modules/plain/main.js': '',
    'node_modules/plain/extra.js': '',
    'node_modules/noindex/index.js': '',
    'node_modules/@scope/pkg/package.json': '{"exports":{".":{"import":"./esm.mjs","require":"./cjs.js"},"./feature/*":"./features/*.js","./package.json":"./package.json"}}',
    'node_modules/@scope/pkg/esm.mjs': '',
    'node_modules/@scope/pkg/cjs.js': '',
    'node_modules/@scope/pkg/features/x.js': '',
    'node_modules/@scope/pkg/private.js': '',
    'node_modules/typed/package.json': '{"type":"module","main":"index.js"}',
    'node_modules/typed/index.js': '',
    'lib/node_modules/nearer/index.js': '',
    'node_modules/single.js': '',
    'package.json': '{"imports":{"#util":"./lib/a.js"}}',
  });
  const from = (dir: string, specifier: string, mode: 'require' | 'import' = 'require') => resolveModule(tree, specifier, dir, mode);

  it.each([
    ['./lib/a', '/action/lib/a.js'],
    ['./lib/a.js', '/action/lib/a.js'],
    ['./lib/data', '/action/lib/data.json'],
    ['./lib/dir', '/action/lib/dir/index.js'],
    ['plain', '/action/node_modules/plain/main.js'],
    ['plain/extra', '/action/node_modules/plain/extra.js'],
    ['noindex', '/action/node_modules/noindex/index.js'],
    ['@scope/pkg', '/action/node_modules/@scope/pkg/cjs.js'],
    ['@scope/pkg/feature/x', '/action/node_modules/@scope/pkg/features/x.js'],
    ['single', '/action/node_modules/single.js'],
    ['#util', '/action/lib/a.js'],
  ])('require(%j) from /action → %s', (specifier, path) => {
    expect(from('/action', specifier)).toMatchObject({ kind: 'file', path });
  });

  it('uses the import condition for import, and the nearest node_modules first', () => {
    expect(from('/action', '@scope/pkg', 'import')).toMatchObject({ path: '/action/node_modules/@scope/pkg/esm.mjs', format: 'module' });
    expect(from('/action/lib', 'nearer')).toMatchObject({ path: '/action/lib/node_modules/nearer/index.js' });
    expect(from('/action/lib/dir', 'plain')).toMatchObject({ path: '/action/node_modules/plain/main.js' });
  });

  it('reads the format from the extension and the package type', () => {
    expect(from('/action', 'typed')).toMatchObject({ format: 'module' });
    expect(from('/action', './lib/data')).toMatchObject({ format: 'json' });
    expect(from('/action', './lib/a')).toMatchObject({ format: 'commonjs' });
  });

  it('refuses subpaths a package does not export, and missing modules', () => {
    expect(from('/action', '@scope/pkg/private.js')).toMatchObject({ kind: 'error', code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    expect(from('/action', './nope')).toMatchObject({ kind: 'error', code: 'MODULE_NOT_FOUND', message: "Cannot find module './nope' from '/action'" });
    expect(from('/action', 'nope', 'import')).toMatchObject({ kind: 'error', code: 'ERR_MODULE_NOT_FOUND' });
  });

  it('names built-ins, with or without node:, and always the built-in openwhisk client', () => {
    const bundled = files({ 'index.js': '', 'node_modules/openwhisk/index.js': '' });
    expect(resolveModule(bundled, 'openwhisk', '/action', 'require')).toEqual({ kind: 'builtin', name: 'openwhisk' });
    expect(from('/action', 'node:fs')).toEqual({ kind: 'builtin', name: 'fs' });
    expect(from('/action', 'crypto')).toEqual({ kind: 'builtin', name: 'crypto' });
    expect(from('/action', 'node:nonsense')).toMatchObject({ kind: 'error', code: 'ERR_UNKNOWN_BUILTIN_MODULE' });
  });

  it('follows conditional, array and pattern exports', () => {
    expect(exportsTarget('./a.js', '.', 'require')).toBe('./a.js');
    expect(exportsTarget({ node: { require: './n.cjs' }, default: './d.js' }, '.', 'require')).toBe('./n.cjs');
    expect(exportsTarget({ node: { import: './n.mjs' }, default: './d.js' }, '.', 'require')).toBe('./d.js');
    expect(exportsTarget(['./first.js', './second.js'], '.', 'import')).toBe('./first.js');
    expect(exportsTarget({ './*': './src/*.js', './lib/*': './lib/*.js' }, './lib/x', 'require')).toBe('./lib/x.js');
    expect(exportsTarget({ './secret': null, './*': './*.js' }, './secret', 'require')).toBeUndefined();
  });
});
