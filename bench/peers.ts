/**
 * Suite "peers": the same hello workload — a GET answered with {"hello":"world"} by the same user
 * function — on Cloudflare's workerd, on node:http running the code in node:vm, on edgewhisk's warm
 * `.json` web action and on the bare uWebSockets.js ceiling, with the same wrk settings, each server
 * pinned to core 0 and the load on core 1. A workerd that cannot run here is skipped, saying why.
 *
 * `npm run bench:peers`, or `node --no-node-snapshot bench/peers.ts`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ceiling } from './ceiling.ts';
import { header, loadServer, SECONDS, tableRows, type LoadResult, type TableRow } from './lib.ts';
import { webAction } from './web.ts';

export interface PeersResult {
  ceiling: LoadResult[];
  edgewhisk: LoadResult[];
  nodeVm: LoadResult[];
  /** Undefined when workerd cannot run here; `workerdSkipped` says why. */
  workerd: LoadResult[] | undefined;
  workerdVersion: string | undefined;
  workerdSkipped: string | undefined;
}

const PATH = '/hello.json?name=world';

/**
 * workerd's binary and version, from its Linux x64 package (a pinned devDependency: the `workerd`
 * wrapper package lists every platform's binary package, and a registry that serves only some of
 * them breaks `npm ci`), or why it cannot run here.
 */
function findWorkerd(): { binary: string; version: string } | { skipped: string } {
  let found: { binary: string; version: string };
  try {
    const manifest = createRequire(import.meta.url).resolve('@cloudflare/workerd-linux-64/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    found = { binary: join(dirname(manifest), 'bin', 'workerd'), version };
  } catch (error) {
    return { skipped: `no workerd binary for ${process.platform}-${process.arch} here (@cloudflare/workerd-linux-64): ${(error as Error).message.trim().replace(/\s+/g, ' ')}` };
  }
  const run = spawnSync(found.binary, ['--version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    return { skipped: `\`${found.binary} --version\` failed: ${(run.error?.message ?? `${run.stderr}${run.stdout}`).trim()}` };
  }
  return { binary: found.binary, version: `${found.version} (${run.stdout.trim()})` };
}

/** workerd's figures, or why it was skipped: missing or failing binary, or a server that never answered. */
async function measureWorkerd(): Promise<Pick<PeersResult, 'workerd' | 'workerdVersion' | 'workerdSkipped'>> {
  const found = findWorkerd();
  let skipped = 'skipped' in found ? found.skipped : undefined;
  if ('binary' in found) {
    try {
      return { workerd: await loadServer('bench/servers/workerd.ts', [found.binary], PATH), workerdVersion: found.version, workerdSkipped: undefined };
    } catch (error) {
      skipped = `it did not serve: ${(error as Error).message}`;
    }
  }
  console.warn(`peers: workerd skipped: ${skipped}`);
  return { workerd: undefined, workerdVersion: undefined, workerdSkipped: skipped };
}

/** `measured`: the ceiling and web action figures of the same run, when the caller has them already. */
export async function peers(measured?: { ceiling: LoadResult[]; web: LoadResult[] }): Promise<PeersResult> {
  const base = measured?.ceiling ?? (await ceiling());
  const workerd = await measureWorkerd();
  const nodeVm = await loadServer('bench/servers/node-vm.ts', [], PATH);
  return { ceiling: base, ...workerd, nodeVm, edgewhisk: measured?.web ?? (await webAction()) };
}

/** The rows of the outside peers; a full run has the ceiling's and the web action's rows already. */
export function peerRows(result: PeersResult): TableRow[] {
  return [
    ...(result.workerd ? tableRows(`peer: workerd ${result.workerdVersion}`, result.workerd, result.ceiling) : []),
    ...tableRows(`peer: node:http + node:vm (Node ${process.version})`, result.nodeVm, result.ceiling),
  ];
}

if (import.meta.main) {
  header('edgewhisk peers', 'npm run bench:peers');
  const result = await peers();
  console.table([
    ...tableRows('bare uWS hello (ceiling)', result.ceiling, result.ceiling),
    ...peerRows(result),
    ...tableRows('edgewhisk warm .json web action', result.edgewhisk, result.ceiling),
  ]);
  if (result.workerdSkipped) console.log(`workerd: skipped, ${result.workerdSkipped}`);
  console.log(`(${SECONDS}s per run; ratio = requests/s over the ceiling's at the same connections)`);
}
