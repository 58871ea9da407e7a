/** The status lines the server writes carry Node's reason phrases, without loading node:http for them. */
import { STATUS_CODES } from 'node:http';
import { describe, expect, it } from 'vitest';
import { REASON_PHRASES } from '../../src/server/reason-phrases.ts';

describe('reason phrases', () => {
  it('are node:http’s STATUS_CODES', () => {
    expect({ ...REASON_PHRASES }).toEqual({ ...STATUS_CODES });
  });
});
