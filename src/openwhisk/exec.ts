/** Action `exec`: the runtime kinds we serve, kind resolution, code and binary detection. Pure. */
import { badRequest, MESSAGES } from '../errors.ts';
import { SYSTEM_LIMITS } from './limits.ts';
import { parseFullyQualifiedName, qualifiedNameWithLeadingSlash } from './names.ts';

export interface CodeExec {
  kind: string;
  /** Empty for a blackbox action without code (its image runs its own action). */
  code: string;
  binary: boolean;
  main?: string;
  /** The container image of a blackbox action. */
  image?: string;
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
  /** Which runner executes it: Node.js kinds run in V8 isolates, the others in containers of `image`. */
  runner: 'isolate' | 'docker';
  /** The image GET / lists; for the docker runner, the image its containers run (runtimes/, npm run runtimes:build). */
  image: string;
}

/**
 * All Node.js kinds run in the same isolate runtime; the version only names the API surface users
 * expect. Python runs in containers of the image runtimes/python builds.
 */
export const RUNTIMES: Record<string, RuntimeKind[]> = {
  nodejs: [
    { kind: 'nodejs:18', default: false, runner: 'isolate', image: 'edgewhisk/isolate' },
    { kind: 'nodejs:20', default: false, runner: 'isolate', image: 'edgewhisk/isolate' },
    { kind: 'nodejs:22', default: false, runner: 'isolate', image: 'edgewhisk/isolate' },
    { kind: 'nodejs:24', default: true, runner: 'isolate', image: 'edgewhisk/isolate' },
  ],
  python: [{ kind: 'python:3', default: true, runner: 'docker', image: 'edgewhisk/python:3' }],
};

/** A container of the action's own image (`exec.image`): any image speaking the action-runtime protocol. */
export const BLACKBOX_KIND = 'blackbox';

const KINDS = new Map(Object.values(RUNTIMES).flat().map((r) => [r.kind, r]));

/** Every kind the container runner executes (blackbox included). */
export function containerKinds(): string[] {
  return [...[...KINDS.values()].filter((r) => r.runner === 'docker').map((r) => r.kind), BLACKBOX_KIND];
}

/** The image a runtime kind's containers run; undefined for isolate kinds and blackbox. */
export function imageForKind(kind: string): string | undefined {
  const runtime = KINDS.get(kind);
  return runtime?.runner === 'docker' ? runtime.image : undefined;
}

/** `nodejs:default` (what the openwhisk client sends) and `nodejs` resolve to the family's default. */
export function resolveKind(kind: string): string {
  const family = kind.endsWith(':default') ? kind.slice(0, -':default'.length) : kind;
  const defaultKind = RUNTIMES[family]?.find((r) => r.default);
  if (defaultKind) return defaultKind.kind;
  if (KINDS.has(kind) || kind === BLACKBOX_KIND) return kind;
  throw badRequest(`kind '${kind}' not in [${[...KINDS.keys(), BLACKBOX_KIND].join(', ')}]`);
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
  let image: string | undefined;
  if (kind === BLACKBOX_KIND) {
    image = parseImage(raw.image);
    // A blackbox image may bring its own action: code is optional.
    if (raw.code === undefined || raw.code === null) raw.code = '';
  }
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
  if (image !== undefined) exec.image = image;
  return exec;
}

/** Docker image references: `name[:tag]` or `name@sha256:…`, with an optional registry host. */
const IMAGE = /^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

function parseImage(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw badRequest("exec.image must be a non-empty string for kind 'blackbox'.");
  const image = value.trim();
  if (image.length > 255 || !IMAGE.test(image)) throw badRequest(`exec.image '${image}' is not a valid image name.`);
  return image;
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
    out[family] = kinds.map((k) => ({ kind: k.kind, default: k.default, deprecated: false, image: k.image }));
  }
  return out;
}
