import { defineConfig } from 'vitest/config';

/**
 * Files that bound how long a bystander action waits while others misbehave. They run after the
 * rest, one at a time: on a 2-core machine another test file running beside them put its own load
 * in their figures (a bystander's worst call went past 200 ms in CI in a slow VM phase, in a case
 * whose worst call alone was 21-29 ms).
 */
const LATENCY_BOUND = ['test/reliability/hostile.test.ts', 'test/reliability/crash.test.ts', 'test/reliability/overload.test.ts'];

export default defineConfig({
  test: {
    // isolated-vm needs --no-node-snapshot; each file runs in its own forked process.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: LATENCY_BOUND } },
      { extends: true, test: { name: 'latency', include: LATENCY_BOUND, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
