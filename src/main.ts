/** Wiring only: builds the server's parts from a Config and starts listening. */
import { createApiHandler } from './api/router.ts';
import { Authenticator } from './auth.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { WorkingEvent } from './jit.ts';
import { Invoker } from './invoker.ts';
import { SYSTEM_LIMITS } from './openwhisk/limits.ts';
import { Admission } from './limits/throttle.ts';
import { createMetrics } from './metrics.ts';
import { inProcessApi } from './runners/isolate/api.ts';
import { IsolateWorkers } from './runners/workers/supervisor.ts';
import { ALARM_HANDLERS, seedSystemPackages } from './catalog/system.ts';
import { containerKinds, HOST_KIND } from './openwhisk/exec.ts';
import { DockerRunner, instanceFor } from './runners/docker/pool.ts';
import { Resolver } from './resolver.ts';
import { HostRunner, KindRouter } from './runners/host.ts';
import { ScheduleStore } from './store/schedules.ts';
import { Alarms, FEEDS } from './triggers/alarms.ts';
import { loadCronParser } from './triggers/next-fire.ts';
import { alarmTargets } from './triggers/targets.ts';
import { Triggers } from './triggers/triggers.ts';
import { internalErrorReply, errorReply } from './api/reply.ts';
import { ApiError } from './errors.ts';
import { newTransactionId } from './ids.ts';
import { startHttpServer, type Handler } from './server/http.ts';
import { ActivationStore } from './store/activations.ts';
import { openDatabase } from './store/db.ts';
import { EntityStore } from './store/entities.ts';
import { NamespaceStore } from './store/namespaces.ts';

