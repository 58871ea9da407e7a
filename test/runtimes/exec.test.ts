/** Container kinds at create time: python:3 (python, python:default) and blackbox (exec.image). */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { BLACKBOX_KIND, containerKinds, imageForKind, parseExec, resolveKind, runtimeManifest } from '../../src/openwhisk/exec.ts';
import { containerImage } from '../../src/runners/docker/pool.ts';
import { DEFAULT_LIMITS } from '../../src/openwhisk/limits.ts';

describe('python and blackbox kinds', () => {
  it.each([
    ['python:3', 'python:3'],
    ['python:default', 'python:3'],
    ['python', 'python:3'],
    ['blackbox', 'blackbox'],
  ])('%s resolves to %s', (kind, resolved) => {
    expect(resolveKind(kind)).toBe(resolved);
  });

  it.each(['python:2', 'python:3.7', 'PYTHON:3', 'blackbox:default', 'docker'])('%j is refused', (kind) => {
    expect(() => resolveKind(kind)).toThrow(ApiError);
  });

  it('python code, plain or zipped, as for Node.js', () => {
    expect(parseExec({ kind: 'python:default', code: 'def main(a):\n    return a\n' })).toEqual({ kind: 'python:3', code: 'def main(a):\n    return a\n', binary: false });
    expect(parseExec({ kind: 'python:3', code: 'UEsDBA==', main: 'handler' })).toEqual({ kind: 'python:3', code: 'UEsDBA==', binary: true, main: 'handler' });
    expect(() => parseExec({ kind: 'python:3' })).toThrow(ApiError);
  });

  it('blackbox needs an image; its code is optional', () => {
    expect(parseExec({ kind: 'blackbox', image: 'openwhisk/dockerskeleton' })).toEqual({ kind: 'blackbox', code: '', binary: false, image: 'openwhisk/dockerskeleton' });
    expect(parseExec({ kind: 'blackbox', image: 'ghcr.io/me/action:1.2', code: 'def main(a): return a' })).toMatchObject({ image: 'ghcr.io/me/action:1.2', code: 'def main(a): return a' });
    expect(parseExec({ kind: 'blackbox', image: 'registry.local:5000/team/img@sha256:' + 'a'.repeat(64) }).image).toContain('@sha256:');
    for (const image of [undefined, '', 42, 'UPPER/case', 'has space', 'a/../b', '-leading']) {
      expect(() => parseExec({ kind: 'blackbox', image }), String(image)).toThrow(ApiError);
    }
  });

  it('the manifest lists python with its image; blackbox is no family', () => {
    const manifest = runtimeManifest();
    expect(manifest.python).toEqual([{ kind: 'python:3', default: true, deprecated: false, image: 'edgewhisk/python:3' }]);
    expect(manifest.nodejs).toContainEqual({ kind: 'nodejs:24', default: true, deprecated: false, image: 'edgewhisk/isolate' });
    expect(manifest).not.toHaveProperty(BLACKBOX_KIND);
  });

  it('kinds map to the images their containers run', () => {
    expect(containerKinds().sort()).toEqual(['blackbox', 'python:3']);
    expect(imageForKind('python:3')).toBe('edgewhisk/python:3');
    expect(imageForKind('nodejs:24')).toBeUndefined();
    const action = { key: 'k', code: '', binary: false, main: 'main', limits: DEFAULT_LIMITS };
    expect(containerImage({ ...action, kind: 'python:3' })).toEqual({ image: 'edgewhisk/python:3', managed: true });
    expect(containerImage({ ...action, kind: 'blackbox', image: 'me/img' })).toEqual({ image: 'me/img', managed: false });
    expect(containerImage({ ...action, kind: 'blackbox' })).toBeUndefined();
  });
});
