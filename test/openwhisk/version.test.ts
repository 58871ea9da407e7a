import { describe, expect, it } from 'vitest';
import { bumpPatch, INITIAL_VERSION } from '../../src/openwhisk/version.ts';

describe('entity versions', () => {
  it('start at 0.0.1', () => {
    expect(INITIAL_VERSION).toBe('0.0.1');
  });

  it.each([
    ['0.0.1', '0.0.2'],
    ['0.0.9', '0.0.10'],
    ['1.2.3', '1.2.4'],
    ['2.0', '2.0.1'],
    ['garbage', '0.0.1'],
  ])('%s → %s', (from, to) => {
    expect(bumpPatch(from)).toBe(to);
  });
});
