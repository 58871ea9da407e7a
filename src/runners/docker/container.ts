/**
 * One action container: created with the action's limits and labels, attached (its output feeds a
 * LogCollector) before it starts, reached at its bridge IP on :8080 through the runtime protocol.
 * Pause, unpause and removal go through the engine one at a time.
 */
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import type { DockerEngine } from './engine.ts';
import { FrameDemuxer, LogCollector } from './logs.ts';
import { ActionProxyClient } from './protocol.ts';

export const LABELS = {
  instance: 'edgewhisk.instance',
  host: 'edgewhisk.host',
  pid: 'edgewhisk.pid',
  action: 'edgewhisk.action',
  kind: 'edgewhisk.kind',
} as const;

export const PROXY_PORT = 8080;

export type ContainerState = 'starting' | 'busy' | 'idle' | 'removed';

export interface ContainerSpec {
  /** Container name (unique on the engine). */
  name: string;
  image: string;
  /** The action version it runs (a prewarmed container: `stem:<image>` until it is given one). */
  key: string;
  kind: string;
  memoryMb: number;
  instance: string;
  apiHost: string;
  network: string;
  /** Our own runtime images need no capabilities; blackbox images keep Docker's defaults. */
  dropCapabilities: boolean;
}

/** The create body: limits as the OpenWhisk invoker sets them, plus labels to find leftovers. */
export function createBody(spec: ContainerSpec): Record<string, unknown> {
  const memory = spec.memoryMb * 1_048_576;
  const hostConfig: Record<string, unknown> = {
    Memory: memory,
    MemorySwap: memory,
    PidsLimit: 1024,
    SecurityOpt: ['no-new-privileges'],
    Init: true,
    Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
    // Output is read through the attach stream; nothing needs to be kept on the engine's disk.
    LogConfig: { Type: 'none', Config: {} },
    NetworkMode: spec.network,
  };
  if (spec.dropCapabilities) hostConfig.CapDrop = ['ALL'];
  return {
    Image: spec.image,
    Env: [`__OW_API_HOST=${spec.apiHost}`],
    Labels: {
      [LABELS.instance]: spec.instance,
      [LABELS.host]: hostname(),
      [LABELS.pid]: String(process.pid),
      [LABELS.action]: spec.key,
      [LABELS.kind]: spec.kind,
    },
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    Tty: false,
    ExposedPorts: { [`${PROXY_PORT}/tcp`]: {} },
    HostConfig: hostConfig,
  };
}

export class ActionContainer {
  readonly spec: ContainerSpec;
  readonly logs: LogCollector;
  /** The action version it runs; a prewarmed container gets one when it is taken. */
  key: string;
  /** Its memory limit (MB) as the pool counts it; applyMemory() sets it on the engine. */
  memoryMb: number;
  private engineMemoryMb: number;
  /** Prewarmed: started (or starting), not yet given to an action. */
  stem = false;
  /** A prewarmed container's start: true once its proxy listens, false if starting failed. */
  booted: Promise<boolean> = Promise.resolve(true);
  state: ContainerState = 'starting';
  id: string | undefined;
  client: ActionProxyClient | undefined;
  /** Set when the container's output ended: its process is gone. */
  exited = false;
  /** Whether this image writes the sentinels (learnt on the first run of blackbox images). */
  sentinels: boolean | undefined;
  lastUsed = 0;
  /** Pending pause / idle-removal timers. */
  timers: { clear(): void }[] = [];
  /** The engine operation in flight (pause or unpause), so the next waits for it. */
  operation: Promise<void> = Promise.resolve();
  /** Replaced action versions finish their run, then go. */
  retired = false;
  /** Whether the engine holds it paused (a pause was issued and not undone). */
  paused = false;
  private readonly engine: DockerEngine;
  private attachment: Socket | undefined;
  private readonly exitListeners = new Set<() => void>();

  constructor(engine: DockerEngine, spec: ContainerSpec, now: () => number) {
    this.engine = engine;
    this.spec = spec;
    this.key = spec.key;
    this.memoryMb = spec.memoryMb;
    this.engineMemoryMb = spec.memoryMb;
    this.logs = new LogCollector(now);
  }

  /** Sets `memoryMb` on the engine when it differs (a prewarmed container taken by an action). */
  async applyMemory(): Promise<void> {
    if (this.memoryMb === this.engineMemoryMb || this.id === undefined) return;
    await this.engine.setMemory(this.id, this.memoryMb * 1_048_576);
    this.engineMemoryMb = this.memoryMb;
  }

  /** Removal began (state changes behind awaits, so it is read through a getter). */
  get removed(): boolean {
    return this.state === 'removed';
  }

  /** Create, attach, start, find the address. Throws engine errors (the caller removes what exists). */
  async boot(): Promise<void> {
    this.id = await this.engine.createContainer(this.spec.name, createBody(this.spec));
    // Removed while being created: remove() found no id yet, so the container is removed here.
    if (this.removed) return this.engine.remove(this.id).catch(() => {});
    // Attach before starting: output from the very first moment is read.
    const socket = await this.engine.attach(this.id);
    this.attachment = socket;
    const demuxer = new FrameDemuxer((stream, payload) => this.logs.write(stream, payload));
    socket.on('data', (chunk: Buffer) => demuxer.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.markExited());
    // Removed while attaching: remove() removed the container but had no socket to close yet.
    if (this.removed) return void socket.destroy();
    await this.engine.start(this.id);
    const details = await this.engine.inspect(this.id);
    const networks = details.NetworkSettings.Networks ?? {};
    const ip = networks[this.spec.network]?.IPAddress || details.NetworkSettings.IPAddress || Object.values(networks).find((n) => n.IPAddress)?.IPAddress;
    if (!ip) throw new Error(`container ${this.id.slice(0, 12)} has no IP address on network '${this.spec.network}'`);
    this.client = new ActionProxyClient({ host: ip, port: PROXY_PORT });
  }

  /** Calls `listener` once when the container's output ends (it exited or was removed). */
  onExit(listener: () => void): () => void {
    if (this.exited) {
      listener();
      return () => {};
    }
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  private markExited(): void {
    if (this.exited) return;
    this.exited = true;
    this.logs.finish();
    for (const listener of this.exitListeners) listener();
    this.exitListeners.clear();
  }

  clearTimers(): void {
    for (const timer of this.timers) timer.clear();
    this.timers = [];
  }

  /** Pauses an idle container (skipped if it was taken again meanwhile). */
  pause(): Promise<void> {
    return this.chain(async () => {
      if (this.state !== 'idle' || this.id === undefined || this.paused) return;
      this.paused = true;
      try {
        await this.engine.pause(this.id);
      } catch (error) {
        this.paused = false;
        throw error;
      }
    });
  }

  /** Unpauses if paused (after any pause in flight); resolves once the container runs. */
  resume(): Promise<void> {
    return this.chain(async () => {
      if (!this.paused || this.id === undefined) return;
      await this.engine.unpause(this.id);
      this.paused = false;
    });
  }

  private chain(step: () => Promise<void>): Promise<void> {
    const next = this.operation.then(step, step);
    this.operation = next.catch(() => {});
    return next;
  }

  /** Kills and removes the container; never throws. */
  async remove(): Promise<void> {
    this.state = 'removed';
    this.clearTimers();
    this.client?.close();
    this.attachment?.destroy();
    this.markExited();
    if (this.id === undefined) return;
    try {
      await this.engine.remove(this.id);
    } catch (error) {
      console.error(`docker: removing container ${this.id.slice(0, 12)} failed:`, (error as Error).message);
    }
  }
}
