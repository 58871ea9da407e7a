import { describe, expect, it } from 'vitest';
import { activationResponse, activationSummary, invokeHttpStatus, STATUS, type Activation, type StatusCode } from '../../src/openwhisk/activation.ts';

describe('activation statuses', () => {
  it.each([
    [0, 'success', true, 200],
    [1, 'application error', false, 502],
    [2, 'action developer error', false, 502],
    [3, 'whisk internal error', false, 500],
  ] as const)('statusCode %i is %j (success %s), a blocking invoke answers %i', (code, status, success, http) => {
    expect(STATUS[code]).toBe(status);
    expect(activationResponse(code as StatusCode, { r: 1 })).toEqual({ status, statusCode: code, success, result: { r: 1 } });
    expect(invokeHttpStatus(code as StatusCode)).toBe(http);
  });
});

describe('activation summaries', () => {
  const record: Activation = {
    activationId: 'a'.repeat(32),
    namespace: 'guest',
    name: 'act',
    version: '0.0.3',
    subject: 'guest',
    publish: false,
    start: 1000,
    end: 1500,
    duration: 500,
    response: activationResponse(1, { error: 'x' }),
    logs: ['2026-01-01T00:00:00.000Z stdout: hi'],
    annotations: [{ key: 'path', value: 'guest/act' }],
  };

  it('has the list fields and the status code, no response or logs', () => {
    expect(activationSummary(record)).toEqual({
      activationId: record.activationId,
      namespace: 'guest',
      name: 'act',
      version: '0.0.3',
      publish: false,
      annotations: record.annotations,
      start: 1000,
      end: 1500,
      duration: 500,
      statusCode: 1,
    });
  });

  it('carries cause when there is one', () => {
    expect(activationSummary({ ...record, cause: 'b'.repeat(32) }).cause).toBe('b'.repeat(32));
  });
});
