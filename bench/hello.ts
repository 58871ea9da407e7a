/**
 * The hello action the suites deploy and the peers and the floor run. A module of its own: the
 * server scripts in bench/servers need it, and must not import lib.ts, which pins the process that
 * imports it to the load core.
 */
export const HELLO = 'function main(params) { return { hello: params.name || "world" } }';
