/** Identifiers on the wire: OpenWhisk activation ids and transaction ids are 32 lowercase hex chars. */
import { nodeCrypto } from './crypto.ts';

/**
 * Random hex digits drawn in blocks: one fill per many ids instead of one per id (the call, not
 * the entropy, is what costs on the request path), and one toString('hex') per block — a
 * Number#toString(16) per id costs more than the rest of making it (up to 1 µs: V8 formats a
 * double in another radix by repeated fmod).
 */
class HexPool {
  private readonly block: Buffer;
  private hex = '';
  private offset = 0;
  private readonly fill: (block: Buffer) => void;

  constructor(bytes: number, fill: (block: Buffer) => void) {
    this.block = Buffer.alloc(bytes);
    this.fill = fill;
  }

  take(digits: number): string {
    if (this.offset + digits > this.hex.length) {
      this.fill(this.block);
      this.hex = this.block.toString('hex');
      this.offset = 0;
    }
    const taken = this.hex.slice(this.offset, this.offset + digits);
    this.offset += digits;
    return taken;
  }
}

/** From the CSPRNG: an activation id's random part is what makes it unguessable. 4 KB: 409 ids a fill. */
const secure = new HexPool(4096, (block) => nodeCrypto().randomFillSync(block));

/**
 * 16 ids a fill. Not more: a loop of a thousand rounds run by a server's first request made V8
 * compile it optimized, which paged its optimizing compiler in — 5.7 MB more RSS for an idle
 * server (bench/process.ts: 61.5 -> 67.2 MB).
 */
const PLAIN_BYTES = 256;

/**
 * From Math.random: transaction ids only tie log lines and replies together (upstream's come from
 * scala.util.Random, TransactionId.generateTid), and a server answering its first requests then
 * does not load node:crypto for them (src/crypto.ts).
 */
const plain = new HexPool(PLAIN_BYTES, (block) => {
  for (let i = 0; i < PLAIN_BYTES; i += 4) block.writeUInt32LE((Math.random() * 0x1_0000_0000) >>> 0, i);
});

/** The last millisecond an activation id was made in, and its 12 hex digits. */
let lastMs = -1;
let lastMsHex = '';

/**
 * 12 hex digits of the epoch milliseconds, then 20 random ones (80 bits). Time-ordered ids append
 * to the end of the primary-key index instead of landing at random pages, which makes an
 * activation insert about three times cheaper.
 */
export function newActivationId(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastMsHex = now.toString(16).padStart(12, '0');
  }
  return lastMsHex + secure.take(20);
}

export function newTransactionId(): string {
  return plain.take(32);
}

const ACTIVATION_ID = /^[0-9a-f]{32}$/;
export function isActivationId(value: string): boolean {
  return ACTIVATION_ID.test(value);
}
