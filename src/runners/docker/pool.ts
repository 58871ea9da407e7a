/**
 * The Docker runner: actions of container kinds (python:3, blackbox) run in containers of their
 * runtime image, reached over OpenWhisk's action-runtime protocol. One container per concurrent
 * activation of an action version: created, started and /init-ed on a cold start, reused warm,
 * paused after a short idle time and unpaused on reuse, removed after a longer one. The containers'
 * declared memory (limits.memory) is capped in total: idle containers of other actions are evicted
 * (least recently used first) to make room, else the activation waits for one to free up.
 *
 * A timed-out activation's container is destroyed, never reused; so is one that died or answered
 * /run with anything but success. Containers carry labels naming this server, so leftovers of a
 * crashed server are removed when the next one starts. With no engine reachable, activations end
 * as a developer error and nothing else is affected.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Clock } from '../../clock.ts';
import { MESSAGES } from '../../errors.ts';
import type { StatusCode } from '../../openwhisk/activation.ts';
import { DEFAULT_LIMITS } from '../../openwhisk/limits.ts';
import { BLACKBOX_KIND, imageForKind } from '../../openwhisk/exec.ts';
import type { Runner, RunRequest, RunResult, RunnableAction } from '../runner.ts';
import { ActionContainer, LABELS } from './container.ts';
import { DockerEngine, EngineError, EngineUnavailable } from './engine.ts';
import { initBody, initOutcome, PROTOCOL_MESSAGES, ProxyCallError, runBody, runOutcome, TIMED_OUT, type ProxyReply } from './protocol.ts';

export interface DockerRunnerOptions {
  clock: Clock;
  /** `unix:///var/run/docker.sock`; undefined when no engine is configured. */
  dockerHost: string | undefined;
  /** Names this server's containers (label edgewhisk.instance): the same value after a restart finds its leftovers. */
  instance: string;
  /** Total memory (MB, the actions' limits.memory) that containers may claim together. */
  memoryBudgetMb: number;
  /** An idle container is paused after this long (0: never paused). */
  pauseAfterMs: number;
  /** An idle container is removed after this long. */
  idleTimeoutMs: number;
  /**
   * Prewarmed containers kept per runtime image once its kind has run (OpenWhisk's "stem cells"):
   * started and listening, so a cold start is only /init. Default 1; 0 turns prewarming off.
   */
  prewarm?: number;
  /** Docker network the containers join; the server must reach their addresses on it. Default `bridge`. */
  network?: string;
}

export interface DockerStats {
  containers: number;
  busy: number;
  paused: number;
  prewarmed: number;
  memoryMb: number;
  coldStarts: number;
}

/** Which image an action runs on: a runtime kind's own (`managed`), or a blackbox action's exec.image. */
export interface ContainerImage {
  image: string;
  managed: boolean;
}

export function containerImage(action: RunnableAction): ContainerImage | undefined {
  if (action.kind === BLACKBOX_KIND) return action.image ? { image: action.image, managed: false } : undefined;
  const image = imageForKind(action.kind);
  return image === undefined ? undefined : { image, managed: true };
}

/**
 * The instance label of a server: from its data directory, so a restart finds its predecessor's
 * containers. 64-bit FNV-1a of the path: a label only needs to tell this host's data directories
 * apart, and a server that cleans up leftovers at start then does not load node:crypto for it.
 */
export function instanceFor(dataDir: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(resolve(dataDir))) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, '0');
}

type Failure = { statusCode: StatusCode; result: unknown; logs: string[]; timedOut: boolean };

interface Slot {
  container: ActionContainer;
  cold: boolean;
  /** A prewarmed container: started already, only /init remains. */
  prewarmed: boolean;
}

interface Waiter {
  action: RunnableAction;
  target: ContainerImage;
  apiHost: string;
  resolve: (slot: Slot | undefined) => void;
}

