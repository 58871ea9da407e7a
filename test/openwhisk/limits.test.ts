import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { DEFAULT_LIMITS, LIMIT_RANGES, mergeLimits } from '../../src/openwhisk/limits.ts';

describe('action limits', () => {
  it('defaults to OpenWhisk’s standard limits', () => {
    expect(DEFAULT_LIMITS).toEqual({ timeout: 60000, memory: 256, logs: 10, concurrency: 1 });
    expect(mergeLimits(undefined, DEFAULT_LIMITS)).toEqual(DEFAULT_LIMITS);
    expect(mergeLimits(null, DEFAULT_LIMITS)).toEqual(DEFAULT_LIMITS);
    expect(mergeLimits({}, DEFAULT_LIMITS)).toEqual(DEFAULT_LIMITS);
  });

  it('does not share the base object', () => {
    const merged = mergeLimits(undefined, DEFAULT_LIMITS);
    merged.timeout = 1;
    expect(DEFAULT_LIMITS.timeout).toBe(60000);
  });

  it('fills omitted fields from the base (old limits on update)', () => {
    const old = { timeout: 5000, memory: 128, logs: 1, concurrency: 1 };
    expect(mergeLimits({ memory: 512 }, old)).toEqual({ timeout: 5000, memory: 512, logs: 1, concurrency: 1 });
    expect(mergeLimits({ timeout: null }, old)).toEqual(old);
  });

  it('ignores unknown fields', () => {
    expect(mergeLimits({ cpu: 3 }, DEFAULT_LIMITS)).toEqual(DEFAULT_LIMITS);
  });

  it.each(Object.entries(LIMIT_RANGES))('%s accepts its range edges', (key, range) => {
    expect(mergeLimits({ [key]: range.min }, DEFAULT_LIMITS)[key as keyof typeof DEFAULT_LIMITS]).toBe(range.min);
    expect(mergeLimits({ [key]: range.max }, DEFAULT_LIMITS)[key as keyof typeof DEFAULT_LIMITS]).toBe(range.max);
  });

  it.each([
    ['timeout', 99, /duration 99 milliseconds below allowed threshold of 100 milliseconds/],
    ['timeout', 300001, /duration 300001 milliseconds exceeds allowed threshold of 300000 milliseconds/],
    ['memory', 127, /memory 127 MB below allowed threshold of 128 MB/],
    ['memory', 513, /memory 513 MB exceeds allowed threshold of 512 MB/],
    ['logs', -1, /below allowed threshold of 0 MB/],
    ['logs', 11, /exceeds allowed threshold of 10 MB/],
    ['concurrency', 0, /below allowed threshold of 1/],
    ['timeout', 1.5, /integer/],
    ['memory', '256', /integer/],
    ['logs', true, /integer/],
  ])('%s = %j → 400', (key, value, message) => {
    let caught: unknown;
    try {
      mergeLimits({ [key]: value }, DEFAULT_LIMITS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).status).toBe(400);
    expect((caught as ApiError).message).toMatch(message);
  });

  it.each([['string'], [[1]], [42]])('limits %j that are not an object → 400', (value) => {
    expect(() => mergeLimits(value, DEFAULT_LIMITS)).toThrow(ApiError);
  });
});
