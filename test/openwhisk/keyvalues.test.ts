import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { getValue, parseKeyValues, toObject, withValue } from '../../src/openwhisk/keyvalues.ts';

describe('key-value lists', () => {
  it.each([
    [undefined, []],
    [null, []],
    [[], []],
    [[{ key: 'a', value: 1 }], [{ key: 'a', value: 1 }]],
    [[{ key: 'a' }], [{ key: 'a', value: null }]],
    [[{ key: 'a', value: { deep: [1] }, init: true }], [{ key: 'a', value: { deep: [1] }, init: true }]],
    [[{ key: 'a', value: 1, init: false }], [{ key: 'a', value: 1 }]],
    [[{ key: 'a', value: 1, extra: 'dropped' }], [{ key: 'a', value: 1 }]],
  ])('parses %j', (input, expected) => {
    expect(parseKeyValues(input, 'parameters')).toEqual(expected);
  });

  it.each([
    ['an object', { a: 1 }],
    ['a string', 'a=1'],
    ['an entry without key', [{ value: 1 }]],
    ['a numeric key', [{ key: 1, value: 1 }]],
    ['a null entry', [null]],
    ['a non-boolean init', [{ key: 'a', value: 1, init: 'yes' }]],
  ])('refuses %s with 400', (_label, input) => {
    expect(() => parseKeyValues(input, 'parameters')).toThrow(ApiError);
  });

  it('toObject folds left to right, later lists win', () => {
    expect(toObject([{ key: 'a', value: 1 }, { key: 'b', value: 1 }], [{ key: 'b', value: 2 }], [])).toEqual({ a: 1, b: 2 });
    expect(toObject()).toEqual({});
  });

  it('getValue finds a key', () => {
    expect(getValue([{ key: 'a', value: false }], 'a')).toBe(false);
    expect(getValue([], 'a')).toBeUndefined();
  });

  it('withValue replaces in place or appends, without mutating', () => {
    const list = [{ key: 'a', value: 1 }, { key: 'b', value: 2 }];
    expect(withValue(list, 'a', 9)).toEqual([{ key: 'a', value: 9 }, { key: 'b', value: 2 }]);
    expect(withValue(list, 'c', 3)).toEqual([...list, { key: 'c', value: 3 }]);
    expect(list).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
  });
});
