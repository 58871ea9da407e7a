/** The Prometheus text src/metrics.ts writes: the exposition format, cumulative buckets, labels. */
import { describe, expect, it } from 'vitest';
import type { Activation } from '../../src/openwhisk/activation.ts';
import { createMetrics } from '../../src/metrics.ts';

function finished(status: Activation['response']['status'], durationMs: number): Activation {
  return { response: { status }, duration: durationMs } as Activation;
}

describe('metrics', () => {
  const runner = () => ({ instances: 3, heapMb: 1.5, coldStarts: 4, evictions: 1 });

  it('counts outcomes and durations; buckets are cumulative with +Inf last, the sum in seconds', async () => {
    const metrics = createMetrics(runner, () => 2);
    for (const [status, ms] of [['success', 0], ['success', 7], ['application error', 100], ['success', 400_000]] as const) metrics.observe(finished(status, ms));
    const text = await metrics.render();
    expect(text).toContain(
      '# HELP edgewhisk_activations_total Finished activations by outcome.\n' +
        '# TYPE edgewhisk_activations_total counter\n' +
        'edgewhisk_activations_total{status="success"} 3\n' +
        'edgewhisk_activations_total{status="application error"} 1\n' +
        '\n# HELP edgewhisk_activation_duration_seconds Activation duration (start to end), including any cold start.\n' +
        '# TYPE edgewhisk_activation_duration_seconds histogram\n' +
        'edgewhisk_activation_duration_seconds_bucket{le="0.0005"} 1\n',
    );
    const bucket = (le: string): number => Number(new RegExp(`^edgewhisk_activation_duration_seconds_bucket\\{le="${le.replace('+', '\\+')}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect([bucket('0.005'), bucket('0.01'), bucket('0.1'), bucket('300'), bucket('+Inf')]).toEqual([1, 2, 3, 3, 4]);
    expect(text).toMatch(/^edgewhisk_activation_duration_seconds_sum 400\.107$/m);
    expect(text).toMatch(/^edgewhisk_activation_duration_seconds_count 4$/m);
    expect(text).toMatch(/^edgewhisk_isolate_heap_bytes 1572864$/m);
    expect(text).toMatch(/^edgewhisk_invocations_in_flight 2$/m);
    expect(text.endsWith('\n')).toBe(true);
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('a labelled metric with no samples yet shows only its HELP and TYPE; worker and refusal figures when given', async () => {
    const workers = () => ({ crashes: 1, restarts: 2, recycled: 0, reruns: 0, processes: 2, residentBytes: 1024 });
    const text = await createMetrics(runner, () => 0, { refused: () => ({ rate: 5, overload: 0 }), workers }).render();
    expect(text).toContain('# TYPE edgewhisk_activations_total counter\n\n# HELP edgewhisk_activation_duration_seconds');
    expect(text).toMatch(/^edgewhisk_activation_duration_seconds_bucket\{le="\+Inf"\} 0$/m);
    expect(text).toContain('# TYPE edgewhisk_admission_refused_total gauge\nedgewhisk_admission_refused_total{reason="rate"} 5\nedgewhisk_admission_refused_total{reason="overload"} 0\n');
    expect(text).toMatch(/^edgewhisk_isolate_worker_processes 2$/m);
    expect(text).toMatch(/^edgewhisk_isolate_worker_restarts_total 2$/m);
  });
});
