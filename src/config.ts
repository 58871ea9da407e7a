/** Server configuration: defaults, environment variables, command-line flags, validation. Pure. */
import { isIP } from 'node:net';
import { parseDenyEntry } from './egress/policy.ts';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** What actions see as __OW_API_HOST; derived from host:port when not given. */
  apiHost: string | undefined;
  /** Accept OpenWhisk's published guest/whisk.system keys. Default: only on loopback listeners. */
  allowWellKnownKeys: boolean;
  /** Total memory (MB) that warm isolates may hold before the least recently used are evicted. */
  isolateMemoryBudgetMb: number;
  /** Isolates kept per action version; each runs one activation at a time. */
  maxIsolatesPerAction: number;
  /** How long a warm call may run on the event loop before its action moves to isolate threads. */
  fastSliceMs: number;
  /** Activation records older than this are deleted. */
  activationRetentionDays: number;
  /** How long a blocking invoke waits before answering 202 with the activation id. */
  maxBlockingWaitMs: number;
  /** Largest request body accepted (OpenWhisk's payload limit is 1 MB). */
  maxBodyBytes: number;
  /** Hosts, IP addresses and CIDR ranges action code may not fetch from (empty: all allowed). */
  egressDeny: string[];
  /** Largest response body an action's fetch() receives. */
  fetchMaxResponseBytes: number;
  /** Adobe-style web URLs: a Host of `{namespace}.{webBaseDomain}` names the namespace. */
  webBaseDomain: string | undefined;
  /** Keep activation records of successful web calls (Adobe keeps them only with X-OW-EXTRA-LOGGING: on). */
  recordWebSuccesses: boolean;
  /** Per namespace, OpenWhisk's throttles (0 = unlimited): invocations in any 60 s, in flight at once, trigger fires in any 60 s. */
  invocationsPerMinute: number;
  concurrentInvocations: number;
  firesPerMinute: number;
  /** Activations in flight on the whole server (queued or running) beyond which invokes answer 503 (0 = unlimited). */
  maxInFlight: number;
  /** Processes that run the isolates, restarted if one crashes (0: isolates run in the server process). */
  isolateWorkers: number;
  /** Resident memory (MB) past which an isolate worker process is killed and replaced. */
  workerMemoryMb: number;
  /** The container engine for python and blackbox actions: a `unix://` Docker socket (others disable them). */
  dockerHost: string;
  /** Total memory (MB, by the actions' memory limits) that action containers may claim together. */
  containerMemoryMb: number;
  /** An idle action container is paused after this long (0: never). */
  containerPauseMs: number;
  /** An idle action container is removed after this long. */
  containerIdleMs: number;
  /** Prewarmed containers kept per runtime image once its kind has run (0: none). */
  containerPrewarm: number;
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 3233,
  dataDir: './.edgewhisk',
  apiHost: undefined,
  allowWellKnownKeys: true,
  isolateMemoryBudgetMb: 1024,
  maxIsolatesPerAction: 4,
  fastSliceMs: 10,
  activationRetentionDays: 7,
  maxBlockingWaitMs: 60_000,
  maxBodyBytes: 1024 * 1024 + 64 * 1024,
  egressDeny: [],
  fetchMaxResponseBytes: 10 * 1024 * 1024,
  webBaseDomain: undefined,
  recordWebSuccesses: true,
  invocationsPerMinute: 120,
  concurrentInvocations: 100,
  firesPerMinute: 60,
  maxInFlight: 10_000,
  isolateWorkers: 1,
  workerMemoryMb: 4096,
  dockerHost: 'unix:///var/run/docker.sock',
  containerMemoryMb: 2048,
  // OpenWhisk's invoker pauses after 50 ms and removes idle containers after 10 minutes.
  containerPauseMs: 50,
  containerIdleMs: 600_000,
  containerPrewarm: 1,
};

