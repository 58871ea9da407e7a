/** The argument that makes the binary an isolate worker (see main.ts); never a real file. */
export const WORKER_ARG = '--edgewhisk-isolate-worker';
