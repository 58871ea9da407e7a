/** Operator metrics in Prometheus text format (GET /metrics), fed by the invoker and the runner. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Activation } from './openwhisk/activation.ts';

export interface RunnerGauges {
  instances: number;
  heapMb: number;
  coldStarts: number;
  evictions: number;
}

export interface Metrics {
  /** Called once per finished activation. */
  observe(activation: Activation): void;
  render(): Promise<string>;
  readonly contentType: string;
}

/** Extra counters read at scrape time: admission refusals by reason, isolate worker processes. */
export interface ServerCounters {
  refused?: () => Readonly<Record<string, number>>;
  workers?: () => Readonly<{ crashes: number; restarts: number; recycled: number; reruns: number; processes: number; residentBytes: number }>;
}

export function createMetrics(runner: () => RunnerGauges, inFlight: () => number, counters: ServerCounters = {}): Metrics {
  // No collectDefaultMetrics: its event-loop monitor wakes the process 100 times a second, which
  // was the whole of an idle server's CPU. Process figures are read at scrape time instead.
  const registry = new Registry();
  const activations = new Counter({
    name: 'edgewhisk_activations_total',
    help: 'Finished activations by outcome.',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'edgewhisk_activation_duration_seconds',
    help: 'Activation duration (start to end), including any cold start.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('edgewhisk_isolates', 'Warm isolates held.', () => runner().instances);
  gauge('edgewhisk_isolate_heap_bytes', 'Measured heap of all warm isolates.', () => Math.round(runner().heapMb * 1048576));
  gauge('edgewhisk_cold_starts_total', 'Isolates created for an action since start.', () => runner().coldStarts);
  gauge('edgewhisk_isolate_evictions_total', 'Idle isolates evicted to keep the memory budget.', () => runner().evictions);
  gauge('edgewhisk_process_resident_memory_bytes', 'Resident memory of the server process.', () => process.memoryUsage.rss());
  gauge('edgewhisk_process_heap_used_bytes', "The server's own V8 heap in use.", () => process.memoryUsage().heapUsed);
  gauge('edgewhisk_process_cpu_seconds_total', 'CPU time (user + system) the process used.', () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  gauge('edgewhisk_invocations_in_flight', 'Activations started and not yet recorded (the queue depth).', inFlight);
  const { refused, workers } = counters;
  if (refused) {
    new Gauge({
      name: 'edgewhisk_admission_refused_total',
      help: 'Invocations and fires refused: rate and concurrency throttles (429), the in-flight bound (503).',
      labelNames: ['reason'] as const,
      registers: [registry],
      collect() {
        for (const [reason, count] of Object.entries(refused())) this.set({ reason }, count);
      },
    });
  }
  if (workers) {
    gauge('edgewhisk_isolate_worker_processes', 'Processes running isolates.', () => workers().processes);
    gauge('edgewhisk_isolate_worker_crashes_total', 'Isolate worker processes that died unexpectedly (V8 out of memory, memory cap).', () => workers().crashes);
    gauge('edgewhisk_isolate_worker_restarts_total', 'Isolate worker processes started to replace another.', () => workers().restarts);
    gauge('edgewhisk_isolate_worker_recycled_total', 'Isolate worker processes retired (memory past the soft cap, a runaway thread).', () => workers().recycled);
    gauge('edgewhisk_isolate_worker_reruns_total', 'Calls run again in a process of their own after their worker crashed.', () => workers().reruns);
    gauge('edgewhisk_isolate_worker_resident_memory_bytes', 'Resident memory of all isolate worker processes.', () => workers().residentBytes);
  }

  return {
    observe(activation) {
      activations.inc({ status: activation.response.status });
      duration.observe(activation.duration / 1000);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
