import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { looksBinary, parseExec, resolveKind, runtimeManifest, RUNTIMES } from '../../src/openwhisk/exec.ts';

describe('runtime kinds', () => {
  it.each([
    ['nodejs:18', 'nodejs:18'],
    ['nodejs:20', 'nodejs:20'],
    ['nodejs:22', 'nodejs:22'],
    ['nodejs:24', 'nodejs:24'],
    ['nodejs:default', 'nodejs:24'],
    ['nodejs', 'nodejs:24'],
  ])('%s resolves to %s', (kind, resolved) => {
    expect(resolveKind(kind)).toBe(resolved);
  });

  // python:3 and blackbox are container kinds (test/runtimes/exec.test.ts).
  it.each(['nodejs:16', 'nodejs:25', 'python:2', 'go:1.21', 'NODEJS:24', ''])('%j is refused with 400', (kind) => {
    expect(() => resolveKind(kind)).toThrow(ApiError);
  });

  it('each family has exactly one default', () => {
    for (const kinds of Object.values(RUNTIMES)) expect(kinds.filter((k) => k.default)).toHaveLength(1);
  });

  it('the manifest has OpenWhisk’s shape', () => {
    const manifest = runtimeManifest();
    expect(manifest.nodejs).toContainEqual(expect.objectContaining({ kind: 'nodejs:24', default: true, deprecated: false }));
    for (const entry of manifest.nodejs!) expect(Object.keys(entry).sort()).toEqual(['default', 'deprecated', 'image', 'kind']);
  });
});

describe('binary detection', () => {
  it.each([
    ['UEsDBAoAAAAAAA==', true],
    ['  UEsDBAoA\n', true],
    ['abcd', true],
    ['function main() {}', false],
    ['abc', false],
    ['abcde===', false],
    ['', false],
    ['ab+/', true],
  ])('%j → %s', (code, binary) => {
    expect(looksBinary(code)).toBe(binary);
  });
});

describe('parseExec', () => {
  it('resolves the kind and computes binary', () => {
    expect(parseExec({ kind: 'nodejs:default', code: 'function main() {}' })).toEqual({ kind: 'nodejs:24', code: 'function main() {}', binary: false });
    expect(parseExec({ kind: 'nodejs:20', code: 'UEsDBA==' })).toEqual({ kind: 'nodejs:20', code: 'UEsDBA==', binary: true });
  });

  it('keeps main when given', () => {
    expect(parseExec({ kind: 'nodejs:24', code: 'x', main: 'handler' })).toEqual({ kind: 'nodejs:24', code: 'x', binary: false, main: 'handler' });
  });

  it('computes binary itself, ignoring what the client claims', () => {
    expect(parseExec({ kind: 'nodejs:24', code: 'function main() {}', binary: true }).binary).toBe(false);
  });

  it.each([
    ['not an object', 'code'],
    ['null', null],
    ['an array', []],
    ['no kind', { code: 'x' }],
    ['a numeric kind', { kind: 24, code: 'x' }],
    ['an unknown kind', { kind: 'go:1', code: 'x' }],
    ['no code', { kind: 'nodejs:24' }],
    ['numeric code', { kind: 'nodejs:24', code: 1 }],
    ['an empty main', { kind: 'nodejs:24', code: 'x', main: ' ' }],
    ['a numeric main', { kind: 'nodejs:24', code: 'x', main: 1 }],
  ])('%s → 400', (_label, exec) => {
    expect(() => parseExec(exec)).toThrow(ApiError);
  });
});
