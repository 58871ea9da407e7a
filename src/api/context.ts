/** What every API handler receives: the parsed request and the server's parts. */
import type { Authenticator, Identity } from '../auth.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Invoker } from '../invoker.ts';
import type { Admission } from '../limits/throttle.ts';
import type { Metrics } from '../metrics.ts';
import type { Resolver } from '../resolver.ts';
import type { Alarms } from '../triggers/alarms.ts';
import type { Triggers } from '../triggers/triggers.ts';
import type { Runner } from '../runners/runner.ts';
import type { HttpRequest } from '../server/http.ts';
import type { ActivationStore } from '../store/activations.ts';
import type { EntityStore } from '../store/entities.ts';
import type { NamespaceStore } from '../store/namespaces.ts';

export interface Deps {
  config: Config;
  clock: Clock;
  auth: Authenticator;
  entities: EntityStore;
  activations: ActivationStore;
  namespaces: NamespaceStore;
  invoker: Invoker;
  runner: Runner;
  metrics: Metrics;
  resolver: Resolver;
  triggers: Triggers;
  alarms: Alarms;
  /** Throttles: trigger fires are admitted by the API, activations by the invoker. */
  admission: Admission;
}

export interface ApiRequest {
  http: HttpRequest;
  method: string;
  /** Decoded path segments after /api/v1. */
  segments: string[];
  query: URLSearchParams;
  transactionId: string;
  received: number;
}

export interface AuthedRequest extends ApiRequest {
  identity: Identity;
  /** The namespace named in the path, with `_` resolved to the caller's. */
  namespace: string;
}
