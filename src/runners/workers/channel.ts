/**
 * Messages between the server and an isolate worker process, over the socket pair Node sets up for
 * an extra stdio 'pipe': frames of a 4-byte little-endian length, then UTF-8 text — a JSON header,
 * and optionally a newline and a payload text. JSON.stringify never writes a raw newline, so the
 * first one ends the header. The payload is what neither side needs to look into (the isolate's
 * input, a finished call's output): it crosses as it is, never parsed or stringified on the way.
 * Messages sent during one event-loop turn leave in one write, so under load many calls share a
 * syscall.
 */
import type { Duplex } from 'node:stream';

const HEADER = 4;
/** Far above any legitimate message (1 MB payload, 1 MB result, 10 MB of logs, 48 MB of code). */
const MAX_FRAME = 256 * 1024 * 1024;
/** Batches of more UTF-16 units than this are measured before the write buffer is allocated. */
const EXACT_SIZE_FROM = 256 * 1024;

export class Channel {
  private readonly socket: Duplex;
  private readonly onMessage: (message: unknown, payload: string | undefined) => void;
  private outgoing: string[] = [];
  /** UTF-16 length of everything in `outgoing`: the write buffer is sized from it. */
  private outgoingChars = 0;
  private scheduled = false;
  private chunks: Buffer[] = [];
  private queued = 0;
  /** Bytes needed before the next frame can be read. */
  private need = HEADER;
  private closed = false;
  /** Called right before a batch is written: a last message to add to it (the worker's stats). */
  beforeFlush: (() => object | undefined) | undefined;
  /** The other side closed the connection. */
  onEnd: (() => void) | undefined;

  constructor(socket: Duplex, onMessage: (message: unknown, payload: string | undefined) => void, onError: (error: Error) => void) {
    this.socket = socket;
    this.onMessage = onMessage;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', onError);
    socket.on('close', () => this.onEnd?.());
  }

  /** `payload`: any text; the other side gets it back as it was. */
  send(message: object, payload?: string): void {
    if (this.closed) return;
    const text = payload === undefined ? JSON.stringify(message) : `${JSON.stringify(message)}\n${payload}`;
    this.outgoing.push(text);
    this.outgoingChars += text.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes everything queued now. */
  flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    const last = this.beforeFlush?.();
    if (last !== undefined) {
      const text = JSON.stringify(last);
      this.outgoing.push(text);
      this.outgoingChars += text.length;
    }
    if (this.outgoing.length === 0) return;
    const texts = this.outgoing;
    // A UTF-16 unit never takes more than 3 UTF-8 bytes: each text is encoded once, straight into
    // the buffer, and its length written in front of it afterwards (no separate byteLength pass).
    // Large batches (action code) are measured instead, not to allocate three times their size.
    let capacity = texts.length * HEADER;
    if (this.outgoingChars <= EXACT_SIZE_FROM) capacity += this.outgoingChars * 3;
    else for (const text of texts) capacity += Buffer.byteLength(text);
    const out = Buffer.allocUnsafe(capacity);
    this.outgoing = [];
    this.outgoingChars = 0;
    let offset = 0;
    for (const text of texts) {
      const length = out.write(text, offset + HEADER);
      out.writeUInt32LE(length, offset);
      offset += HEADER + length;
    }
    this.socket.write(offset === out.length ? out : out.subarray(0, offset));
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
  }

  destroy(): void {
    this.closed = true;
    this.outgoing = [];
    this.outgoingChars = 0;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.queued += chunk.length;
    // Chunks are joined only once a whole frame is there (a 10 MB frame comes in many chunks).
    while (this.queued >= this.need && !this.closed) {
      const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.queued);
      let offset = 0;
      while (data.length - offset >= HEADER && !this.closed) {
        const length = data.readUInt32LE(offset);
        if (length > MAX_FRAME) {
          this.socket.destroy(new Error(`frame of ${length} bytes refused`));
          this.closed = true;
          return;
        }
        if (data.length - offset - HEADER < length) break;
        const text = data.toString('utf8', offset + HEADER, offset + HEADER + length);
        offset += HEADER + length;
        const split = text.indexOf('\n');
        if (split < 0) this.onMessage(JSON.parse(text), undefined);
        else this.onMessage(JSON.parse(text.slice(0, split)), text.slice(split + 1));
      }
      // A partial frame is kept as its own copy, not as a view pinning the whole batch.
      const rest = offset === 0 ? data : Buffer.from(data.subarray(offset));
      this.chunks = rest.length > 0 ? [rest] : [];
      this.queued = rest.length;
      this.need = rest.length >= HEADER ? HEADER + rest.readUInt32LE(0) : HEADER;
    }
  }
}
