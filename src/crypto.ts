/**
 * node:crypto, loaded at its first use. Loading it initialises OpenSSL: a bare `node` process
 * idles at 42.7 MB, 45.7 with `require('node:crypto')`; an idle server that has checked no key and
 * made no activation id saves 1.4 MB by not loading it (bench/process.ts: 62.8 -> 61.4 MB, with
 * the changes that kept start-up from needing it). The first use pays about 0.6 ms once.
 */
import type * as NodeCrypto from 'node:crypto';

let loaded: typeof NodeCrypto | undefined;

export function nodeCrypto(): typeof NodeCrypto {
  return (loaded ??= process.getBuiltinModule('node:crypto'));
}

/** The SHA-256 digest of a text (its UTF-8 bytes). */
export function sha256(text: string): Buffer {
  return nodeCrypto().createHash('sha256').update(text).digest();
}
