/**
 * Which command lines leave V8's compilers to the user (src/jit.ts): the start-up hold applies
 * only where neither the command line nor NODE_OPTIONS names them. The hold itself is tested on
 * the real bundle (test/bundle: what V8 compiles, with --trace-opt).
 */
import { describe, expect, it } from 'vitest';
import { userChoseCompilers } from '../../src/jit.ts';

describe('userChoseCompilers', () => {
  it('sees the compiler flags in either spelling, on the command line or in NODE_OPTIONS', () => {
    for (const flag of ['--no-maglev', '--maglev', '--no_turbofan', '--turbofan', '--jitless', '--no-opt', '--max-opt=2']) {
      expect(userChoseCompilers(['--inspect', flag]), flag).toBe(true);
      expect(userChoseCompilers([], `--max-old-space-size=512 ${flag}`), `NODE_OPTIONS ${flag}`).toBe(true);
    }
  });

  it('ignores other flags, including ones that merely contain a compiler’s name', () => {
    expect(userChoseCompilers(['--no-node-snapshot', '--trace-opt', '--trace-maglev-graph-building', '--optimize-for-size'], '--disable-warning=Warning')).toBe(false);
    expect(userChoseCompilers([])).toBe(false);
  });
});
