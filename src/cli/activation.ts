/** `edgewhisk activation list|get|logs|result|poll`. */
import type { Activation } from './action.ts';
import { paging } from './action.ts';
import { LIMIT, SKIP, type Context, type Group } from './command.ts';
import { CliError, doing, UsageError } from './errors.ts';
import type { WhiskClient } from './http.ts';
import { getKey } from './keyvalues.ts';
import { entityPath, parseName } from './names.ts';
import { formatDuration, relativeTime, type Output } from './output.ts';

const STATUS = ['success', 'application error', 'developer error', 'internal error'];

/**
 * A point in time from --since/--upto: epoch milliseconds, an ISO date, or an age such as `30s`,
 * `10m`, `2h`, `1d` (that long before now).
 */
export function parseTime(value: string, now: number, option: string): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const age = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i.exec(trimmed);
  if (age) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2]!.toLowerCase() as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Math.round(now - Number(age[1]) * unit);
  }
  const parsed = Date.parse(trimmed);
  if (Number.isNaN(parsed)) throw new UsageError(`${option} takes epoch milliseconds, an ISO date or an age like 10m, not '${value}'`);
  return parsed;
}

function statusOf(a: Activation): string {
  if (a.response?.status !== undefined) return a.response.status;
  if (typeof a.statusCode === 'number') return STATUS[a.statusCode] ?? String(a.statusCode);
  return '';
}

/** `pkg/action` from the path annotation (`ns/pkg/action`), else the name. */
function entityOf(a: Activation): string {
  const path = getKey(a.annotations, 'path');
  if (typeof path === 'string' && path.includes('/')) return path.slice(path.indexOf('/') + 1);
  return a.name ?? '';
}

function nameFilter(ctx: Context, word: string | undefined): { namespace: string; name?: string } {
  const client = ctx.client();
  if (word === undefined) return { namespace: client.config.namespace };
  const q = parseName(word, client.config.namespace, 'action name');
  return { namespace: q.namespace, name: entityPath(q) };
}

async function listActivations(client: WhiskClient, filter: { namespace: string; name?: string }, query: Record<string, string | number | boolean | undefined>): Promise<Activation[]> {
  return doing('Unable to list activations', () =>
    client.call<Activation[]>('GET', client.path('activations', [], filter.namespace), { query: { ...query, name: filter.name } }),
  );
}

async function list(ctx: Context): Promise<void> {
  const now = ctx.now();
  const since = ctx.opts.string('since');
  const upto = ctx.opts.string('upto');
  const activations = await listActivations(ctx.client(), nameFilter(ctx, ctx.words[0]), {
    ...paging(ctx.opts, 'activation list'),
    since: since === undefined ? undefined : parseTime(since, now, '--since'),
    upto: upto === undefined ? undefined : parseTime(upto, now, '--upto'),
    docs: ctx.opts.flag('full') || undefined,
  });
  if (ctx.out.json) {
    ctx.out.data(activations);
    return;
  }
  ctx.out.table(
    ['ACTIVATION ID', 'ENTITY', 'KIND', 'STATUS', 'DURATION', 'START'],
    activations.map((a) => {
      const status = statusOf(a);
      const init = getKey(a.annotations, 'initTime');
      return [
        a.activationId,
        `${entityOf(a)}${a.version ? `:${a.version}` : ''}`,
        String(getKey(a.annotations, 'kind') ?? (a.duration === undefined ? 'trigger' : '')),
        status === 'success' ? status : ctx.out.style('red', status),
        a.duration === undefined ? '' : `${formatDuration(a.duration)}${typeof init === 'number' ? ' (cold)' : ''}`,
        a.start === undefined ? '' : relativeTime(a.start, now),
      ];
    }),
    'no activations',
  );
}

/** The activation named by the first word, or with --last the newest (of the action named by the word). */
async function target(ctx: Context, context: string): Promise<{ id: string; namespace: string }> {
  const client = ctx.client();
  if (ctx.opts.flag('last')) {
    const filter = nameFilter(ctx, ctx.words[0]);
    const [newest] = await listActivations(client, filter, { limit: 1 });
    if (!newest) throw new CliError(`there are no activations${filter.name === undefined ? '' : ` of '${filter.name}'`}`);
    return { id: newest.activationId, namespace: filter.namespace };
  }
  const id = ctx.words[0];
  if (id === undefined) throw new UsageError('an activation ID (or --last) is required', context);
  return { id, namespace: client.config.namespace };
}

async function get(ctx: Context): Promise<void> {
  const client = ctx.client();
  const { id, namespace } = await target(ctx, 'activation get');
  const activation = await doing(`Unable to get activation '${id}'`, () => client.call<Activation>('GET', client.path('activations', [id], namespace)));
  if (!ctx.out.json) ctx.out.ok(`got activation ${id}`);
  ctx.out.data(activation);
}

/** `2026-01-01T00:00:00.000Z stdout: text` → `text` (--strip). */
export function stripLogLine(line: string): string {
  return line.replace(/^\S+\s+(stdout|stderr):\s?/, '');
}

async function logs(ctx: Context): Promise<void> {
  const client = ctx.client();
  const { id, namespace } = await target(ctx, 'activation logs');
  const body = await doing(`Unable to get logs for activation '${id}'`, () => client.call<{ logs?: string[] }>('GET', client.path('activations', [id, 'logs'], namespace)));
  if (ctx.out.json) {
    ctx.out.data(body);
    return;
  }
  const strip = ctx.opts.flag('strip');
  for (const line of body.logs ?? []) ctx.out.line(strip ? stripLogLine(line) : line);
}

