/**
 * The main thread's side of the activation writer thread (thread.ts): posts numbered messages,
 * settles each one's promise when the thread answers for it, and replaces a thread that died.
 *
 * A thread that dies (a bug, or its heap running out) takes the answers to the messages it had not
 * answered with it: whether those committed is unknown, so their promises reject (a durable write's
 * caller answers an error; nothing it acknowledged is lost) and a new thread takes the next
 * messages. They are not re-sent: a batch that killed one thread would kill the next. The other
 * choice, writing on the main thread from then on, would keep a second write path for a rare
 * failure and give back the CPU this thread exists to take off the main thread.
 */
import type { Worker } from 'node:worker_threads';
import type { FromWriter, Rows, ToWriter, WriterData } from './protocol.ts';
import { writerThreadSource } from './source.ts';

/** A thread replaced this soon after the last start waits for the rest: a crash loop would burn a core. */
const RESTART_INTERVAL_MS = 1000;

interface Waiter {
  resolve: (changes: number) => void;
  reject: (error: Error) => void;
}

const ignore = (): void => {};

export class WriterThread {
  private readonly file: string;
  private worker: Worker | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  /** The promise of the last message posted: it settles after every earlier one. */
  private last: Promise<unknown> = Promise.resolve();
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Why there is no thread between a death and the replacement (messages fail meanwhile). */
  private down: Error | undefined;
  private closing: Promise<void> | undefined;
  private started = false;
  /** Runs once the first thread has started (the first message is posted first). */
  onFirstStart: (() => void) | undefined;

  /**
   * `file`: the database, created and migrated already (openDatabase). The thread starts with the
   * first message: an idle server that has recorded nothing holds no thread (its V8 isolate and
   * SQLite connection are about 15 MB, measured when an idle server was 75 MB with it).
   */
  constructor(file: string) {
    this.file = file;
  }

  /** Commits the rows (protocol.ts) in the thread; settles after the commit. */
  commit(rows: Rows): Promise<number> {
    return this.post((seq) => ({ op: 'rows', seq, rows }));
  }

  /** Deletes the records that started before `cutoff` (epoch ms); resolves with how many. */
  retain(cutoff: number): Promise<number> {
    return this.post((seq) => ({ op: 'retain', seq, cutoff }));
  }

  /** Settles once everything posted so far has (committed or failed): reads wait for it. */
  settled(): Promise<void> {
    return this.last.then(ignore, ignore);
  }

  /** The thread commits what was posted before, checkpoints the WAL away, closes its connection and stops. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  /** Stops the thread at once, as if it had crashed (what the tests of that path need). */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  private post(message: (seq: number) => ToWriter): Promise<number> {
    if (this.closing) return Promise.reject(new Error('the activation store is closed'));
    const first = !this.started;
    if (first) this.restart();
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(this.down ?? new Error('the activation writer thread is not running'));
    const seq = ++this.seq;
    const done = new Promise<number>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    worker.postMessage(message(seq));
    this.last = done;
    if (first) this.onFirstStart?.();
    return done;
  }

  private start(): void {
    this.started = true;
    this.restartTimer = undefined;
    this.startedAt = Date.now();
    const source = writerThreadSource();
    const workerData: WriterData = { file: this.file, ...(source.addonPath === undefined ? {} : { addonPath: source.addonPath }) };
    // Taken here, not imported: node:worker_threads costs an idle server about 1.8 MB before
    // any thread exists, and one that has recorded nothing never starts one.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const worker = new Worker(source.entry, { eval: source.eval, workerData, name: 'activation-writer' });
    this.worker = worker;
    this.down = undefined;
    worker.on('message', (message: FromWriter) => this.received(message));
    worker.on('error', (error) => console.error('activation writer thread failed:', error));
    worker.on('exit', (code) => this.exited(worker, code));
  }

  private received(message: FromWriter): void {
    const error = message.error === undefined ? undefined : new Error(`activation records not committed: ${message.error}`);
    for (let seq = message.from; seq <= message.to; seq++) {
      const waiter = this.waiting.get(seq);
      if (waiter === undefined) continue;
      this.waiting.delete(seq);
      if (error) waiter.reject(error);
      else waiter.resolve(message.changes ?? 0);
    }
  }

  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    const error = new Error(`the activation writer thread stopped (exit code ${code}) before answering`);
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    if (this.closing) return;
    console.error(`activation writer thread stopped (exit code ${code}); starting a new one`);
    this.down = error;
    this.restartSoon();
  }

  /** Starts a new thread now, or RESTART_INTERVAL_MS after the last start. */
  private restartSoon(): void {
    const wait = this.startedAt + RESTART_INTERVAL_MS - Date.now();
    if (wait <= 0) return this.restart();
    this.restartTimer = setTimeout(() => this.restart(), wait);
    this.restartTimer.unref();
  }

  private restart(): void {
    try {
      this.start();
    } catch (error) {
      // Not thrown into whoever noticed the death (an event handler): tried again later.
      console.error('activation writer thread could not start:', error);
      this.down = error as Error;
      this.restartSoon();
    }
  }

  private async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const close: ToWriter = { op: 'close' };
    worker.postMessage(close);
    await exited;
  }
}
