/**
 * The peer "workerd": runs the workerd binary given as argument on workerd.capnp at a free port and,
 * once it answers, prints `listening on <url>` as the other bench servers do. The workerd process
 * inherits this one's core pinning; SIGTERM stops it.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const binary = process.argv[2];
if (!binary) throw new Error('usage: workerd.ts <workerd binary>');

const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
const config = new URL('workerd.capnp', import.meta.url).pathname;
const child = spawn(binary, ['serve', config, '--socket-addr', `http=127.0.0.1:${port}`], { stdio: ['ignore', 'inherit', 'inherit'] });
child.once('exit', (code) => process.exit(code ?? 1));
process.on('SIGTERM', () => child.kill('SIGTERM'));

const url = `http://127.0.0.1:${port}`;
for (const started = performance.now(); ; await new Promise((resolve) => setTimeout(resolve, 10))) {
  try {
    if ((await fetch(`${url}/`)).ok) break;
  } catch {
    // not listening yet
  }
  if (performance.now() - started > 10_000) {
    child.kill('SIGKILL');
    throw new Error('workerd did not answer within 10 s');
  }
}
console.log(`listening on ${url}`);
