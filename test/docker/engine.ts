/**
 * The Docker tests' engine: DOCKER_HOST or /var/run/docker.sock, with the Python runtime image
 * (built here when missing, as `npm run runtimes:build` would). `skipReason` says why they cannot run.
 */
import { buildPythonImage } from '../../runtimes/build.ts';
import { LABELS } from '../../src/runners/docker/container.ts';
import { DEFAULT_DOCKER_HOST, DockerEngine, type ContainerSummary } from '../../src/runners/docker/engine.ts';
import { instanceFor } from '../../src/runners/docker/pool.ts';

export const DOCKER_HOST = process.env.DOCKER_HOST ?? DEFAULT_DOCKER_HOST;

async function probe(): Promise<{ engine?: DockerEngine; skipReason?: string }> {
  let engine: DockerEngine;
  try {
    engine = new DockerEngine(DOCKER_HOST);
    await engine.ping();
  } catch (error) {
    return { skipReason: `no container engine at ${DOCKER_HOST} (${(error as Error).message})` };
  }
  try {
    await buildPythonImage(engine);
  } catch (error) {
    engine.close();
    return { skipReason: `the Python runtime image cannot be built: ${(error as Error).message}` };
  }
  return { engine };
}

const probed = await probe();
export const engine = probed.engine;
export const skipReason = probed.skipReason;

/** This test server's containers (running or not), prewarmed ones included. */
export async function containersOf(dataDir: string): Promise<ContainerSummary[]> {
  const instance = instanceFor(dataDir);
  return (await engine!.list(LABELS.instance)).filter((c) => c.Labels[LABELS.instance] === instance);
}

/** Polls `check` every 50 ms until it holds or `ms` pass; the last value. */
export async function eventually<T>(check: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
