/** Action limits: OpenWhisk's defaults and allowed ranges, validation and merging. Pure. */
import { badRequest } from '../errors.ts';

export interface ActionLimits {
  timeout: number;
  memory: number;
  logs: number;
  concurrency: number;
}

export const LIMIT_RANGES = {
  timeout: { min: 100, max: 300_000, std: 60_000 },
  memory: { min: 128, max: 512, std: 256 },
  logs: { min: 0, max: 10, std: 10 },
  concurrency: { min: 1, max: 500, std: 1 },
} as const;

export const DEFAULT_LIMITS: ActionLimits = {
  timeout: LIMIT_RANGES.timeout.std,
  memory: LIMIT_RANGES.memory.std,
  logs: LIMIT_RANGES.logs.std,
  concurrency: LIMIT_RANGES.concurrency.std,
};

/** Per-namespace system limits, as `GET /namespaces/{ns}/limits` reports them. */
export const SYSTEM_LIMITS = {
  invocationsPerMinute: 120,
  concurrentInvocations: 100,
  firesPerMinute: 60,
  maxParameterSize: 1_048_576,
  maxPayloadSize: 1_048_576,
  maxResultSize: 1_048_576,
  maxCodeSize: 48 * 1_048_576,
  maxSequenceLength: 50,
} as const;

/** Upstream's wording, e.g. "duration 50 milliseconds below allowed threshold of 100 milliseconds". */
const DESCRIBE: Record<keyof ActionLimits, (v: number) => string> = {
  timeout: (v) => `duration ${v} milliseconds`,
  memory: (v) => `memory ${v} MB`,
  logs: (v) => `log size ${v} MB`,
  concurrency: (v) => `concurrency ${v}`,
};
const UNIT: Record<keyof ActionLimits, string> = { timeout: ' milliseconds', memory: ' MB', logs: ' MB', concurrency: '' };

/** Validates the given fields and fills the rest from `base` (defaults on create, old limits on update). */
export function mergeLimits(input: unknown, base: ActionLimits): ActionLimits {
  if (input === undefined || input === null) return { ...base };
  if (typeof input !== 'object' || Array.isArray(input)) throw badRequest('limits must be an object.');
  const out = { ...base };
  for (const key of Object.keys(LIMIT_RANGES) as (keyof ActionLimits)[]) {
    const value = (input as Record<string, unknown>)[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`limits.${key} must be an integer.`);
    const { min, max } = LIMIT_RANGES[key];
    if (value < min) throw badRequest(`${DESCRIBE[key](value)} below allowed threshold of ${min}${UNIT[key]}.`);
    if (value > max) throw badRequest(`${DESCRIBE[key](value)} exceeds allowed threshold of ${max}${UNIT[key]}.`);
    out[key] = value;
  }
  return out;
}
