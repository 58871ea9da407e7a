/** Semantic entity versions: created 0.0.1, patch-bumped on every update. Pure. */
export const INITIAL_VERSION = '0.0.1';

export function bumpPatch(version: string): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return `${major}.${minor}.${patch + 1}`;
}
