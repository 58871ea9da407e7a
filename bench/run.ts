/**
 * `npm run bench`: every suite in one run, each figure also as a ratio to the bare uWebSockets.js
 * ceiling measured in the same run. Prints a table and writes bench/results/<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ceiling } from './ceiling.ts';
import { coldStart } from './cold.ts';
import { blockingInvoke } from './invoke.ts';
import { webAction } from './web.ts';
import { density } from './density.ts';
import { processFigures } from './process.ts';
import { dockerInvoke } from './docker.ts';
import { machine, ROOT, type LoadResult } from './lib.ts';

const started = new Date();
const info = machine();
console.log(`edgewhisk bench — ${started.toISOString()}`);
console.log(`command: npm run bench (${process.argv.slice(1).join(' ')})`);
console.log('machine:', JSON.stringify(info));

const base = await ceiling();
const web = await webAction();
const invoke = await blockingInvoke();
const cold = await coldStart();
const dense = await density();
const proc = await processFigures();
const docker = await dockerInvoke();

const rows: { figure: string; connections: number | string; reqPerSec: string; p50: string; p99: string; max: string; ratio: string }[] = [];
const add = (figure: string, results: LoadResult[]): void => {
  for (const r of results) {
    const baseline = base.find((b) => b.connections === r.connections);
    const broken = r.errors + r.non2xx > 0 ? ` (${r.errors} errors, ${r.non2xx} non-2xx)` : '';
    rows.push({
      figure: figure + broken,
      connections: r.connections,
      reqPerSec: r.requestsPerSec.toFixed(0),
      p50: r.p50Ms.toFixed(2),
      p99: r.p99Ms.toFixed(2),
      max: r.maxMs.toFixed(2),
      ratio: baseline ? `${((100 * r.requestsPerSec) / baseline.requestsPerSec).toFixed(1)}%` : '',
    });
  }
};
add('bare uWS hello (ceiling)', base);
add('warm .json web action GET', web);
add('warm blocking invoke, record persisted', invoke);
rows.push({
  figure: `cold start: first invoke of ${cold.actions} new actions (initTime p50 ${cold.initTimeP50Ms} ms)`,
  connections: 1,
  reqPerSec: '',
  p50: cold.p50Ms.toFixed(2),
  p99: cold.p99Ms.toFixed(2),
  max: cold.maxMs.toFixed(2),
  ratio: '',
});
add(`density: random mix over ${dense.actions} actions (budget ${dense.memoryBudgetMb} MB)`, [dense.mix]);
console.table(rows);
console.log(
  `density: ${dense.firstRoundFailures} failures in the first round; RSS ${dense.rssAfterFirstRoundMb.toFixed(0)} MB after it, ` +
    `peak ${dense.peakRssMb.toFixed(0)} MB; ${dense.coldStarts} cold starts, ${dense.evictions} evictions`,
);
console.log(
  docker
    ? `docker (python): cold ${docker.coldMs.toFixed(0)} ms with a pre-started container, warm p50 ${docker.warmP50Ms.toFixed(2)} ms, p99 ${docker.warmP99Ms.toFixed(2)} ms`
    : 'docker (python): skipped, no container engine answers',
);
console.log(
  `process: spawn to first served request p50 ${proc.spawnToFirstRequestP50Ms.toFixed(0)} ms (max ${proc.spawnToFirstRequestMaxMs.toFixed(0)} ms), ` +
    `idle RSS ${proc.idleRssMb.toFixed(0)} MB`,
);

const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${started.toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}.json`);
writeFileSync(file, `${JSON.stringify({ started: started.toISOString(), machine: info, ceiling: base, webAction: web, blockingInvoke: invoke, coldStart: cold, density: dense, process: proc, docker: docker ?? null, table: rows }, null, 2)}\n`);
console.log(`written ${file}`);
