/**
 * Everything the CLI prints: wsk-style `ok:` lines, aligned tables, pretty JSON, relative times.
 * Colour only when the stream is a terminal (util.styleText honours NO_COLOR and FORCE_COLOR).
 */
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export interface Sink {
  write(text: string): unknown;
}

export class Output {
  readonly json: boolean;
  private readonly out: NodeJS.WriteStream;
  private readonly err: NodeJS.WriteStream;

  constructor(json: boolean, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr) {
    this.json = json;
    this.out = out;
    this.err = err;
  }

  /** Styles text for stdout (or stderr), or leaves it plain when that stream gets no colour. */
  style(format: Style, text: string, stream: 'out' | 'err' = 'out'): string {
    return styleText(format, text, { stream: stream === 'out' ? this.out : this.err });
  }

  line(text = ''): void {
    this.out.write(`${text}\n`);
  }

  /** `ok: created action hello` (human mode only). */
  ok(message: string): void {
    if (!this.json) this.line(`${this.style('green', 'ok:')} ${message}`);
  }

  /** Pretty JSON, as wsk prints entities. */
  data(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  warn(message: string): void {
    this.err.write(`${this.style('yellow', 'warning:', 'err')} ${message}\n`);
  }

  note(message: string): void {
    this.err.write(`${message}\n`);
  }

  /** Columns padded to their widest cell; the header dimmed/bold on a terminal. */
  table(headers: string[], rows: string[][], empty = '(none)'): void {
    if (rows.length === 0) {
      this.line(this.style('dim', empty));
      return;
    }
    formatTable(headers, rows).forEach((text, i) => this.line(i === 0 ? this.style('bold', text) : text));
  }
}

/** Aligned lines: each column padded to its widest cell (by visible width), the last not padded. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const all = [headers, ...rows];
  const widths = headers.map((_, c) => Math.max(...all.map((row) => visibleLength(row[c] ?? ''))));
  return all.map((row) =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell + ' '.repeat(widths[c]! - visibleLength(cell))))
      .join('  ')
      .trimEnd(),
  );
}

const ANSI = /\u001b\[[0-9;]*m/g;
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

const UNITS: [string, number][] = [
  ['year', 365 * 24 * 3600_000],
  ['month', 30 * 24 * 3600_000],
  ['week', 7 * 24 * 3600_000],
  ['day', 24 * 3600_000],
  ['hour', 3600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "just now", "2 minutes ago", "in 3 hours", "yesterday"-free and locale-free. */
export function relativeTime(epochMs: number, now: number): string {
  const delta = now - epochMs;
  const abs = Math.abs(delta);
  if (abs < 5000) return 'just now';
  for (const [unit, size] of UNITS) {
    if (abs >= size) {
      const n = Math.floor(abs / size);
      const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return delta >= 0 ? `${text} ago` : `in ${text}`;
    }
  }
  return 'just now';
}

/** 3 ms, 1.2 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}
