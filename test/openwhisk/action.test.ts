import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { actionSummary, actionView, createAction, updateAction, type ActionDoc } from '../../src/openwhisk/action.ts';

const REF = { namespace: 'guest', pkg: undefined, name: 'act' };
const CODE = 'function main() {}';

function created(body: Record<string, unknown> = {}): ActionDoc {
  return createAction(REF, { exec: { kind: 'nodejs:default', code: CODE }, ...body }, 1000);
}

describe('createAction', () => {
  it('fills OpenWhisk’s defaults and system annotations', () => {
    expect(created()).toEqual({
      ...REF,
      version: '0.0.1',
      publish: false,
      exec: { kind: 'nodejs:24', code: CODE, binary: false },
      parameters: [],
      limits: { timeout: 60000, memory: 256, logs: 10, concurrency: 1 },
      annotations: [
        { key: 'exec', value: 'nodejs:24' },
        { key: 'provide-api-key', value: false },
      ],
      updated: 1000,
    });
  });

  it('keeps user annotations first and overrides a user exec annotation', () => {
    const doc = created({ annotations: [{ key: 'exec', value: 'fake' }, { key: 'web-export', value: true }] });
    expect(doc.annotations).toEqual([
      { key: 'exec', value: 'nodejs:24' },
      { key: 'web-export', value: true },
      { key: 'provide-api-key', value: false },
    ]);
  });

  it('keeps a given provide-api-key', () => {
    expect(created({ annotations: [{ key: 'provide-api-key', value: true }] }).annotations).toContainEqual({ key: 'provide-api-key', value: true });
  });

  it('ignores a client-sent version', () => {
    expect(created({ version: '9.9.9' }).version).toBe('0.0.1');
  });

  it.each([
    ['no exec', {}],
    ['a body that is an array', []],
    ['a null body', null],
  ])('%s → 400', (_label, body) => {
    expect(() => createAction(REF, body, 1)).toThrow(ApiError);
  });
});

describe('updateAction', () => {
  const old = created({ parameters: [{ key: 'p', value: 1 }], annotations: [{ key: 'note', value: 'n' }], limits: { timeout: 5000 } });

  it('an empty update keeps everything but bumps the version and the time', () => {
    const doc = updateAction(old, {}, 2000);
    expect(doc).toEqual({ ...old, version: '0.0.2', updated: 2000 });
  });

  it('replaces only the given fields', () => {
    const doc = updateAction(old, { exec: { kind: 'nodejs:20', code: 'x' }, limits: { memory: 128 } }, 2000);
    expect(doc.exec).toEqual({ kind: 'nodejs:20', code: 'x', binary: false });
    expect(doc.parameters).toEqual(old.parameters);
    expect(doc.limits).toEqual({ timeout: 5000, memory: 128, logs: 10, concurrency: 1 });
    expect(doc.annotations).toContainEqual({ key: 'exec', value: 'nodejs:20' });
    expect(doc.annotations).toContainEqual({ key: 'note', value: 'n' });
  });

  it('given annotations replace the old ones; provide-api-key is not re-added', () => {
    const doc = updateAction(old, { annotations: [{ key: 'fresh', value: 1 }] }, 2000);
    expect(doc.annotations).toEqual([
      { key: 'fresh', value: 1 },
      { key: 'exec', value: 'nodejs:24' },
    ]);
  });

  it('delAnnotations removes keys', () => {
    const doc = updateAction(old, { delAnnotations: ['note', 'missing'] }, 2000);
    expect(doc.annotations.map((a) => a.key)).toEqual(['exec', 'provide-api-key']);
  });

  it.each([
    ['delAnnotations not an array', { delAnnotations: 'note' }],
    ['delAnnotations with a number', { delAnnotations: [1] }],
    ['a bad limit', { limits: { timeout: 1 } }],
    ['a bad kind', { exec: { kind: 'x', code: 'y' } }],
  ])('%s → 400', (_label, body) => {
    expect(() => updateAction(old, body, 2000)).toThrow(ApiError);
  });
});

describe('views', () => {
  const doc = created({ parameters: [{ key: 'p', value: 1 }] });

  it('actionView shows the entity, with or without code', () => {
    const view = actionView(doc);
    expect(view).toMatchObject({ namespace: 'guest', name: 'act', version: '0.0.1', exec: { kind: 'nodejs:24', code: CODE, binary: false }, parameters: doc.parameters });
    expect(view).not.toHaveProperty('pkg');
    expect(actionView(doc, false).exec).toEqual({ kind: 'nodejs:24', binary: false });
  });

  it('actionView shows packaged actions under ns/pkg', () => {
    expect(actionView({ ...doc, pkg: 'tools' }).namespace).toBe('guest/tools');
  });

  it('actionSummary leaves out code and parameters', () => {
    const summary = actionSummary(doc);
    expect(summary).toEqual({
      namespace: 'guest',
      name: 'act',
      version: '0.0.1',
      publish: false,
      annotations: doc.annotations,
      limits: doc.limits,
      exec: { binary: false },
      updated: 1000,
    });
  });
});
