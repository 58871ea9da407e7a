/** The Python proxy's own unit tests (runtimes/python/test_*.py), run with `python3 -m unittest`. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON, pythonAvailable, RUNTIMES } from './local-proxy.ts';

const hasPython = pythonAvailable();
if (!hasPython) console.warn('python unit tests skipped: no python3 on PATH');

describe.skipIf(!hasPython)('runtimes/python unit tests', () => {
  it('python3 -m unittest passes', () => {
    const dir = join(RUNTIMES, 'python');
    const result = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', dir, '-t', dir, '-p', 'test_*.py'], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    if (result.status !== 0) console.error(result.stdout, result.stderr);
    expect(result.stderr).toMatch(/\nOK\b/);
    expect(result.status).toBe(0);
  }, 120_000);
});
