/** The unauthenticated discovery endpoints: GET / and GET /api/v1. */
import type { AdmissionLimits } from '../limits/throttle.ts';
import { LIMIT_RANGES, SYSTEM_LIMITS } from '../openwhisk/limits.ts';
import { runtimeManifest } from '../openwhisk/exec.ts';
import type { HttpReply } from '../server/http.ts';
import { json } from './reply.ts';

export const VERSION = '0.1.0';

export function apiInfo(): HttpReply {
  return json(200, {
    description: 'edgewhisk: an OpenWhisk-compatible edge runtime',
    api_version: '1.0.0',
    api_version_path: 'v1',
    build: VERSION,
    buildno: VERSION,
    swagger_paths: { ui: '/docs', 'api-docs': '/api/v1/api-docs' },
  });
}

/** `throttles`: the server's configured per-namespace limits (0 = unlimited). */
export function rootInfo(throttles: Pick<AdmissionLimits, 'invocationsPerMinute' | 'concurrentInvocations' | 'firesPerMinute'>): HttpReply {
  return json(200, {
    description: 'edgewhisk: an OpenWhisk-compatible edge runtime',
    api_paths: ['/api/v1'],
    limits: {
      actions_per_minute: throttles.invocationsPerMinute,
      concurrent_actions: throttles.concurrentInvocations,
      triggers_per_minute: throttles.firesPerMinute,
      max_action_duration: LIMIT_RANGES.timeout.max,
      min_action_duration: LIMIT_RANGES.timeout.min,
      max_action_memory: LIMIT_RANGES.memory.max * 1048576,
      min_action_memory: LIMIT_RANGES.memory.min * 1048576,
      max_action_logs: LIMIT_RANGES.logs.max * 1048576,
      min_action_logs: LIMIT_RANGES.logs.min * 1048576,
      sequence_length: SYSTEM_LIMITS.maxSequenceLength,
    },
    runtimes: runtimeManifest(),
  });
}
