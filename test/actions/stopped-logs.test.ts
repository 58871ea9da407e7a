/**
 * What an activation logged before it was stopped at its limits (its deadline, its memory) is in
 * its record, as upstream OpenWhisk keeps a container's output up to the kill: end to end through
 * the API, with isolates in worker processes (the default) and in the server's own process
 * (--isolate-workers 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientError, kv, LOG_LINE, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TIMEOUT = 300;

describe.each([
  ['in worker processes', {}],
  ['in process (--isolate-workers 0)', { 'isolate-workers': '0' }],
])('an activation stopped at its limits keeps what it logged, isolates %s', (_where, flags: Record<string, string>) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(flags);
  });
  afterAll(async () => t.close());

  /** Creates the action, invokes it blocking (502: developer error) and returns the record as answered and as stored. */
  async function stopped(name: string, code: string, limits: Json = { timeout: TIMEOUT }): Promise<{ answered: Json; stored: Json }> {
    await t.ow.actions.create({ name, action: code, limits });
    const failure = await clientError(t.ow.actions.invoke({ name, blocking: true }));
    expect(failure.statusCode).toBe(502);
    const answered = failure.error as Json;
    const stored = (await t.ow.activations.get({ name: answered.activationId })) as unknown as Json;
    return { answered, stored };
  }

  function expectStopped(record: Json, message: string, lines: string[]): void {
    expect(record.response).toEqual({ status: 'action developer error', statusCode: 2, success: false, result: { error: message } });
    for (const line of record.logs as string[]) expect(line).toMatch(LOG_LINE);
    expect((record.logs as string[]).map((line) => line.slice(line.indexOf(' ') + 1))).toEqual(lines);
  }

  function expectTimedOut(record: Json, message: string, lines: string[]): void {
    expectStopped(record, message, lines);
    expect(kv(record.annotations, 'timeout')).toBe(true);
    expect(record.duration).toBeGreaterThanOrEqual(TIMEOUT - 20);
  }

  it('an action that logs, then loops forever', async () => {
    const { answered, stored } = await stopped('loops', 'function main() { console.log("starting"); console.error("about to loop"); for (;;) {} }');
    for (const record of [answered, stored]) {
      expectTimedOut(record, `The action exceeded its time limits of ${TIMEOUT} milliseconds.`, ['stdout: starting', 'stderr: about to loop']);
    }
  });

  it('an async action that logs, then never resolves', async () => {
    const code = 'async function main() { console.log("waiting"); await new Promise((resolve) => setTimeout(resolve, 10)); console.log("still waiting"); await new Promise(() => {}) }';
    const { answered, stored } = await stopped('never', code);
    for (const record of [answered, stored]) {
      expectTimedOut(record, `The action exceeded its time limits of ${TIMEOUT} milliseconds.`, ['stdout: waiting', 'stdout: still waiting']);
    }
  });

  it('an action whose module code logs, then loops while loading', async () => {
    const { answered, stored } = await stopped('stuck-loading', 'console.log("loading"); for (;;) {}\nfunction main() { return {} }');
    for (const record of [answered, stored]) {
      expectTimedOut(record, `The action exceeded its time limits of ${TIMEOUT} milliseconds during initialization.`, ['stdout: loading']);
    }
  });

  it('an action that logs, then runs out of memory', async () => {
    const code = 'function main() { console.log("allocating"); const hoard = []; for (;;) hoard.push(new Array(1e5).fill(hoard.length)) }';
    const { answered, stored } = await stopped('hoards', code, { memory: 128 });
    for (const record of [answered, stored]) {
      expectStopped(record, 'The action exhausted its memory and was aborted.', ['stdout: allocating']);
      expect(kv(record.annotations, 'timeout')).toBe(false);
    }
  });

  it('the action runs again afterwards, with only its own logs', async () => {
    await t.ow.actions.create({ name: 'sometimes', action: 'function main(p) { console.log("call", p.n); if (p.loop) for (;;) {} return { n: p.n } }', limits: { timeout: TIMEOUT } });
    const failure = await clientError(t.ow.actions.invoke({ name: 'sometimes', params: { n: 1, loop: true }, blocking: true }));
    expectTimedOut(failure.error as Json, `The action exceeded its time limits of ${TIMEOUT} milliseconds.`, ['stdout: call 1']);
    const record = (await t.ow.actions.invoke({ name: 'sometimes', params: { n: 2 }, blocking: true })) as unknown as Json;
    expect(record.response.result).toEqual({ n: 2 });
    expect((record.logs as string[]).map((line) => line.slice(line.indexOf(' ') + 1))).toEqual(['stdout: call 2']);
  });
});
