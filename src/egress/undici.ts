/**
 * undici, for the modules that import() it when first needed (fetch.ts at an action's first
 * fetch, the CLI for -i). A CommonJS package imported dynamically gives only its `default` in the
 * bundle (scripts/build.ts); through this module's static import both Node and esbuild give the
 * named exports.
 */
export { Agent, fetch } from 'undici';
