import { describe, expect, it } from 'vitest';
import { isActivationId, newActivationId, newTransactionId } from '../../src/ids.ts';
import { instanceFor } from '../../src/runners/docker/pool.ts';

describe('identifiers', () => {
  it('transaction ids are 32 lowercase hex digits and do not repeat', () => {
    const ids = Array.from({ length: 10_000 }, newTransactionId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('activation ids are 32 hex digits, ordered by time, and do not repeat', () => {
    const ids = Array.from({ length: 10_000 }, newActivationId);
    for (const id of ids) expect(isActivationId(id)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const stamps = ids.map((id) => parseInt(id.slice(0, 12), 16));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(Math.abs(stamps.at(-1)! - Date.now())).toBeLessThan(5_000);
  });

  it("a container instance label is 16 hex digits, the same for the same data directory, different for another", () => {
    expect(instanceFor('/var/lib/edgewhisk')).toMatch(/^[0-9a-f]{16}$/);
    expect(instanceFor('/var/lib/edgewhisk')).toBe(instanceFor('/var/lib/edgewhisk/'));
    expect(instanceFor('/var/lib/edgewhisk')).toBe(instanceFor('/var/lib/../lib/edgewhisk'));
    expect(instanceFor('/var/lib/edgewhisk')).not.toBe(instanceFor('/var/lib/edgewhisk2'));
    expect(instanceFor('/a')).not.toBe(instanceFor('/b'));
  });
});
