/** Wiring only: builds the server's parts from a Config and starts listening. */
import { createApiHandler } from './api/router.ts';
import { Authenticator } from './auth.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { Invoker } from './invoker.ts';
import { createMetrics } from './metrics.ts';
import { IsolatePool } from './runners/isolate/pool.ts';
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
/** On shutdown, running activations get this long to finish and be recorded. */
const DRAIN_MS = 10_000;

export async function startServer(config: Config, clock: Clock = systemClock): Promise<EdgewhiskServer> {
  const db = openDatabase(config.dataDir);
  const namespaces = new NamespaceStore(db);
  namespaces.seedWellKnown(clock.now());
  const entities = new EntityStore(db);
  const activations = new ActivationStore(db);
  const runner = new IsolatePool({
    memoryBudgetMb: config.isolateMemoryBudgetMb,
    maxInstancesPerAction: config.maxIsolatesPerAction,
    fastSliceMs: config.fastSliceMs,
    now: () => clock.now(),
  });

  // The API host actions see is only known once the port is (port 0 picks one).
  let handler: Handler = () => ({ status: 503, body: '' });
  const http = await startHttpServer({
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    handler: (request) => handler(request),
    errorReply: (status) =>
      status === 413 ? errorReply(new ApiError('tooLarge'), newTransactionId()) : internalErrorReply(newTransactionId()),
  });
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${http.port}`;
  // Gauges read the invoker lazily, at scrape time.
  const metrics = createMetrics(() => runner.stats(), () => invoker.inFlightCount);
  const invoker = new Invoker({ runner, activations, clock, apiHost: config.apiHost ?? url, onActivation: (a) => metrics.observe(a) });
  const auth = new Authenticator(namespaces, config.allowWellKnownKeys);
  handler = createApiHandler({ config, clock, auth, entities, activations, namespaces, invoker, runner, metrics });

  const applyRetention = (): void => {
    activations.deleteOlderThan(clock.now() - config.activationRetentionDays * 24 * HOUR);
  };
  applyRetention();
  const retentionTimer = setInterval(applyRetention, HOUR);
  retentionTimer.unref();

  return {
    port: http.port,
    url,
    async close() {
      http.stopListening();
      clearInterval(retentionTimer);
      const drained = await invoker.drain(DRAIN_MS);
      if (!drained) console.error(`shutdown: activations still running after ${DRAIN_MS} ms are abandoned`);
      await runner.close();
      activations.flush();
      http.close();
      db.close();
    },
  };
}
