/** Identifiers on the wire: OpenWhisk activation ids and transaction ids are 32 lowercase hex chars. */
import { nodeCrypto } from './crypto.ts';

/**
 * Random hex digits drawn from the CSPRNG in blocks: one randomFillSync per 256 ids instead of one
 * per id (the call, not the entropy, is what costs on the request path).
 */
const BLOCK_BYTES = 4096;
const pool = Buffer.alloc(BLOCK_BYTES);
let hex = '';
let offset = 0;

function randomHex(digits: number): string {
  if (offset + digits > hex.length) {
    hex = nodeCrypto().randomFillSync(pool).toString('hex');
    offset = 0;
  }
  const taken = hex.slice(offset, offset + digits);
  offset += digits;
  return taken;
}

/**
 * 12 hex digits of the epoch milliseconds, then 20 random ones (80 bits). Time-ordered ids append
 * to the end of the primary-key index instead of landing at random pages, which makes an
 * activation insert about three times cheaper.
 */
export function newActivationId(): string {
  return Date.now().toString(16).padStart(12, '0') + randomHex(20);
}

/**
 * Transaction ids only tie log lines and replies together, so they come from Math.random, as
 * upstream's come from scala.util.Random (TransactionId.generateTid) — which also spares a server
 * answering its first requests from loading node:crypto (src/crypto.ts).
 */
export function newTransactionId(): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += (Math.random() * 0x1_0000_0000 >>> 0).toString(16).padStart(8, '0');
  return id;
}

const ACTIVATION_ID = /^[0-9a-f]{32}$/;
export function isActivationId(value: string): boolean {
  return ACTIVATION_ID.test(value);
}