export interface EdgewhiskServer {
  readonly port: number;
  /** Base URL of the API host, e.g. http://127.0.0.1:3233 */
  readonly url: string;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
/**
 * Entity PUTs carry action code, which OpenWhisk takes up to 48 MB (base64 zips included), plus
 * the JSON around it; every other request keeps the small --max-body bound.
 */
const CODE_UPLOAD_BYTES = SYSTEM_LIMITS.maxCodeSize + 2 * 1_048_576;
const ENTITY_PUT = /^\/api\/v1\/namespaces\/[^/]+\/(actions|packages)\//;
/** On shutdown, running activations get this long to finish and be recorded. */
const DRAIN_MS = 10_000;

export async function startServer(config: Config, clock: Clock = systemClock): Promise<EdgewhiskServer> {
  const db = openDatabase(config.dataDir);
  const namespaces = new NamespaceStore(db);
  namespaces.seedWellKnown(clock.now());
  const entities = new EntityStore(db);
  seedSystemPackages(entities, clock.now());
  const resolver = new Resolver(entities);
  const activations = new ActivationStore(db);
  const isolateOptions = {
    memoryBudgetMb: config.isolateMemoryBudgetMb,
    maxInstancesPerAction: config.maxIsolatesPerAction,
    fastSliceMs: config.fastSliceMs,
    now: () => clock.now(),
    egress: { deny: config.egressDeny, maxResponseBytes: config.fetchMaxResponseBytes },
    // require('openwhisk') in actions: straight into the API handler (wired below).
    api: inProcessApi(() => handler),
  };
  // Isolates run in supervised worker processes, so V8 running out of memory cannot take the
  // server down (src/runners/workers); the processes start when first needed, so the server
  // answers at once and an idle one holds none. --isolate-workers 0 runs isolates in this process:
  // only then is the isolate pool loaded (isolated-vm and undici are a large part of a start-up).
  const workers = config.isolateWorkers > 0 ? new IsolateWorkers({ ...isolateOptions, workers: config.isolateWorkers, workerMemoryMb: config.workerMemoryMb }) : undefined;
  // In this process, the budget bounds this process's resident memory, as it bounds the workers'.
  const runner = workers ?? new (await import('./runners/isolate/pool.ts')).IsolatePool({ ...isolateOptions, budgetOf: 'process' });

  // The API host actions see is only known once the port is (port 0 picks one).
  let handler: Handler = () => ({ status: 503, body: '' });
  const http = await startHttpServer({
    host: config.host,
    port: config.port,
    maxBodyBytes: (method, path) => (method === 'PUT' && ENTITY_PUT.test(path) ? Math.max(config.maxBodyBytes, CODE_UPLOAD_BYTES) : config.maxBodyBytes),
    handler: (request) => handler(request),
    errorReply: (status) =>
      status === 413 ? errorReply(new ApiError('tooLarge'), newTransactionId()) : internalErrorReply(newTransactionId()),
  }).catch(async (error: unknown) => {
    // Nothing has run yet: what was opened is closed, so a caller that goes on (a test) keeps nothing.
    await runner.close();
    await activations.close();
    db.close();
    throw error;
  });
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${http.port}`;
  // Gauges read the invoker lazily, at scrape time.
  const metrics = createMetrics(() => runner.stats(), () => invoker.inFlightCount, {
    refused: () => admission.refused,
    ...(workers ? { workers: () => workers.workerCounters() } : {}),
  });
  // Built-in actions (the alarms feeds) run on the host, python and blackbox in containers,
  // everything else in isolates.
  const hostRunner = new HostRunner(() => clock.now());
  const dockerRunner = new DockerRunner({
    clock,
    dockerHost: config.dockerHost,
    // The same data directory after a restart finds (and removes) its predecessor's containers.
    instance: instanceFor(config.dataDir),
    memoryBudgetMb: config.containerMemoryMb,
    pauseAfterMs: config.containerPauseMs,
    idleTimeoutMs: config.containerIdleMs,
    prewarm: config.containerPrewarm,
  });
  const runners = new KindRouter(runner, {
    [HOST_KIND]: hostRunner,
    ...Object.fromEntries(containerKinds().map((kind) => [kind, dockerRunner])),
  });
  const admission = new Admission(config, () => clock.now());
  let working = false;
  // The first activation: V8's optimizing compilers, held off since start-up, may run (src/jit.ts),
  // before its action does (with --isolate-workers 0 the action's code runs under the same flags).
  const atWork = (): void => {
    if (working) return;
    working = true;
    (process as NodeJS.EventEmitter).emit('edgewhisk:working' satisfies WorkingEvent);
  };
  const invoker = new Invoker({
    admission,
    runner: runners,
    activations,
    clock,
    apiHost: config.apiHost ?? url,
    onStart: atWork,
    onActivation: (a) => metrics.observe(a),
    resolveComponent: (component, caller) => resolver.findComponent(component, caller),
  });
  const triggers = new Triggers({ entities, resolver, invoker, activations, clock });
  const alarms = new Alarms({ clock, store: new ScheduleStore(db), targets: alarmTargets({ entities, resolver, invoker, triggers, clock }) });
  // The feeds read cron patterns and compute next fires: cron-parser is loaded for them first.
  for (const feed of FEEDS) {
    hostRunner.register(ALARM_HANDLERS[feed], async (call) => {
      await loadCronParser();
      return alarms.feed(feed, call);
    });
  }
  // Schedules run actions: with some to fire, the worker processes start now, and the schedules
  // are armed once they are up (a fire due at start does not wait for one).
  alarms.start(workers ? () => workers.startAll() : undefined);
  const auth = new Authenticator(namespaces, config.allowWellKnownKeys);
  handler = createApiHandler({ config, clock, auth, entities, activations, namespaces, invoker, runner: runners, metrics, resolver, triggers, alarms, admission });

  const applyRetention = (): void => {
    activations.deleteOlderThan(clock.now() - config.activationRetentionDays * 24 * HOUR).catch((error: unknown) => console.error('activation retention:', error));
  };
  // Retention runs in the writer thread: once when it starts (with the first record written) and
  // every hour. A server that has recorded nothing yet holds no writer thread for it (its isolate
  // and connection are about 15 MB, measured when an idle server was 75 MB with it).
  activations.writer.onFirstStart = applyRetention;
  const retentionTimer = setInterval(applyRetention, HOUR);
  retentionTimer.unref();

  return {
    port: http.port,
    url,
    async close() {
      http.stopListening();
      clearInterval(retentionTimer);
      alarms.close();
      const drained = await invoker.drain(DRAIN_MS);
      if (!drained) console.error(`shutdown: activations still running after ${DRAIN_MS} ms are abandoned`);
      await runners.close();
      // Every queued record is committed before the database closes.
      await activations.close();
      http.close();
      db.close();
    },
  };
}
