/**
 * The peer "node:vm": node:http whose handler runs the hello action's user code in node:vm — the
 * code defined once in one context, and a vm.Script compiled once that calls it, run per request.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import vm from 'node:vm';
import { HELLO } from '../hello.ts';

const context = vm.createContext({ params: {} });
new vm.Script(HELLO).runInContext(context);
const call = new vm.Script('JSON.stringify(main(params))');

const server = createServer((req, res) => {
  context.params = { name: new URL(req.url ?? '/', 'http://localhost').searchParams.get('name') };
  const body = call.runInContext(context) as string;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
