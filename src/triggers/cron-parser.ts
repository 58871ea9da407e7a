/**
 * cron-parser, for next-fire.ts to import() when a cron pattern is first needed. A CommonJS
 * package imported dynamically gives only its `default` in the bundle (scripts/build.ts); through
 * this module's static import both Node and esbuild give the named export.
 */
export { CronExpressionParser } from 'cron-parser';
