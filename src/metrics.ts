/**
 * Operator metrics in Prometheus text format (GET /metrics), fed by the invoker and the runner.
 *
 * Written out here rather than with prom-client: loading prom-client (and the OpenTelemetry API
 * it requires, and the node:http, zlib and perf_hooks it pulls in) was about half of a server's
 * start-up CPU and 4 MB of its memory, for a counter, a histogram and gauges read at scrape time.
 * The text is what prom-client wrote: # HELP and # TYPE lines, then the samples; a blank line
 * between metrics.
 */
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

/** The text exposition format, version 0.0.4. */
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Upper bounds (seconds) of the duration histogram's buckets; +Inf follows. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** One metric: its # HELP and # TYPE lines, then its samples (`name{labels} value` lines). */
function block(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: string[]): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n${samples.map((s) => `${s}\n`).join('')}`;
}

function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function createMetrics(runner: () => RunnerGauges, inFlight: () => number, counters: ServerCounters = {}): Metrics {
  // No event-loop monitor (prom-client's default metrics had one): it woke the process 100 times
  // a second, which was the whole of an idle server's CPU. Process figures are read at scrape time.
  const activations = new Map<string, number>();
  /** Activations per bucket (not cumulative), the last one +Inf. */
  const buckets = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  let durationMs = 0;
  let observed = 0;

  const gauges: [name: string, help: string, read: () => number][] = [
    ['edgewhisk_isolates', 'Warm isolates held.', () => runner().instances],
    ['edgewhisk_isolate_heap_bytes', 'Measured heap of all warm isolates.', () => Math.round(runner().heapMb * 1048576)],
    ['edgewhisk_cold_starts_total', 'Isolates created for an action since start.', () => runner().coldStarts],
    ['edgewhisk_isolate_evictions_total', 'Idle isolates evicted to keep the memory budget.', () => runner().evictions],
    ['edgewhisk_process_resident_memory_bytes', 'Resident memory of the server process.', () => process.memoryUsage.rss()],
    ['edgewhisk_process_heap_used_bytes', "The server's own V8 heap in use.", () => process.memoryUsage().heapUsed],
    ['edgewhisk_process_cpu_seconds_total', 'CPU time (user + system) the process used.', () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }],
    ['edgewhisk_invocations_in_flight', 'Activations started and not yet recorded (the queue depth).', inFlight],
  ];
  const { refused, workers } = counters;
  const workerGauges: [name: string, help: string, read: () => number][] = workers
    ? [
        ['edgewhisk_isolate_worker_processes', 'Processes running isolates.', () => workers().processes],
        ['edgewhisk_isolate_worker_crashes_total', 'Isolate worker processes that died unexpectedly (V8 out of memory, memory cap).', () => workers().crashes],
        ['edgewhisk_isolate_worker_restarts_total', 'Isolate worker processes started to replace another.', () => workers().restarts],
        ['edgewhisk_isolate_worker_recycled_total', 'Isolate worker processes retired (memory past the soft cap, a runaway thread).', () => workers().recycled],
        ['edgewhisk_isolate_worker_reruns_total', 'Calls run again in a process of their own after their worker crashed.', () => workers().reruns],
        ['edgewhisk_isolate_worker_resident_memory_bytes', 'Resident memory of all isolate worker processes.', () => workers().residentBytes],
      ]
    : [];

  const render = (): string => {
    const out = [
      block('edgewhisk_activations_total', 'counter', 'Finished activations by outcome.', [...activations].map(([status, n]) => `edgewhisk_activations_total{status="${labelValue(status)}"} ${n}`)),
      histogram(),
      ...gauges.map(([name, help, read]) => block(name, 'gauge', help, [`${name} ${read()}`])),
    ];
    if (refused) {
      const name = 'edgewhisk_admission_refused_total';
      const samples = Object.entries(refused()).map(([reason, n]) => `${name}{reason="${labelValue(reason)}"} ${n}`);
      out.push(block(name, 'gauge', 'Invocations and fires refused: rate and concurrency throttles (429), the in-flight bound (503).', samples));
    }
    out.push(...workerGauges.map(([name, help, read]) => block(name, 'gauge', help, [`${name} ${read()}`])));
    return out.join('\n');
  };

  const histogram = (): string => {
    const name = 'edgewhisk_activation_duration_seconds';
    const samples: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < buckets.length; i++) {
      cumulative += buckets[i]!;
      samples.push(`${name}_bucket{le="${i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i] : '+Inf'}"} ${cumulative}`);
    }
    samples.push(`${name}_sum ${durationMs / 1000}`, `${name}_count ${observed}`);
    return block(name, 'histogram', 'Activation duration (start to end), including any cold start.', samples);
  };

  return {
    observe(activation) {
      const { status } = activation.response;
      activations.set(status, (activations.get(status) ?? 0) + 1);
      const seconds = activation.duration / 1000;
      let bucket = 0;
      while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
      buckets[bucket]!++;
      durationMs += activation.duration;
      observed++;
    },
    render: () => Promise.resolve(render()),
    contentType: CONTENT_TYPE,
  };
}
