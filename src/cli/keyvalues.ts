/** Parameters and annotations from `-p KEY VALUE`, `-P FILE`, and the web-action annotations of --web. */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';

export interface KeyValue {
  key: string;
  value: unknown;
}

/** As wsk: a value that is valid JSON is taken as JSON (`5`, `true`, `{"a":1}`, `"5"`), else as a string. */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The entries of a JSON object file (`-P`/`-A`); `what` names the option in errors. */
export function readKeyValueFile(path: string, what: string): KeyValue[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${what}: cannot read '${path}': ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what}: '${path}' is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${what}: '${path}' must hold a JSON object`);
  return Object.entries(value).map(([key, v]) => ({ key, value: v }));
}

/** A file's entries, then the pairs in order; a later key replaces an earlier one in place. */
export function keyValues(pairs: [string, string][], fromFile: KeyValue[] = []): KeyValue[] {
  let out: KeyValue[] = [...fromFile];
  for (const [key, raw] of pairs) out = setKey(out, key, parseValue(raw));
  return out;
}

export function setKey(list: KeyValue[], key: string, value: unknown): KeyValue[] {
  const at = list.findIndex((kv) => kv.key === key);
  if (at < 0) return [...list, { key, value }];
  const copy = [...list];
  copy[at] = { key, value };
  return copy;
}

export function getKey(list: KeyValue[] | undefined, key: string): unknown {
  return list?.find((kv) => kv.key === key)?.value;
}

export function removeKey(list: KeyValue[], key: string): KeyValue[] {
  return list.filter((kv) => kv.key !== key);
}

export function toObject(list: KeyValue[]): Record<string, unknown> {
  return Object.fromEntries(list.map((kv) => [kv.key, kv.value]));
}

const WEB_MODES: Record<string, [webExport: boolean, rawHttp: boolean, final: boolean]> = {
  true: [true, false, true],
  yes: [true, false, true],
  raw: [true, true, true],
  false: [false, false, false],
  no: [false, false, false],
};

export const WEB_SECURE_NEEDS_WEB = 'The --web-secure option is only valid when the --web option is enabled.';

/**
 * The annotations after --web and --web-secure, as wsk sets them: `--web true` = web-export and
 * final; `raw` adds raw-http; `false` turns all three off. `--web-secure true` requires valid
 * credentials (require-whisk-auth: true), another value is the secret callers must send in
 * X-Require-Whisk-Auth, `false` removes the requirement; only valid on a web action.
 */
export function applyWeb(annotations: KeyValue[], web: string | undefined, webSecure: string | undefined): KeyValue[] {
  let out = annotations;
  if (web !== undefined) {
    const mode = WEB_MODES[web.toLowerCase()];
    if (!mode) throw new UsageError(`invalid argument '${web}' for --web: use true, raw or false (or yes, no)`);
    const [webExport, rawHttp, final] = mode;
    out = setKey(setKey(setKey(out, 'web-export', webExport), 'raw-http', rawHttp), 'final', final);
  }
  if (webSecure !== undefined) {
    if (getKey(out, 'web-export') !== true) throw new UsageError(WEB_SECURE_NEEDS_WEB);
    const lower = webSecure.toLowerCase();
    if (lower === 'false' || lower === 'no') out = removeKey(out, 'require-whisk-auth');
    else out = setKey(out, 'require-whisk-auth', lower === 'true' || lower === 'yes' ? true : webSecure);
  }
  return out;
}

/** `web`, `raw` or '' from an entity's annotations, for listings. */
export function webMode(annotations: KeyValue[] | undefined): string {
  if (getKey(annotations, 'web-export') !== true) return '';
  return getKey(annotations, 'raw-http') === true ? 'raw' : 'web';
}
