/** Identifiers on the wire: OpenWhisk activation ids and transaction ids are 32 lowercase hex chars. */
import { randomUUID } from 'node:crypto';

/** randomUUID draws from a cached entropy pool, so this costs well under a microsecond. */
export function newActivationId(): string {
  return randomUUID().replaceAll('-', '');
}

export const newTransactionId = newActivationId;

const ACTIVATION_ID = /^[0-9a-f]{32}$/;
export function isActivationId(value: string): boolean {
  return ACTIVATION_ID.test(value);
}
