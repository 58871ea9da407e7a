/** Identifiers on the wire: OpenWhisk activation ids and transaction ids are 32 lowercase hex chars. */
import { nodeCrypto } from './crypto.ts';

const BLOCK_BYTES = 4096;

/**
 * Random hex digits drawn in blocks: one fill per 256 ids instead of one per id (the call, not
 * the entropy, is what costs on the request path), and one toString('hex') per block — a
 * Number#toString(16) per id costs more than the rest of making it (up to 1 µs: V8 formats a
 * double in another radix by repeated fmod).
 */
class HexPool {
  private readonly block = Buffer.alloc(BLOCK_BYTES);
  private hex = '';
  private offset = 0;
  private readonly fill: (block: Buffer) => void;

  constructor(fill: (block: Buffer) => void) {
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

/** From the CSPRNG: an activation id's random part is what makes it unguessable. */
const secure = new HexPool((block) => nodeCrypto().randomFillSync(block));

/**
 * From Math.random: transaction ids only tie log lines and replies together (upstream's come from
 * scala.util.Random, TransactionId.generateTid), and a server answering its first requests then
 * does not load node:crypto for them (src/crypto.ts).
 */
const plain = new HexPool((block) => {
  for (let i = 0; i < BLOCK_BYTES; i += 4) block.writeUInt32LE((Math.random() * 0x1_0000_0000) >>> 0, i);
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
