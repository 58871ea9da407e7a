/**
 * Action logs from a container's output: Docker's multiplexed attach stream is split into stdout
 * and stderr, cut into lines, and each activation's lines are collected up to the sentinel the
 * runtime proxy writes on both streams after every run. Lines become OpenWhisk log lines
 * (`2024-01-01T00:00:00.000Z stdout: text`), bounded by the action's log limit. Pure but for time.
 */
import { StringDecoder } from 'node:string_decoder';
import { MESSAGES } from '../../errors.ts';

export type StreamName = 'stdout' | 'stderr';

export const SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';

const HEADER = 8;
const STREAMS: Record<number, StreamName | undefined> = { 1: 'stdout', 2: 'stderr' };

/**
 * Docker's stream framing for containers without a TTY: each frame is a header — the stream
 * (0 stdin, 1 stdout, 2 stderr), three zero bytes, the payload size as a big-endian uint32 — then
 * the payload. Frames arrive split or glued together arbitrarily.
 */
export class FrameDemuxer {
  private readonly onData: (stream: StreamName, payload: Buffer) => void;
  private pending: Buffer = Buffer.alloc(0);

  constructor(onData: (stream: StreamName, payload: Buffer) => void) {
    this.onData = onData;
  }

  push(chunk: Buffer): void {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buffer.length >= HEADER) {
      const size = buffer.readUInt32BE(4);
      if (buffer.length < HEADER + size) break;
      const stream = STREAMS[buffer[0]!];
      if (stream !== undefined && size > 0) this.onData(stream, buffer.subarray(HEADER, HEADER + size));
      buffer = buffer.subarray(HEADER + size);
    }
    // Keep a copy of the tail so the caller's chunk can be reused.
    this.pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get buffered(): number {
    return this.pending.length;
  }
}

/**
 * Lines of one container's output, handed out per activation. `write` takes raw bytes of either
 * stream; `begin` starts an activation (its log limit); `ended` says whether both sentinels of the
 * current activation were seen; `take` returns its lines and starts afresh.
 */
export class LogCollector {
  private readonly now: () => number;
  private readonly decoders: Record<StreamName, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  private readonly sentinels: Record<StreamName, boolean> = { stdout: false, stderr: false };
  private lines: string[] = [];
  private bytes = 0;
  private limit = Number.POSITIVE_INFINITY;
  private truncated = false;
  private waiter: ((ended: boolean) => void) | undefined;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Starts collecting for one activation (lines already received, e.g. during init, stay). */
  begin(limitBytes: number): void {
    this.limit = limitBytes;
    this.sentinels.stdout = false;
    this.sentinels.stderr = false;
  }

  write(stream: StreamName, chunk: Buffer): void {
    const text = this.partial[stream] + this.decoders[stream].write(chunk);
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      this.line(stream, text.slice(start, newline));
      start = newline + 1;
    }
    this.partial[stream] = text.slice(start);
  }

  /** Both streams carried the sentinel since `begin`. */
  get ended(): boolean {
    return this.sentinels.stdout && this.sentinels.stderr;
  }

  /** Resolves once both sentinels arrived (true) or after `ms` (false), whichever is first. */
  waitForEnd(ms: number, setTimer: (callback: () => void, ms: number) => { clear(): void }): Promise<boolean> {
    if (this.ended) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimer(() => {
        this.waiter = undefined;
        resolve(this.ended);
      }, ms);
      this.waiter = (ended) => {
        timer.clear();
        this.waiter = undefined;
        resolve(ended);
      };
    });
  }

  /** The output stopped for good (the container is gone): unterminated lines become log lines. */
  finish(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.decoders[stream].end();
      this.partial[stream] = '';
      if (rest !== '') this.line(stream, rest);
    }
    this.waiter?.(this.ended);
  }

  /** This activation's log lines; the collector starts afresh. */
  take(): string[] {
    const lines = this.lines;
    this.lines = [];
    this.bytes = 0;
    this.truncated = false;
    return lines;
  }

  private line(stream: StreamName, text: string): void {
    if (text.endsWith(SENTINEL)) {
      // Output without a final newline shares the sentinel's line: it is still a log line.
      const before = text.slice(0, -SENTINEL.length);
      if (before !== '') this.record(stream, before);
      this.sentinels[stream] = true;
      if (this.ended) this.waiter?.(true);
      return;
    }
    this.record(stream, text);
  }

  private record(stream: StreamName, text: string): void {
    if (this.truncated) return;
    const line = `${new Date(this.now()).toISOString()} ${stream}: ${text}`;
    // Counted as the isolate runner counts: the UTF-8 bytes of the formatted lines.
    this.bytes += Buffer.byteLength(line);
    if (this.bytes > this.limit) {
      this.truncated = true;
      this.lines.push(`${new Date(this.now()).toISOString()} stderr: ${MESSAGES.logsTruncated(this.limit)}`);
      return;
    }
    this.lines.push(line);
  }
}