/** Each setting: its flag, its environment variable and how to parse it. */
const SETTINGS = {
  host: { flag: 'host', env: 'EDGEWHISK_HOST', parse: parseHost },
  port: { flag: 'port', env: 'EDGEWHISK_PORT', parse: intIn(0, 65535) },
  dataDir: { flag: 'data-dir', env: 'EDGEWHISK_DATA_DIR', parse: nonEmpty },
  apiHost: { flag: 'api-host', env: 'EDGEWHISK_API_HOST', parse: nonEmpty },
  allowWellKnownKeys: { flag: 'allow-guest-key', env: 'EDGEWHISK_ALLOW_GUEST_KEY', parse: parseBool },
  isolateMemoryBudgetMb: { flag: 'memory-budget', env: 'EDGEWHISK_MEMORY_BUDGET_MB', parse: intIn(16, 1 << 20) },
  maxIsolatesPerAction: { flag: 'isolates-per-action', env: 'EDGEWHISK_ISOLATES_PER_ACTION', parse: intIn(1, 1024) },
  fastSliceMs: { flag: 'fast-slice', env: 'EDGEWHISK_FAST_SLICE_MS', parse: intIn(1, 1000) },
  activationRetentionDays: { flag: 'retention-days', env: 'EDGEWHISK_RETENTION_DAYS', parse: intIn(0, 36500) },
  maxBlockingWaitMs: { flag: 'blocking-wait', env: 'EDGEWHISK_BLOCKING_WAIT_MS', parse: intIn(1, 3_600_000) },
  maxBodyBytes: { flag: 'max-body', env: 'EDGEWHISK_MAX_BODY_BYTES', parse: intIn(1024, 1 << 30) },
  egressDeny: { flag: 'egress-deny', env: 'EDGEWHISK_EGRESS_DENY', parse: parseDenyList },
  fetchMaxResponseBytes: { flag: 'fetch-max-bytes', env: 'EDGEWHISK_FETCH_MAX_BYTES', parse: intIn(1024, 1 << 30) },
  webBaseDomain: { flag: 'web-base-domain', env: 'EDGEWHISK_WEB_BASE_DOMAIN', parse: domain },
  recordWebSuccesses: { flag: 'record-web-successes', env: 'EDGEWHISK_RECORD_WEB_SUCCESSES', parse: parseBool },
  invocationsPerMinute: { flag: 'invocations-per-minute', env: 'EDGEWHISK_INVOCATIONS_PER_MINUTE', parse: intIn(0, 1e9) },
  concurrentInvocations: { flag: 'concurrent-invocations', env: 'EDGEWHISK_CONCURRENT_INVOCATIONS', parse: intIn(0, 1e9) },
  firesPerMinute: { flag: 'fires-per-minute', env: 'EDGEWHISK_FIRES_PER_MINUTE', parse: intIn(0, 1e9) },
  maxInFlight: { flag: 'max-in-flight', env: 'EDGEWHISK_MAX_IN_FLIGHT', parse: intIn(0, 1e9) },
  isolateWorkers: { flag: 'isolate-workers', env: 'EDGEWHISK_ISOLATE_WORKERS', parse: intIn(0, 64) },
  workerMemoryMb: { flag: 'worker-memory', env: 'EDGEWHISK_WORKER_MEMORY_MB', parse: intIn(256, 1 << 20) },
  // Any value is accepted: a DOCKER_HOST the runner cannot use only disables container actions.
  dockerHost: { flag: 'docker-host', env: 'DOCKER_HOST', parse: nonEmpty },
  containerMemoryMb: { flag: 'container-memory', env: 'EDGEWHISK_CONTAINER_MEMORY_MB', parse: intIn(128, 1 << 20) },
  containerPauseMs: { flag: 'container-pause', env: 'EDGEWHISK_CONTAINER_PAUSE_MS', parse: intIn(0, 3_600_000) },
  containerIdleMs: { flag: 'container-idle', env: 'EDGEWHISK_CONTAINER_IDLE_MS', parse: intIn(1_000, 86_400_000) },
  containerPrewarm: { flag: 'container-prewarm', env: 'EDGEWHISK_CONTAINER_PREWARM', parse: intIn(0, 16) },
} satisfies { [K in keyof Config]: { flag: string; env: string; parse: (v: string) => Config[K] } };

export class ConfigError extends Error {}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Builds a Config from flags (already split into name → value) over environment variables over
 * defaults. Unknown flags are an error, so a typo never silently starts a misconfigured server.
 */
export function loadConfig(flags: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Config {
  const config: Config = { ...DEFAULTS };
  const known = new Set<string>();
  let guestKeyChosen = false;
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof Config, (typeof SETTINGS)[keyof Config]][]) {
    known.add(setting.flag);
    const raw = flags[setting.flag] ?? env[setting.env];
    if (raw === undefined) continue;
    try {
      (config as unknown as Record<string, unknown>)[key] = setting.parse(raw);
    } catch (error) {
      throw new ConfigError(`--${setting.flag} (${setting.env}): ${(error as Error).message}`);
    }
    if (key === 'allowWellKnownKeys') guestKeyChosen = true;
  }
  for (const flag of Object.keys(flags)) {
    if (!known.has(flag)) throw new ConfigError(`unknown option --${flag}`);
  }
  // The published keys are secrets only in name: never accept them off loopback unless asked to.
  if (!guestKeyChosen) config.allowWellKnownKeys = isLoopback(config.host);
  return config;
}

function parseHost(value: string): string {
  if (value === 'localhost' || isIP(value) !== 0) return value;
  throw new Error(`'${value}' is not an IP address or localhost`);
}

function domain(value: string): string {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(value)) throw new Error(`'${value}' is not a domain name`);
  return value.toLowerCase();
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new Error('must not be empty');
  return value;
}

/** Comma-separated: `169.254.169.254,10.0.0.0/8,*.internal`. */
function parseDenyList(value: string): string[] {
  return value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map(parseDenyEntry);
}

function parseBool(value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`'${value}' is not a boolean`);
}

function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`'${value}' is not an integer from ${min} to ${max}`);
    return n;
  };
}