/** How long a proxy may take to start listening after its container started. */
const READY_MS = 30_000;
/** Upper bound on waiting for the sentinels once /run answered (they normally follow within a millisecond). */
const SENTINEL_WAIT_MS = 2_000;
/** The same for an image not yet known to write sentinels (blackbox); once known not to, no wait. */
const SENTINEL_PROBE_MS = 100;
/** After a failed /init, proxies that log init errors write the sentinels too. */
const INIT_FAILURE_LOG_WAIT_MS = 500;
/** After a lost connection, the container's last output may still be on its way. */
const EXIT_LOG_WAIT_MS = 200;
/** Pulling a blackbox image may take this long. */
const PULL_TIMEOUT_MS = 300_000;
/** A warm container that turns out dead before its run is replaced this many times. */
const MAX_ATTEMPTS = 3;
/** With the engine down, it is asked again after this long. */
const ENGINE_RECHECK_MS = 1_000;
/** Prewarmed containers start with OpenWhisk's default memory limit; taking one sets the action's. */
const STEM_MEMORY_MB = DEFAULT_LIMITS.memory;

export class DockerRunner implements Runner {
  private readonly options: DockerRunnerOptions;
  private readonly clock: Clock;
  private readonly engine: DockerEngine | undefined;
  private readonly network: string;
  private readonly byKey = new Map<string, Set<ActionContainer>>();
  /** Prewarmed containers (booting or ready), not yet given to an action. */
  private readonly stems = new Set<ActionContainer>();
  private readonly prewarm: number;
  private readonly removals = new Set<Promise<void>>();
  private readonly pulls = new Map<string, Promise<void>>();
  private waiters: Waiter[] = [];
  private usedMb = 0;
  private seq = 0;
  private coldStarts = 0;
  private engineUp: boolean | undefined;
  /** Why container actions cannot run; said once in the server log when one is invoked. */
  private downReason = 'no container engine is configured';
  private downReported = false;
  private engineCheckedAt = 0;
  private checking: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: DockerRunnerOptions) {
    this.options = options;
    this.clock = options.clock;
    this.network = options.network ?? 'bridge';
    this.prewarm = options.prewarm ?? 1;
    let engine: DockerEngine | undefined;
    if (options.dockerHost !== undefined) {
      try {
        engine = new DockerEngine(options.dockerHost);
      } catch (error) {
        this.downReason = (error as Error).message;
      }
    }
    this.engine = engine;
    // Leftovers of a crashed predecessor go now, not at the first container action.
    if (engine) void this.available();
  }

  async run(request: RunRequest): Promise<RunResult> {
    const dispatched = this.clock.now();
    const target = containerImage(request.action);
    if (target === undefined) return this.failed(2, `The action of kind '${request.action.kind}' has no container image.`, dispatched);
    for (let attempt = 1; ; attempt++) {
      if (this.closing) return this.failed(3, 'The server is shutting down.', dispatched);
      if (!(await this.available())) {
        if (!this.downReported) console.error(`docker: container actions cannot run: ${this.downReason}`);
        this.downReported = true;
        return this.failed(2, MESSAGES.noEngine, dispatched);
      }
      const slot = await this.acquire(request.action, target, request.env.__OW_API_HOST ?? '');
      if (slot === undefined) return this.failed(3, 'The server is shutting down.', dispatched);
      try {
        const result = await this.activate(slot, request, target);
        if (result !== 'retry') return result;
      } catch (error) {
        // A bug here must not leave the container claimed, nor the activation unrecorded.
        console.error('docker: activation failed unexpectedly:', error);
        this.destroy(slot.container);
        return this.failed(3, 'There was an internal server error.', dispatched);
      }
      if (attempt >= MAX_ATTEMPTS) return this.failed(3, 'Failed to provision resources to run the action.', dispatched);
    }
  }

  /** One activation on an acquired container; 'retry' when a warm container turned out unusable before its run. */
  private async activate(slot: Slot, request: RunRequest, target: ContainerImage): Promise<RunResult | 'retry'> {
    const { container } = slot;
    const start = this.clock.now();
    if (slot.cold) {
      const failure = await this.coldStart(container, request, target, slot.prewarmed);
      const initTime = this.clock.now() - start;
      // The next cold start of this runtime finds a container already started (if this one could start).
      if (container.client) this.replenish(target, request.action.kind, request.env.__OW_API_HOST ?? '');
      if (failure) {
        this.destroy(container);
        return { ...failure, start, end: this.clock.now(), initTime };
      }
      return this.execute(container, request, target, start, initTime);
    }
    try {
      await container.resume();
      if (container.exited) throw new Error('its process exited while idle');
    } catch (error) {
      console.error(`docker: warm container ${container.id?.slice(0, 12)} is unusable (${(error as Error).message}); replacing it`);
      this.destroy(container);
      return 'retry';
    }
    return this.execute(container, request, target, start, undefined);
  }

  /** After an update or delete: idle containers of those versions go now, busy ones after their run. */
  invalidate(prefix: string): void {
    for (const [key, containers] of this.byKey) {
      if (!key.startsWith(prefix)) continue;
      for (const container of [...containers]) {
        if (container.state === 'idle') this.destroy(container);
        else container.retired = true;
      }
    }
  }

  stats(): DockerStats {
    let containers = 0;
    let busy = 0;
    let paused = 0;
    for (const set of this.byKey.values()) {
      for (const c of set) {
        containers++;
        if (c.state === 'busy' || c.state === 'starting') busy++;
        if (c.paused) paused++;
      }
    }
    return { containers: containers + this.stems.size, busy, paused, prewarmed: this.stems.size, memoryMb: this.usedMb, coldStarts: this.coldStarts };
  }

  /** Removes every container of this server (idempotent: several kinds share this runner). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter.resolve(undefined);
      for (const set of [...this.byKey.values()]) for (const container of [...set]) this.destroy(container);
      for (const stem of [...this.stems]) this.destroy(stem);
      await Promise.allSettled([...this.removals]);
      await this.checking;
      this.engine?.close();
    })();
    return this.closing;
  }

  // ---- engine ------------------------------------------------------------------------------

  /** Whether the engine answers (asked once, then again at most every second while it is down). */
  private async available(): Promise<boolean> {
    if (!this.engine) return false;
    if (this.engineUp === true) return true;
    if (this.engineUp === false && Date.now() - this.engineCheckedAt < ENGINE_RECHECK_MS && !this.checking) return false;
    this.checking ??= this.checkEngine(this.engine).finally(() => {
      this.engineCheckedAt = Date.now();
      this.checking = undefined;
    });
    await this.checking;
    return this.isUp();
  }

  private isUp(): boolean {
    return this.engineUp === true;
  }

  private async checkEngine(engine: DockerEngine): Promise<void> {
    try {
      await engine.ping();
    } catch (error) {
      this.downReason = `no engine answers at ${engine.socketPath} (${(error as Error).message})`;
      this.engineUp = false;
      return;
    }
    if (this.downReported) console.error(`docker: the engine at ${engine.socketPath} answers again`);
    this.downReported = false;
    this.engineUp = true;
    try {
      await this.removeLeftovers(engine);
    } catch (error) {
      console.error('docker: removing leftover containers failed:', (error as Error).message);
    }
  }

  /**
   * Containers of an earlier run of this server (same instance) or of a dead server process on
   * this host: a crash leaves them behind. Containers of live servers are left alone.
   */
  private async removeLeftovers(engine: DockerEngine): Promise<void> {
    const me = hostname();
    const leftovers = (await engine.list(LABELS.instance)).filter((c) => {
      const pid = Number(c.Labels[LABELS.pid]);
      if (pid === process.pid && c.Labels[LABELS.host] === me) return false;
      return c.Labels[LABELS.instance] === this.options.instance || (c.Labels[LABELS.host] === me && !processAlive(pid));
    });
    await Promise.all(leftovers.map((c) => engine.remove(c.Id)));
    if (leftovers.length > 0) console.error(`docker: removed ${leftovers.length} leftover container(s) of an earlier run`);
  }

  // ---- the pool ----------------------------------------------------------------------------

  private acquire(action: RunnableAction, target: ContainerImage, apiHost: string): Promise<Slot | undefined> {
    const slot = this.tryAcquire(action, target, apiHost);
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiters.push({ action, target, apiHost, resolve }));
  }

  /** A warm container of this version, or room (memory) for a new one; undefined when neither. */
  private tryAcquire(action: RunnableAction, target: ContainerImage, apiHost: string): Slot | undefined {
    let warm: ActionContainer | undefined;
    for (const container of this.byKey.get(action.key) ?? []) {
      if (container.state !== 'idle') continue;
      if (container.exited) {
        this.destroy(container);
        continue;
      }
      // The most recently used: the others may then go idle long enough to be paused or removed.
      if (!warm || container.lastUsed > warm.lastUsed) warm = container;
    }
    if (warm) {
      warm.state = 'busy';
      warm.clearTimers();
      return { container: warm, cold: false, prewarmed: false };
    }
    const memoryMb = action.limits.memory;
    const stem = target.managed ? this.readyStem(target.image) : undefined;
    // A prewarmed container takes the action's memory limit: only if the difference fits.
    if (stem && (memoryMb <= stem.memoryMb || this.usedMb + memoryMb - stem.memoryMb <= this.options.memoryBudgetMb)) {
      this.stems.delete(stem);
      this.usedMb += memoryMb - stem.memoryMb;
      stem.memoryMb = memoryMb;
      stem.key = action.key;
      stem.stem = false;
      stem.state = 'busy';
      this.index(stem);
      this.coldStarts++;
      return { container: stem, cold: true, prewarmed: true };
    }
    if (!this.fits(memoryMb)) this.evictFor(memoryMb);
    if (!this.fits(memoryMb)) return undefined;
    const container = new ActionContainer(
      this.engine!,
      {
        name: `edgewhisk-${this.options.instance.slice(0, 12)}-${process.pid}-${++this.seq}`,
        image: target.image,
        key: action.key,
        kind: action.kind,
        memoryMb,
        instance: this.options.instance,
        apiHost,
        network: this.network,
        dropCapabilities: target.managed,
      },
      () => this.clock.now(),
    );
    this.index(container);
    this.usedMb += memoryMb;
    this.coldStarts++;
    return { container, cold: true, prewarmed: false };
  }

  private index(container: ActionContainer): void {
    let set = this.byKey.get(container.key);
    if (!set) this.byKey.set(container.key, (set = new Set()));
    set.add(container);
  }

  /** A prewarmed container of the image: a ready one, else one still starting (it is further along than a new one). */
  private readyStem(image: string): ActionContainer | undefined {
    let starting: ActionContainer | undefined;
    for (const stem of this.stems) {
      if (stem.spec.image !== image) continue;
      if (stem.exited && stem.state === 'idle') {
        this.destroy(stem, false);
        continue;
      }
      if (stem.state === 'idle') return stem;
      starting ??= stem;
    }
    return starting;
  }

  /** Starts prewarmed containers of a runtime image up to `prewarm`, in memory nobody else claims. */
  private replenish(target: ContainerImage, kind: string, apiHost: string): void {
    if (!target.managed || this.closing || this.prewarm === 0 || !this.engine) return;
    let count = 0;
    for (const stem of this.stems) if (stem.spec.image === target.image) count++;
    for (; count < this.prewarm; count++) {
      // A prewarmed container never evicts anything: it only uses memory that is free.
      if (this.usedMb + STEM_MEMORY_MB > this.options.memoryBudgetMb) return;
      const stem = new ActionContainer(
        this.engine,
        {
          name: `edgewhisk-${this.options.instance.slice(0, 12)}-${process.pid}-${++this.seq}`,
          image: target.image,
          key: `stem:${target.image}`,
          kind,
          memoryMb: STEM_MEMORY_MB,
          instance: this.options.instance,
          apiHost,
          network: this.network,
          dropCapabilities: true,
        },
        () => this.clock.now(),
      );
      stem.stem = true;
      this.stems.add(stem);
      this.usedMb += STEM_MEMORY_MB;
      stem.booted = this.bootStem(stem);
    }
  }

  /** Starts a prewarmed container; it may be taken by an activation while it starts. */
  private async bootStem(stem: ActionContainer): Promise<boolean> {
    const controller = new AbortController();
    const unlisten = stem.onExit(() => controller.abort('the container exited'));
    try {
      await stem.boot();
      if (stem.removed || !stem.client) return false;
      await stem.client.ready(Date.now() + READY_MS, controller.signal);
      if (stem.removed) return false;
      if (stem.stem) {
        stem.state = 'idle';
        stem.lastUsed = this.clock.now();
        this.pump();
      }
      return true;
    } catch (error) {
      if (!stem.removed) console.error('docker: prewarming a container failed:', (error as Error).message);
      // Taken meanwhile: its activation reports the failure and removes it.
      if (stem.stem) this.destroy(stem);
      return false;
    } finally {
      unlisten();
    }
  }

  /** A container that would not fit alone still runs when nothing else holds memory. */
  private fits(memoryMb: number): boolean {
    return this.usedMb === 0 || this.usedMb + memoryMb <= this.options.memoryBudgetMb;
  }

  private evictFor(memoryMb: number): void {
    const idle: ActionContainer[] = [...this.stems].filter((c) => c.state === 'idle');
    for (const set of this.byKey.values()) for (const c of set) if (c.state === 'idle') idle.push(c);
    idle.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const container of idle) {
      if (this.fits(memoryMb)) return;
      this.destroy(container, false);
    }
  }

  /** Hands freed containers and memory to waiting activations, oldest first. */
  private pump(): void {
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      const slot = this.closing ? undefined : this.tryAcquire(waiter.action, waiter.target, waiter.apiHost);
      if (slot) waiter.resolve(slot);
      else if (this.closing) waiter.resolve(undefined);
      else this.waiters.push(waiter);
    }
  }

  private release(container: ActionContainer): void {
    if (container.retired || container.exited || this.closing) return this.destroy(container);
    container.state = 'idle';
    container.lastUsed = this.clock.now();
    this.pump();
    if (container.state !== 'idle') return; // a waiting activation took it
    if (this.options.pauseAfterMs > 0) {
      container.timers.push(
        this.clock.setTimer(() => {
          container.pause().catch((error: unknown) => {
            console.error(`docker: pausing ${container.id?.slice(0, 12)} failed (${(error as Error).message}); removing it`);
            if (container.state === 'idle') this.destroy(container);
          });
        }, this.options.pauseAfterMs),
      );
    }
    container.timers.push(
      this.clock.setTimer(() => {
        if (container.state === 'idle') this.destroy(container);
      }, this.options.idleTimeoutMs),
    );
  }

  private destroy(container: ActionContainer, pump = true): void {
    if (container.state === 'removed') return;
    this.stems.delete(container);
    const set = this.byKey.get(container.key);
    set?.delete(container);
    if (set?.size === 0) this.byKey.delete(container.key);
    this.usedMb -= container.memoryMb;
    const removal = container.remove().finally(() => this.removals.delete(removal));
    this.removals.add(removal);
    if (pump) this.pump();
  }

  // ---- one activation ----------------------------------------------------------------------

  /** Boots the container and initializes the action; a Failure when the activation ends here. */
  private async coldStart(container: ActionContainer, request: RunRequest, target: ContainerImage, prewarmed: boolean): Promise<Failure | undefined> {
    const { action } = request;
    container.logs.begin(action.limits.logs * 1_048_576);
    try {
      if (prewarmed) {
        if (!(await container.booted)) throw new Error('the prewarmed container did not start');
        await container.applyMemory();
      } else {
        await this.boot(container, target);
      }
    } catch (error) {
      return this.provisionFailure(error, target);
    }
    if (container.removed || !container.client) return { statusCode: 3, result: { error: 'The server is shutting down.' }, logs: [], timedOut: false };
    const client = container.client;
    const controller = new AbortController();
    const unlisten = container.onExit(() => controller.abort('the container exited'));
    const timeout = action.limits.timeout;
    try {
      await client.ready(Date.now() + Math.max(READY_MS, timeout), controller.signal);
      const timer = this.clock.setTimer(() => controller.abort(TIMED_OUT), timeout);
      let reply: ProxyReply;
      try {
        reply = await client.post('/init', initBody({ name: shortName(request.env.__OW_ACTION_NAME), main: action.main, code: action.code, binary: action.binary, env: initEnv(request) }), {
          signal: controller.signal,
        });
      } finally {
        timer.clear();
      }
      let outcome = initOutcome(reply);
      // A blackbox image without code runs its own action: proxies that want code say so with 403.
      if (outcome && !target.managed && action.code === '' && reply.status === 403) outcome = undefined;
      if (!outcome) return undefined;
      await container.logs.waitForEnd(INIT_FAILURE_LOG_WAIT_MS, (cb, ms) => this.clock.setTimer(cb, ms));
      return { ...outcome, logs: container.logs.take(), timedOut: false };
    } catch (error) {
      if (!(error instanceof ProxyCallError)) throw error;
      if (error.reason === 'timeout') {
        return { statusCode: 2, result: { error: PROTOCOL_MESSAGES.timedOutInit(timeout) }, logs: container.logs.take(), timedOut: true };
      }
      await this.outputEnd(container);
      const oom = await this.oomKilled(container);
      return { statusCode: 2, result: { error: oom ? MESSAGES.memoryExhausted : PROTOCOL_MESSAGES.abnormalInitialization }, logs: container.logs.take(), timedOut: false };
    } finally {
      unlisten();
    }
  }

  private async execute(container: ActionContainer, request: RunRequest, target: ContainerImage, start: number, initTime: number | undefined): Promise<RunResult> {
    const { action } = request;
    const timeout = action.limits.timeout;
    container.logs.begin(action.limits.logs * 1_048_576);
    const controller = new AbortController();
    const unlisten = container.onExit(() => controller.abort('the container exited'));
    const timer = this.clock.setTimer(() => controller.abort(TIMED_OUT), timeout);
    let reply: ProxyReply | undefined;
    let lost: ProxyCallError | undefined;
    try {
      reply = await container.client!.post('/run', runBody(request.params, request.env), { signal: controller.signal, maxBytes: request.maxResultBytes });
    } catch (error) {
      if (!(error instanceof ProxyCallError)) throw error;
      lost = error;
    } finally {
      timer.clear();
      unlisten();
    }
    const end = this.clock.now();
    if (reply === undefined) {
      const timedOut = lost?.reason === 'timeout';
      if (!timedOut) await this.outputEnd(container);
      const oom = !timedOut && (await this.oomKilled(container));
      const logs = container.logs.take();
      this.destroy(container);
      const error = timedOut ? MESSAGES.timedOut(timeout) : oom ? MESSAGES.memoryExhausted : PROTOCOL_MESSAGES.abnormalRun;
      return withInit({ statusCode: 2, result: { error }, logs, start, end, timedOut }, initTime);
    }
    let outcome = runOutcome(reply, request.maxResultBytes);
    const wait = target.managed || container.sentinels === true ? SENTINEL_WAIT_MS : container.sentinels === false ? 0 : SENTINEL_PROBE_MS;
    const ended = await container.logs.waitForEnd(wait, (cb, ms) => this.clock.setTimer(cb, ms));
    if (!target.managed && container.sentinels === undefined) container.sentinels = ended;
    const logs = container.logs.take();
    // Our proxy answers a killed action process as the actionloop does ("command exited") and says
    // in the log when the kernel killed it for memory: the activation then says so too.
    if (target.managed && outcome.statusCode === 2 && logs.some((line) => line.endsWith(`stderr: ${MESSAGES.memoryExhausted}`))) {
      outcome = { statusCode: 2, result: { error: MESSAGES.memoryExhausted } };
    }
    // Success and application errors leave a healthy runtime; anything else is not trusted again.
    if (reply.status >= 200 && reply.status < 300) this.release(container);
    else this.destroy(container);
    return withInit({ ...outcome, logs, start, end, timedOut: false }, initTime);
  }

  private async boot(container: ActionContainer, target: ContainerImage): Promise<void> {
    try {
      await container.boot();
    } catch (error) {
      if (!missingImage(error) || target.managed) throw error;
      await this.pull(target.image);
      await container.boot();
    }
  }

  /** One pull per image at a time; concurrent cold starts of it wait for the same pull. */
  private pull(image: string): Promise<void> {
    let pulling = this.pulls.get(image);
    if (!pulling) {
      pulling = this.engine!.pull(image, PULL_TIMEOUT_MS)
        .catch((error: unknown) => {
          throw new PullFailed(image, (error as Error).message);
        })
        .finally(() => this.pulls.delete(image));
      this.pulls.set(image, pulling);
    }
    return pulling;
  }

  private provisionFailure(error: unknown, target: ContainerImage): Failure {
    const fail = (statusCode: StatusCode, message: string): Failure => ({ statusCode, result: { error: message }, logs: [], timedOut: false });
    if (error instanceof EngineUnavailable) {
      this.engineUp = false;
      this.engineCheckedAt = Date.now();
      this.downReason = error.message;
      return fail(2, MESSAGES.noEngine);
    }
    if (error instanceof PullFailed) {
      console.error(`docker: pulling ${error.image} failed: ${error.detail}`);
      return fail(2, `Failed to pull container image '${error.image}'.`);
    }
    if (missingImage(error)) {
      console.error(`docker: the runtime image ${target.image} is missing; build it with npm run runtimes:build`);
      return fail(3, `The runtime image '${target.image}' is not on the container engine (build it with: npm run runtimes:build).`);
    }
    console.error('docker: starting a container failed:', (error as Error).message);
    return fail(3, 'Failed to provision resources to run the action.');
  }

  /** Waits (briefly) for a dying container's output to end, so its last lines are in the logs. */
  private outputEnd(container: ActionContainer): Promise<void> {
    if (container.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(() => {
        unlisten();
        resolve();
      }, EXIT_LOG_WAIT_MS);
      const unlisten = container.onExit(() => {
        timer.clear();
        resolve();
      });
    });
  }

  private async oomKilled(container: ActionContainer): Promise<boolean> {
    if (!container.exited || container.id === undefined || !this.engine) return false;
    try {
      return (await this.engine.inspect(container.id)).State.OOMKilled === true;
    } catch {
      return false;
    }
  }

  private failed(statusCode: StatusCode, message: string, start: number): RunResult {
    return { statusCode, result: { error: message }, logs: [], start, end: this.clock.now(), timedOut: false };
  }
}

class PullFailed extends Error {
  readonly image: string;
  readonly detail: string;
  constructor(image: string, detail: string) {
    super(`pulling ${image} failed: ${detail}`);
    this.image = image;
    this.detail = detail;
  }
}

function missingImage(error: unknown): boolean {
  return error instanceof EngineError && error.status === 404 && /no such image/i.test(error.message);
}

/** What the action's process environment gets at /init: the __OW_* values and `init` parameters. */
function initEnv(request: RunRequest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.action.initParams ?? {})) env[key] = typeof value === 'string' ? value : JSON.stringify(value);
  for (const [key, value] of Object.entries(request.env)) if (key.startsWith('__OW_')) env[key] = value;
  return env;
}

/** `/ns/pkg/action` → `action`. */
function shortName(fullName: string | undefined): string {
  if (fullName === undefined) return '';
  return fullName.slice(fullName.lastIndexOf('/') + 1);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function withInit(result: RunResult, initTime: number | undefined): RunResult {
  if (initTime !== undefined) result.initTime = initTime;
  return result;
}
