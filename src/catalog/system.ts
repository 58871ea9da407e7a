/**
 * The public packages every server has in `whisk.system`: `utils` (JavaScript in isolates) and
 * `alarms` (feeds the server runs itself). Seeded at start-up; a restart rewrites only what changed.
 */
import { createAction, type ActionDoc } from '../openwhisk/action.ts';
import { HOST_KIND } from '../openwhisk/exec.ts';
import type { KeyValue } from '../openwhisk/keyvalues.ts';
import { createPackage, type PackageDoc } from '../openwhisk/package.ts';
import { bumpPatch } from '../openwhisk/version.ts';
import type { Collection, EntityStore } from '../store/entities.ts';
import { UTILS_ACTIONS, UTILS_DESCRIPTION, type CatalogAction } from './utils.ts';

export const SYSTEM_NAMESPACE = 'whisk.system';

/** Host handler names of the alarms feeds (an action's `exec.code`). */
export const ALARM_HANDLERS = { alarm: 'alarms/alarm', interval: 'alarms/interval', once: 'alarms/once' } as const;

const ALARM_FEEDS: (CatalogAction & { feed: keyof typeof ALARM_HANDLERS })[] = [
  {
    name: 'alarm',
    feed: 'alarm',
    description: 'Fire trigger when alarm occurs',
    code: ALARM_HANDLERS.alarm,
    parameters: [
      { name: 'cron', required: true, description: 'A cron pattern of 5 fields, or 6 with seconds first' },
      { name: 'timezone', required: false, description: 'The time zone of the cron pattern (default UTC)' },
      { name: 'startDate', required: false, description: 'No fire before this date (ISO or epoch ms)' },
      { name: 'stopDate', required: false, description: 'No fire after this date (ISO or epoch ms)' },
      { name: 'strict', required: false, description: 'Accepted for compatibility; fires are never delayed' },
    ],
  },
  {
    name: 'interval',
    feed: 'interval',
    description: 'Fire trigger at specified interval',
    code: ALARM_HANDLERS.interval,
    parameters: [
      { name: 'minutes', required: true, type: 'integer', description: 'Minutes between fires' },
      { name: 'startDate', required: false, description: 'The first fire (default: one interval from now)' },
      { name: 'stopDate', required: false, description: 'No fire after this date' },
    ],
  },
  {
    name: 'once',
    feed: 'once',
    description: 'Fire trigger once when alarm occurs',
    code: ALARM_HANDLERS.once,
    parameters: [
      { name: 'date', required: true, description: 'When to fire (ISO or epoch ms)' },
      { name: 'deleteAfterFire', required: false, description: 'false, true (delete the trigger) or rules (and its rules)' },
    ],
  },
];

/** Creates or refreshes the system packages; returns how many entities were written. */
export function seedSystemPackages(entities: EntityStore, now: number): number {
  let written = 0;
  const ensure = <T extends PackageDoc | ActionDoc>(collection: Collection, path: string, desired: T): void => {
    const existing = entities.get<T>(SYSTEM_NAMESPACE, collection, path);
    if (existing && same(existing, desired)) return;
    entities.put(SYSTEM_NAMESPACE, collection, path, existing ? { ...desired, version: bumpPatch(existing.version) } : desired);
    written++;
  };
  const pkg = (name: string, annotations: KeyValue[]): PackageDoc =>
    createPackage({ namespace: SYSTEM_NAMESPACE, name }, { binding: undefined, parameters: [], annotations, publish: true }, now);

  ensure('packages', 'utils', pkg('utils', [{ key: 'description', value: UTILS_DESCRIPTION }]));
  for (const action of UTILS_ACTIONS) {
    const doc = createAction(
      { namespace: SYSTEM_NAMESPACE, pkg: 'utils', name: action.name },
      { exec: { kind: 'nodejs:default', code: action.code }, annotations: annotationsOf(action) },
      now,
    );
    ensure('actions', `utils/${action.name}`, doc);
  }

  ensure('packages', 'alarms', pkg('alarms', [
    { key: 'description', value: 'Alarms and periodic utility' },
    { key: 'parameters', value: [{ name: 'trigger_payload', required: false }] },
  ]));
  for (const feed of ALARM_FEEDS) {
    const doc = createAction(
      { namespace: SYSTEM_NAMESPACE, pkg: 'alarms', name: feed.name },
      { exec: { kind: 'nodejs:default', code: '' }, annotations: [...annotationsOf(feed), { key: 'feed', value: true }] },
      now,
    );
    // The feeds are not JavaScript: the server runs them (see runners/host.ts).
    ensure('actions', `alarms/${feed.name}`, {
      ...doc,
      exec: { kind: HOST_KIND, code: feed.code, binary: false },
      annotations: doc.annotations.map((kv) => (kv.key === 'exec' ? { key: 'exec', value: HOST_KIND } : kv)),
    });
  }
  return written;
}

function annotationsOf(action: CatalogAction): KeyValue[] {
  const annotations: KeyValue[] = [{ key: 'description', value: action.description }];
  if (action.parameters) annotations.push({ key: 'parameters', value: action.parameters });
  return annotations;
}

/** Equal but for version and time: nothing to rewrite. */
function same(a: PackageDoc | ActionDoc, b: PackageDoc | ActionDoc): boolean {
  const strip = ({ version: _v, updated: _u, ...rest }: PackageDoc | ActionDoc): unknown => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
