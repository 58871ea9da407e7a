import { describe, expect, it } from 'vitest';
import { hashKey, WELL_KNOWN_KEY_HASHES, WELL_KNOWN_KEYS } from '../../src/store/namespaces.ts';

describe('well-known keys', () => {
  it('are seeded with hashes equal to hashKey of their keys', () => {
    for (const name of Object.keys(WELL_KNOWN_KEYS) as (keyof typeof WELL_KNOWN_KEYS)[]) {
      const key = WELL_KNOWN_KEYS[name].split(':')[1]!;
      expect(WELL_KNOWN_KEY_HASHES[name], name).toBe(hashKey(key).toString('hex'));
    }
  });
});
