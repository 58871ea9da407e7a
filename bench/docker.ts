/**
 * Suite "docker": a Python action through the container runner, end to end over HTTP — the first
 * invoke of fresh actions (cold: container create + start + proxy + /init + /run) and warm
 * blocking invokes one after another. Undefined when no container engine answers (or the runtime
 * image cannot be built), so the suite is skipped rather than failed.
 */
import { DEFAULT_DOCKER_HOST, DockerEngine } from '../src/runners/docker/engine.ts';
import { buildPythonImage } from '../runtimes/build.ts';
import { withEdgewhisk, type BenchServer } from './edgewhisk.ts';
import { api, percentile } from './lib.ts';

export interface DockerInvokeResult {
  /** First invoke of a new action, a prewarmed container of the runtime ready (the steady state). */
  coldMs: number;
  /** First invoke of a new action with prewarming off: container create + start + proxy + /init + /run. */
  coldUnprewarmedMs: number;
  warmP50Ms: number;
  warmP99Ms: number;
}

const COLD_ACTIONS = Number(process.env.BENCH_DOCKER_COLD ?? 5);
const WARM_CALLS = Number(process.env.BENCH_DOCKER_WARM ?? 500);
/** Time given to the runner to start the next prewarmed container between cold starts. */
const PREWARM_PAUSE_MS = 1_500;
const CODE = 'def main(args):\n    return {"greeting": "hello " + args.get("name", "world")}\n';

/** Whether an engine answers and the Python image is there (built if missing). */
async function engineReady(): Promise<boolean> {
  const dockerHost = process.env.DOCKER_HOST ?? DEFAULT_DOCKER_HOST;
  let engine: DockerEngine | undefined;
  try {
    engine = new DockerEngine(dockerHost);
    await engine.ping();
    await buildPythonImage(engine);
    return true;
  } catch (error) {
    console.warn(`docker bench skipped: ${(error as Error).message}`);
    return false;
  } finally {
    engine?.close();
  }
}

async function invoke(server: BenchServer, name: string): Promise<number> {
  const started = performance.now();
  const res = await api(server.url, 'POST', `/api/v1/namespaces/_/actions/${name}?blocking=true&result=true`, { name: 'bench' });
  const body = (await res.json()) as { greeting?: string };
  const ms = performance.now() - started;
  if (res.status !== 200 || body.greeting !== 'hello bench') throw new Error(`invoke ${name} answered ${res.status} ${JSON.stringify(body)}`);
  return ms;
}

async function create(server: BenchServer, name: string): Promise<void> {
  await server.put(`actions/${name}`, { exec: { kind: 'python:default', code: `${CODE}# ${name}\n` } });
}

/** Median first invoke of COLD_ACTIONS new actions, after one to warm the engine's own caches. */
async function coldStarts(server: BenchServer, pauseMs: number): Promise<number> {
  await create(server, 'pywarmup');
  await invoke(server, 'pywarmup');
  const cold: number[] = [];
  for (let i = 0; i < COLD_ACTIONS; i++) {
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await create(server, `pycold${i}`);
    cold.push(await invoke(server, `pycold${i}`));
  }
  return percentile(cold, 50);
}

export async function dockerInvoke(): Promise<DockerInvokeResult | undefined> {
  if (!(await engineReady())) return undefined;
  const coldUnprewarmedMs = await withEdgewhisk(['--container-prewarm', '0'], '0', (server) => coldStarts(server, 200));
  return withEdgewhisk([], '0', async (server) => {
    const coldMs = await coldStarts(server, PREWARM_PAUSE_MS);
    // Containers stay unpaused between back-to-back calls, as under steady load.
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) await invoke(server, 'pywarmup');
    for (let i = 0; i < WARM_CALLS; i++) warm.push(await invoke(server, 'pywarmup'));
    return { coldMs, coldUnprewarmedMs, warmP50Ms: percentile(warm, 50), warmP99Ms: percentile(warm, 99) };
  });
}

if (import.meta.main) {
  console.log('docker (python) invoke:', await dockerInvoke());
}
