/**
 * The host's side of an isolate's log mirror: the shared buffer the prelude copies every log line
 * it keeps into (see prelude.js, "log mirror"). The host reads it when an activation ends without
 * the isolate's help: at the deadline, when the isolate may still be busy and cannot answer a call,
 * or after it died of memory, when its heap is gone (the buffer outlives it).
 *
 * The buffer is written inside an isolate that runs untrusted code, so the count and every record
 * length are checked, and no more than MAX_UNITS of text is read.
 */

/** The count of units in use (an Int32), before the first record. */
const HEADER_UNITS = 2;
/** Far above what the largest log limit (10 MB) lets a scope keep, plus the record headers. */
const MAX_UNITS = 24 * 1_048_576;

/**
 * A buffer for an isolate's mirror, made by the host: the isolate asks with the size in units. Its
 * memory then belongs to the host's allocator, which outlives every isolate; a buffer the isolate
 * made and the host kept would be freed, later, through an allocator gone with its isolate.
 */
export function makeMirrorBuffer(units: unknown): SharedArrayBuffer | undefined {
  if (typeof units !== 'number' || !Number.isInteger(units) || units < HEADER_UNITS || units > MAX_UNITS) return undefined;
  return new SharedArrayBuffer(units * 2);
}

export class LogMirror {
  private units: Uint16Array | undefined;
  private count: Int32Array | undefined;

  /** The body of the isolate's hostMirror callback: its new buffer (made, grown or given back). */
  adopt(buffer: unknown): void {
    this.units = undefined;
    this.count = undefined;
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_UNITS * 2 || buffer.byteLength % 2 !== 0 || buffer.byteLength > MAX_UNITS * 2) return;
    this.units = new Uint16Array(buffer);
    this.count = new Int32Array(buffer, 0, 1);
  }

  /** The lines the open scope has kept so far, in order; whatever does not check out ends the reading. */
  lines(): string[] {
    const { units, count } = this;
    if (units === undefined || count === undefined) return [];
    const end = Math.min(Atomics.load(count, 0), units.length);
    const lines: string[] = [];
    let read = 0;
    for (let at = HEADER_UNITS; at + 2 <= end; ) {
      const length = units[at]! + units[at + 1]! * 0x10000;
      at += 2;
      if (length > end - at || read + length > MAX_UNITS) break;
      lines.push(Buffer.from(units.buffer, at * 2, length * 2).toString('utf16le'));
      at += length;
      read += length;
    }
    return lines;
  }
}
