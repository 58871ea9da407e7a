/**
 * `npm run bench`: every suite in one run, each figure also as a ratio to the bare uWebSockets.js
 * ceiling measured at the start of the same run (and again after the load suites, its drift then
 * shown as its ratio to the first). Prints a table and writes bench/results/<timestamp>.json.
 * BENCH_PEERS=0 leaves out the peers (workerd, node:vm); `npm run bench:peers` runs them alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ceiling } from './ceiling.ts';
import { beside } from './beside.ts';
import { coldStart } from './cold.ts';
import { blockingInvoke } from './invoke.ts';
import { nonBlockingInvoke } from './nonblocking.ts';
import { sequenceAndFanOut } from './sequence.ts';
import { webAction } from './web.ts';
import { multiCore } from './multicore.ts';
import { peerRows, peers } from './peers.ts';
import { density, densitySummary } from './density.ts';
import { processFigures } from './process.ts';
import { dockerInvoke } from './docker.ts';
import { costLines, costs } from './costs.ts';
import { floor, floorColdStart, floorLines } from './floor.ts';
import { workerHop, workerHopLines } from './worker.ts';
import { header, ROOT, tableRows, type LoadResult, type TableRow } from './lib.ts';

const started = new Date();
const info = header('edgewhisk bench', 'npm run bench');

const base = await ceiling();
const web = await webAction();
// Right after the ceiling and the web action they are compared with, whose figures they reuse.
const peer = process.env.BENCH_PEERS === '0' ? undefined : await peers({ ceiling: base, web });
const multi = await multiCore(web);
const ceiling64 = base.find((b) => b.connections === 64)?.requestsPerSec;
const cost = await costs(ceiling64);
const floorRuns = await floor();
const hop = workerHop();
const invoke = await blockingInvoke();
const nonBlocking = await nonBlockingInvoke();
const sequence = await sequenceAndFanOut();
// The VM's speed drifts over a run (identical runs ±30%): measured again after the load suites,
// the ceiling shows how far the ratios of the later ones may be off.
const baseAfter = await ceiling();
const cold = await coldStart();
const coldFloor = await floorColdStart();
const besideCold = await beside();
const dense = await density();
const proc = await processFigures();
const docker = await dockerInvoke();

const rows: TableRow[] = [];
const add = (figure: string, results: LoadResult[]): void => void rows.push(...tableRows(figure, results, base));
/** A row of latencies measured one request at a time (no load generator). */
const latencyRow = (figure: string, r: { p50Ms: number; p99Ms: number; maxMs: number }): void =>
  void rows.push({ figure, connections: 1, reqPerSec: '', p50: r.p50Ms.toFixed(2), p99: r.p99Ms.toFixed(2), max: r.maxMs.toFixed(2), ratio: '' });

