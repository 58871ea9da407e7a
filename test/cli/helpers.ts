/** Runs bin/edgewhisk as a user would: a subprocess with its own HOME and props file. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/edgewhisk');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The parent's environment without anything that configures wsk, colour or Node. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(__OW_|WSK_|AIO_|EDGEWHISK_|NODE_|VITEST|FORCE_COLOR|NO_COLOR)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

export function run(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd: options.cwd ?? ROOT, env: { ...baseEnv(), ...options.env }, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A HOME with a props file, and runs of the CLI inside it. */
export class Sandbox {
  readonly home: string;
  readonly props: string;

  constructor(props: Record<string, string> = {}) {
    this.home = mkdtempSync(join(tmpdir(), 'edgewhisk-cli-home-'));
    this.props = join(this.home, 'wskprops');
    this.writeProps(props);
  }

  writeProps(props: Record<string, string>): void {
    writeFileSync(this.props, Object.entries(props).map(([k, v]) => `${k}=${v}\n`).join(''));
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { HOME: this.home, WSK_CONFIG_FILE: this.props, ...extra };
  }

  run(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
    return run(args, { env: this.env(env), ...(cwd === undefined ? {} : { cwd }) });
  }

  /** Runs and expects exit 0, returning stdout. */
  async ok(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<string> {
    const result = await this.run(args, env, cwd);
    if (result.code !== 0) throw new Error(`edgewhisk ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result.stdout;
  }

  /** Runs with --json and parses stdout. */
  async json<T = any>(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<T> {
    return JSON.parse(await this.ok([...args, '--json'], env, cwd)) as T;
  }

  spawn(args: string[], env: Record<string, string> = {}): ChildProcess {
    return spawn(BIN, args, { cwd: ROOT, env: { ...baseEnv(), ...this.env(env) }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A local port nothing listens on. */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One error line on stderr, no stack trace. */
export function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got:\n${stderr}`);
  return lines[0]!;
}