async function result(ctx: Context): Promise<void> {
  const client = ctx.client();
  const { id, namespace } = await target(ctx, 'activation result');
  const body = await doing(`Unable to get result for activation '${id}'`, () =>
    client.call<{ result?: unknown; success?: boolean; status?: string }>('GET', client.path('activations', [id, 'result'], namespace)),
  );
  ctx.out.data(ctx.out.json ? body : (body.result ?? {}));
}

function printPolled(out: Output, a: Activation, now: number): void {
  if (out.json) {
    out.line(JSON.stringify(a));
    return;
  }
  const status = statusOf(a);
  const facts = [out.style(status === 'success' ? 'green' : 'red', status)];
  if (a.duration !== undefined) facts.push(formatDuration(a.duration));
  if (a.start !== undefined) facts.push(relativeTime(a.start, now));
  out.line(`${out.style('bold', `Activation: '${entityOf(a)}'`)} (${a.activationId})  ${facts.join(' · ')}`);
  for (const line of a.logs ?? []) out.line(`  ${line}`);
}

/** How far back each poll looks again: activations are listed once they end, by their start. */
const LOOKBACK_MS = 60_000;

async function poll(ctx: Context): Promise<void> {
  const client = ctx.client();
  const filter = nameFilter(ctx, ctx.words[0]);
  const startedAt = ctx.now();
  const sinceOption = ctx.opts.string('since');
  const sinceSeconds = ctx.opts.integer('since-seconds', 0, 2 ** 31, 'activation poll');
  const interval = ctx.opts.integer('interval', 50, 600_000, 'activation poll') ?? 1000;
  const exitAfter = ctx.opts.integer('exit', 1, 2 ** 31, 'activation poll');
  const deadline = exitAfter === undefined ? Infinity : startedAt + exitAfter * 1000;
  // Without --since, what the server already has is only noted, not shown: this way a server
  // clock that differs from ours does not hide (or replay) activations.
  const quietFirst = sinceOption === undefined && sinceSeconds === undefined;
  const floor = sinceOption !== undefined ? parseTime(sinceOption, startedAt, '--since') : startedAt - (sinceSeconds ?? LOOKBACK_MS / 1000) * 1000;
  const seen = new Map<string, number>();
  let stop = false;
  void ctx.interrupted.then(() => {
    stop = true;
  });
  let newest = floor;
  for (let round = 0; !stop && ctx.now() < deadline; round++) {
    const since = Math.max(floor, newest - LOOKBACK_MS);
    const found = await listActivations(client, filter, { since, limit: 200, docs: true });
    const fresh = found.filter((a) => !seen.has(a.activationId)).sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
    const now = ctx.now();
    for (const a of fresh) {
      seen.set(a.activationId, a.start ?? now);
      newest = Math.max(newest, a.start ?? 0);
      if (round > 0 || !quietFirst) printPolled(ctx.out, a, now);
    }
    // Announced once the first answer is in: from here on, every new activation is shown.
    if (round === 0 && !ctx.out.json) {
      ctx.out.note(ctx.out.style('dim', `polling for activations${filter.name === undefined ? '' : ` of ${filter.name}`} (Ctrl-C to stop)`, 'err'));
    }
    // Forget what the next poll can no longer return.
    for (const [id, start] of seen) if (start < Math.max(floor, newest - LOOKBACK_MS)) seen.delete(id);
    const wait = Math.min(interval, Math.max(0, deadline - ctx.now()));
    if (wait === 0) break;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, wait)), ctx.interrupted]);
  }
}

const LAST = { name: 'last', short: 'l', type: 'boolean', help: 'the newest activation (of the action named instead of an ID)' } as const;

export const activationGroup: Group = {
  name: 'activation',
  summary: 'work with activations',
  verbs: [
    {
      name: 'list',
      usage: '[ACTION]',
      summary: 'list activations, newest first',
      options: [
        LIMIT,
        SKIP,
        { name: 'since', type: 'string', value: 'TIME', help: 'started at or after TIME (epoch ms, ISO date, or an age: 30s, 10m, 2h, 1d)' },
        { name: 'upto', type: 'string', value: 'TIME', help: 'started at or before TIME' },
        { name: 'full', short: 'f', type: 'boolean', help: 'whole records (with --json)' },
      ],
      args: [0, 1],
      run: list,
    },
    { name: 'get', usage: 'ID | --last [ACTION]', summary: 'show an activation record', options: [LAST], args: [0, 1], run: get },
    {
      name: 'logs',
      usage: 'ID | --last [ACTION]',
      summary: "print an activation's logs",
      options: [LAST, { name: 'strip', short: 'r', type: 'boolean', help: 'only the message of each line (no time, no stream)' }],
      args: [0, 1],
      run: logs,
    },
    { name: 'result', usage: 'ID | --last [ACTION]', summary: "print an activation's result", options: [LAST], args: [0, 1], run: result },
    {
      name: 'poll',
      usage: '[ACTION]',
      summary: 'stream new activations and their logs until interrupted',
      options: [
        { name: 'since', type: 'string', value: 'TIME', help: 'also show activations since TIME (default: from now)' },
        { name: 'since-seconds', type: 'string', value: 'N', help: 'also show the last N seconds' },
        { name: 'exit', type: 'string', value: 'SECONDS', help: 'stop after SECONDS' },
        { name: 'interval', type: 'string', value: 'MS', help: 'time between polls (default 1000)' },
      ],
      args: [0, 1],
      run: poll,
    },
  ],
};
