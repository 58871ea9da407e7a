/**
 * node:http, for the Docker runner (the only part of the server that speaks HTTP through Node's
 * client), taken when first used. Loading it brings node:net, the HTTP client, server and agent:
 * about 3 MB of an idle server's memory, which a server that never talks to a container engine
 * does not need. It is taken with process.getBuiltinModule, not imported: an ES module import of
 * a built-in evaluates every export for its named bindings, and node:http's WebSocket, CloseEvent
 * and MessageEvent getters load Node's internal undici (about 13 MB and 40 ms of a start-up).
 */
import type { Agent, AgentOptions, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';

let loaded: typeof import('node:http') | undefined;
const nodeHttp = (): typeof import('node:http') => (loaded ??= process.getBuiltinModule('node:http'));

export function newAgent(options: AgentOptions): Agent {
  return new (nodeHttp().Agent)(options);
}

export function request(options: RequestOptions, onResponse?: (response: IncomingMessage) => void): ClientRequest {
  return nodeHttp().request(options, onResponse);
}
