import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { checkName, checkNamespace, entityNamespace, fullPath, isValidName, parseQualifiedName, relativePath } from '../../src/openwhisk/names.ts';

describe('entity names', () => {
  it.each([
    'a',
    'A',
    '0',
    '_',
    'hello-world',
    'with space inside',
    'dots.and@at',
    'ends-with-dash-',
    'ends.with.dot.',
    'x'.repeat(256),
  ])('%j is valid', (name) => {
    expect(isValidName(name)).toBe(true);
    expect(checkName(name)).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['leading space', ' a'],
    ['trailing space', 'a '],
    ['leading dash', '-a'],
    ['leading dot', '.a'],
    ['leading @', '@a'],
    ['slash', 'a/b'],
    ['dollar', 'a$'],
    ['percent', 'a%20'],
    ['non-ASCII', 'ünicode'],
    ['tab', 'a\tb'],
    ['too long', 'x'.repeat(257)],
  ])('%s is invalid', (_label, name) => {
    expect(isValidName(name)).toBe(false);
    expect(() => checkName(name)).toThrow(ApiError);
    try {
      checkName(name);
    } catch (error) {
      expect((error as ApiError).status).toBe(400);
    }
  });

  it('checkNamespace refuses invalid namespaces with 400', () => {
    expect(checkNamespace('guest')).toBe('guest');
    expect(checkNamespace('whisk.system')).toBe('whisk.system');
    expect(() => checkNamespace('bad/ns')).toThrow(ApiError);
  });
});

describe('entity paths', () => {
  it.each([
    [{ namespace: 'guest', pkg: undefined, name: 'a' }, 'a', 'guest', 'guest/a'],
    [{ namespace: 'guest', pkg: 'p', name: 'a' }, 'p/a', 'guest/p', 'guest/p/a'],
  ])('%j', (ref, relative, namespace, full) => {
    expect(relativePath(ref)).toBe(relative);
    expect(entityNamespace(ref)).toBe(namespace);
    expect(fullPath(ref)).toBe(full);
  });
});

describe('parseQualifiedName', () => {
  it.each([
    ['a', { namespace: 'guest', pkg: undefined, name: 'a' }],
    ['p/a', { namespace: 'guest', pkg: 'p', name: 'a' }],
    ['/ns/a', { namespace: 'ns', pkg: undefined, name: 'a' }],
    ['/ns/p/a', { namespace: 'ns', pkg: 'p', name: 'a' }],
    ['/_/a', { namespace: 'guest', pkg: undefined, name: 'a' }],
    ['/_/p/a', { namespace: 'guest', pkg: 'p', name: 'a' }],
  ])('%j', (value, expected) => {
    expect(parseQualifiedName(value, 'guest')).toEqual(expected);
  });

  it.each(['', '/', '/ns', 'a//b', '/ns/p/a/b', 'p/a/b', '/ns/bad$', 'a/'])('%j → 400', (value) => {
    expect(() => parseQualifiedName(value, 'guest')).toThrow(ApiError);
  });
});
