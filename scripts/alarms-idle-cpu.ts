/**
 * Idle cost of schedules: starts a server, registers 10,000 alarm feeds through the REST API (each
 * on its own trigger, none due during the measurement), then measures the process's CPU over 10 s
 * of idleness. Run: node --no-node-snapshot scripts/alarms-idle-cpu.ts [schedules] [seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/main.ts';
import { WELL_KNOWN_KEYS } from '../src/store/namespaces.ts';

const count = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 10);
const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-idle-'));
const server = await startServer(loadConfig({ port: '0', 'data-dir': dataDir }, {}));
const auth = `Basic ${Buffer.from(WELL_KNOWN_KEYS.guest).toString('base64')}`;
const call = async (method: string, path: string, body: unknown): Promise<void> => {
  const response = await fetch(`${server.url}/api/v1/namespaces/${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
};

try {
  const started = performance.now();
  // Every minute, but only from tomorrow on (one second apart): nothing fires while we measure.
  const tomorrow = Date.now() + 24 * 3600 * 1000;
  const register = async (i: number): Promise<void> => {
    await call('PUT', `_/triggers/t${i}`, {});
    await call('POST', 'whisk.system/actions/alarms/alarm?blocking=true', {
      lifecycleEvent: 'CREATE',
      triggerName: `/_/t${i}`,
      cron: '* * * * *',
      startDate: tomorrow + i * 1000,
    });
  };
  let cursor = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    for (let i = cursor++; i < count; i = cursor++) await register(i);
  }));
  const setupMs = performance.now() - started;
  // Let the setup's stragglers (record commits, GC) settle before measuring.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - wall;
  const ms = (used.user + used.system) / 1000;
  console.log(`${count} schedules registered in ${(setupMs / 1000).toFixed(1)} s`);
  console.log(`idle ${(elapsed / 1000).toFixed(1)} s: ${ms.toFixed(1)} ms CPU (user ${(used.user / 1000).toFixed(1)} ms, system ${(used.system / 1000).toFixed(1)} ms) = ${((100 * ms) / elapsed).toFixed(3)} % of one core`);
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
