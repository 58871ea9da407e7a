/** Action `exec`: the runtime kinds we serve, kind resolution, code and binary detection. Pure. */
import { badRequest, MESSAGES } from '../errors.ts';
import { SYSTEM_LIMITS } from './limits.ts';
import { parseFullyQualifiedName, qualifiedNameWithLeadingSlash } from './names.ts';

export interface CodeExec {
  kind: string;
  code: string;
  binary: boolean;
  main?: string;
}

/** A sequence: fully qualified components ('/ns/a', '/ns/pkg/a'), each run on the previous result. */
export interface SequenceExec {
  kind: 'sequence';
  components: string[];
}

export type Exec = CodeExec | SequenceExec;

export const SEQUENCE_KIND = 'sequence';
/** Actions the server implements itself (the alarms feeds); `code` names the handler. Never user-creatable. */
export const HOST_KIND = 'edgewhisk:host';

export function isSequence(exec: Exec): exec is SequenceExec {
  return exec.kind === SEQUENCE_KIND;
}

interface RuntimeKind {
  kind: string;
  default: boolean;
  /** Which runner executes it: every Node.js kind runs in a V8 isolate. */
  runner: 'isolate';
}

/** All Node.js kinds run in the same isolate runtime; the version only names the API surface users expect. */
export const RUNTIMES: Record<string, RuntimeKind[]> = {
  nodejs: [
    { kind: 'nodejs:18', default: false, runner: 'isolate' },
    { kind: 'nodejs:20', default: false, runner: 'isolate' },
    { kind: 'nodejs:22', default: false, runner: 'isolate' },
    { kind: 'nodejs:24', default: true, runner: 'isolate' },
  ],
};

const KINDS = new Map(Object.values(RUNTIMES).flat().map((r) => [r.kind, r]));

/** `nodejs:default` (what the openwhisk client sends) and `nodejs` resolve to the family's default. */
export function resolveKind(kind: string): string {
  const family = kind.endsWith(':default') ? kind.slice(0, -':default'.length) : kind;
  const defaultKind = RUNTIMES[family]?.find((r) => r.default);
  if (defaultKind) return defaultKind.kind;
  if (KINDS.has(kind)) return kind;
  throw badRequest(`kind '${kind}' not in [${[...KINDS.keys()].join(', ')}]`);
}

/** Upstream marks code as binary when the trimmed text is base64 of a length divisible by 4. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
export function looksBinary(code: string): boolean {
  const trimmed = code.trim();
  return trimmed.length > 0 && trimmed.length % 4 === 0 && BASE64.test(trimmed);
}

/**
 * Validates `exec` from an action PUT body: a sequence or code. Sequence components are checked
 * for shape only (existence and cycles need the store); `_` in them becomes `namespace`.
 */
export function parseActionExec(input: unknown, namespace: string): Exec {
  const raw = input as Record<string, unknown> | null | undefined;
  if (typeof raw === 'object' && raw !== null && typeof raw.kind === 'string' && raw.kind.trim().toLowerCase() === SEQUENCE_KIND) {
    return parseSequence(raw.components, namespace);
  }
  return parseExec(input);
}

/** Validates a code `exec` (a runtime kind and its code). */
export function parseExec(input: unknown): CodeExec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('exec must be an object.');
  const raw = input as Record<string, unknown>;
  if (typeof raw.kind !== 'string') throw badRequest("exec.kind must be a string.");
  const kind = resolveKind(raw.kind);
  if (typeof raw.code !== 'string') throw badRequest('exec.code must be a string.');
  const size = Buffer.byteLength(raw.code);
  if (size > SYSTEM_LIMITS.maxCodeSize) {
    throw badRequest(`Code larger than allowed: ${size} > ${SYSTEM_LIMITS.maxCodeSize} bytes.`);
  }
  if (raw.main !== undefined && (typeof raw.main !== 'string' || raw.main.trim() === '')) {
    throw badRequest('exec.main must be a non-empty string.');
  }
  const exec: CodeExec = { kind, code: raw.code, binary: looksBinary(raw.code) };
  if (typeof raw.main === 'string') exec.main = raw.main;
  return exec;
}

function parseSequence(input: unknown, namespace: string): SequenceExec {
  if (input === undefined || input === null) throw badRequest("'components' must be defined for sequence kind");
  if (!Array.isArray(input)) throw badRequest("'components' must be an array");
  if (input.length === 0) throw badRequest(MESSAGES.sequenceNoComponent);
  if (input.length > SYSTEM_LIMITS.maxSequenceLength) throw badRequest(MESSAGES.sequenceIsTooLong);
  const components = input.map((c: unknown) => {
    if (typeof c !== 'string') throw badRequest(MESSAGES.malformedQualifiedName);
    return qualifiedNameWithLeadingSlash(parseFullyQualifiedName(c, namespace));
  });
  return { kind: SEQUENCE_KIND, components };
}

/** The runtime listing of `GET /`, in OpenWhisk's shape. */
export function runtimeManifest(): Record<string, { kind: string; default: boolean; deprecated: boolean; image: string }[]> {
  const out: Record<string, { kind: string; default: boolean; deprecated: boolean; image: string }[]> = {};
  for (const [family, kinds] of Object.entries(RUNTIMES)) {
    out[family] = kinds.map((k) => ({ kind: k.kind, default: k.default, deprecated: false, image: 'edgewhisk/isolate' }));
  }
  return out;
}
