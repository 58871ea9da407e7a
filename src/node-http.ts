/**
 * node:http, for the modules that would `import … from 'node:http'`. An ES module import of a
 * built-in evaluates every export for its named bindings, and node:http's WebSocket, CloseEvent
 * and MessageEvent getters load Node's internal undici: about 13 MB of memory and 40 ms of every
 * server start-up, for classes nothing here uses. process.getBuiltinModule touches none of them.
 */
export const { Agent, request, STATUS_CODES } = process.getBuiltinModule('node:http');
