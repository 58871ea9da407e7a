/**
 * Messages between the server and an isolate worker process: JSON frames (4-byte little-endian
 * length, then UTF-8 JSON) over the socket pair Node sets up for an extra stdio 'pipe'. Messages
 * sent during one event-loop turn leave in one write, so under load many calls share a syscall.
 */
import type { Duplex } from 'node:stream';

const HEADER = 4;
/** Far above any legitimate message (1 MB payload, 1 MB result, 10 MB of logs, 48 MB of code). */
const MAX_FRAME = 256 * 1024 * 1024;

export class Channel {
  private readonly socket: Duplex;
  private readonly onMessage: (message: unknown) => void;
  private outgoing: string[] = [];
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

  constructor(socket: Duplex, onMessage: (message: unknown) => void, onError: (error: Error) => void) {
    this.socket = socket;
    this.onMessage = onMessage;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', onError);
    socket.on('close', () => this.onEnd?.());
  }

  send(message: object): void {
    if (this.closed) return;
    this.outgoing.push(JSON.stringify(message));
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
    if (last !== undefined) this.outgoing.push(JSON.stringify(last));
    if (this.outgoing.length === 0) return;
    const texts = this.outgoing;
    this.outgoing = [];
    let size = 0;
    const lengths = new Array<number>(texts.length);
    for (let i = 0; i < texts.length; i++) {
      lengths[i] = Buffer.byteLength(texts[i]!);
      size += HEADER + lengths[i]!;
    }
    const out = Buffer.allocUnsafe(size);
    let offset = 0;
    for (let i = 0; i < texts.length; i++) {
      out.writeUInt32LE(lengths[i]!, offset);
      out.write(texts[i]!, offset + HEADER);
      offset += HEADER + lengths[i]!;
    }
    this.socket.write(out);
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
        this.onMessage(JSON.parse(text));
      }
      // A partial frame is kept as its own copy, not as a view pinning the whole batch.
      const rest = offset === 0 ? data : Buffer.from(data.subarray(offset));
      this.chunks = rest.length > 0 ? [rest] : [];
      this.queued = rest.length;
      this.need = rest.length >= HEADER ? HEADER + rest.readUInt32LE(0) : HEADER;
    }
  }
}