add('bare uWS hello (ceiling)', base);
add('warm .json web action GET', web);
if (peer) rows.push(...peerRows(peer));
add('warm .json web action GET, server on cores 0,1 (load shares core 1)', multi.bothCores);
add('warm blocking invoke, record persisted', invoke);
add('non-blocking invoke (202 accepted)', [nonBlocking.accepted]);
for (const run of floorRuns) add(`floor, the parts alone: ${run.configuration}`, [run.load]);
add('blocking invoke of a 3-action sequence', sequence.sequence);
add('bare uWS hello (ceiling), again after the load suites', baseAfter);
latencyRow(`trigger fan-out: fire to all ${sequence.fanOut.rules} rule records readable (${sequence.fanOut.fires} fires)`, sequence.fanOut);
latencyRow(`cold start: first invoke of ${cold.actions} new actions, each right after its deploy (${cold.client} client, HTTP floor p50 ${cold.httpFloorP50Ms.toFixed(2)} ms; deploy PUT p50 ${cold.deployP50Ms.toFixed(2)} ms, p99 ${cold.deployP99Ms.toFixed(2)} ms, with its invoke p50 ${cold.deployAndInvokeP50Ms.toFixed(2)} ms; initTime p50 ${cold.initTimeP50Ms} ms; ${cold.serverCpuMsPerAction.toFixed(1)} ms CPU per action; the server's first invoke, which starts its worker process, ${cold.firstInvokeMs.toFixed(0)} ms)`, cold);
latencyRow(`cold start: first invoke of ${cold.actions} actions all deployed before, one after the other (no deploy just before)`, cold.deployedEarlier);
for (const run of besideCold) add(`warm .json web action GET beside a deploy and cold start every 20 ms (${run.coldStarts} of them), server on core${run.serverCores.includes(',') ? 's' : ''} ${run.serverCores}`, [run.warm]);
latencyRow(`floor, the parts alone: cold start, the same loop (isolates in a child process, no isolate made ahead; ${coldFloor.cpuMsPerAction.toFixed(1)} ms CPU per action)`, coldFloor);
add(`density: random mix over ${dense.actions} actions (budget ${dense.memoryBudgetMb} MB)`, [dense.mix]);
console.table(rows);
if (peer?.workerdSkipped) console.log(`peers: workerd skipped, ${peer.workerdSkipped}`);
console.log(`multi-core: both cores / one core = ${multi.ratios.map((r) => `${r.ratio.toFixed(2)}× at ${r.connections} conn`).join(', ')} (${multi.note})`);
console.log(
  `multi-core bounds: two servers, one per core, nothing shared = ${multi.partitioned.ratio.toFixed(2)}× one core at 64 conn; ` +
    `a process round trip costs ${multi.wakeup.sameCoreUs.toFixed(0)} µs on one core, ${multi.wakeup.crossCoreUs.toFixed(0)} µs across cores`,
);
console.log('costs of a warm request at 64 connections (CPU µs per request, by thread group):');
for (const line of costLines(cost)) console.log(`  ${line}`);
console.log('floor: the same loads against a server of the required parts alone (bench/servers/floor.ts):');
for (const line of floorLines(floorRuns, ceiling64, cost)) console.log(`  ${line}`);
console.log(`isolate worker alone, driven as the server drives it, against the floor's child (${hop.note}):`);
for (const line of workerHopLines(hop)) console.log(`  ${line}`);
console.log(
  `non-blocking: ${nonBlocking.acceptedCount} accepted; ${nonBlocking.readableAtLoadEnd} records readable when the load ended, ` +
    `all ${nonBlocking.records} ${nonBlocking.drainMs.toFixed(0)} ms after it: ${nonBlocking.recordsPerSec.toFixed(0)} records/s from the start of the load`,
);
console.log(
  `density: ${densitySummary(dense)}`,
);
console.log(
  docker
    ? `docker (python): cold ${docker.coldMs.toFixed(0)} ms with a pre-started container, warm p50 ${docker.warmP50Ms.toFixed(2)} ms, p99 ${docker.warmP99Ms.toFixed(2)} ms`
    : 'docker (python): skipped, no container engine answers',
);
console.log(
  `process: spawn to first served request p50 ${proc.spawnToFirstRequestP50Ms.toFixed(0)} ms (max ${proc.spawnToFirstRequestMaxMs.toFixed(0)} ms), ` +
    `idle RSS ${proc.idleRssMb.toFixed(1)} MB (10^6 bytes); after a first invoke: server ${proc.afterFirstInvoke.serverMb.toFixed(1)} + worker ${proc.afterFirstInvoke.workerMb.toFixed(1)} + spare ${proc.afterFirstInvoke.spareMb.toFixed(1)} = ${proc.afterFirstInvoke.totalMb.toFixed(1)} MB`,
);

const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${started.toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}.json`);
const results = {
  started: started.toISOString(),
  seconds: (Date.now() - started.getTime()) / 1000,
  machine: info,
  // Every *Mb figure (density, process); the server's own --memory-budget counts MiB.
  memoryUnit: 'MB = 10^6 bytes',
  ceiling: base,
  ceilingAfterLoadSuites: baseAfter,
  webAction: web,
  peers: peer ? { workerd: peer.workerd ?? null, workerdVersion: peer.workerdVersion ?? null, workerdSkipped: peer.workerdSkipped ?? null, nodeVm: peer.nodeVm } : null,
  costs: cost,
  floor: floorRuns,
  workerHop: hop,
  multiCore: { bothCores: multi.bothCores, ratios: multi.ratios, partitioned: multi.partitioned, wakeup: multi.wakeup, note: multi.note },
  blockingInvoke: invoke,
  nonBlockingInvoke: nonBlocking,
  sequence: sequence.sequence,
  fanOut: sequence.fanOut,
  coldStart: cold,
  coldStartFloor: coldFloor,
  besideColdStarts: besideCold,
  density: dense,
  process: proc,
  docker: docker ?? null,
  table: rows,
};
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`written ${file} (whole run ${results.seconds.toFixed(0)} s)`);
