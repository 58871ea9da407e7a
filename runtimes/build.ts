/**
 * `npm run runtimes:build`: builds the runtime images the container runner uses (today
 * edgewhisk/python:3) on the local Docker engine (DOCKER_HOST or /var/run/docker.sock).
 *
 * With a registry in reach it is a plain `docker build` of runtimes/python/Dockerfile. Without one
 * (these machines reach none) the same image is assembled offline from the host's own Python: its
 * binary, the libraries `ldd` names, the standard library (no tests, no site-packages) and the
 * proxy, copied into a folder at their own paths, then `docker import`-ed with the Dockerfile's
 * ENTRYPOINT, WORKDIR, EXPOSE and ENV.
 *
 * An image whose label matches the sources' hash is kept. Flags: --force (rebuild anyway),
 * --offline (skip the Dockerfile build), --dockerfile (no fallback). PYTHON picks the interpreter
 * for the offline build (default: python3 on PATH).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_DOCKER_HOST, DockerEngine } from '../src/runners/docker/engine.ts';
import { imageForKind } from '../src/openwhisk/exec.ts';

const HERE = dirname(new URL(import.meta.url).pathname);
const PYTHON_DIR = join(HERE, 'python');
const SOURCES = ['Dockerfile', 'proxy.py', 'launcher.py'];
const HASH_LABEL = 'edgewhisk.runtime.hash';
const SOURCE_LABEL = 'edgewhisk.runtime.source';
/** Bump when the offline assembly changes in a way the sources' hash does not show. */
const ASSEMBLY_VERSION = '1';

/** Standard-library parts no action needs: test suites, GUI, bundled wheels, the static libpython. */
const STDLIB_SKIP = new Set(['test', 'idlelib', 'tkinter', 'turtledemo', 'ensurepip', 'site-packages', 'dist-packages', '__phello__']);
const STDLIB_SKIP_PREFIX = ['config-'];

export interface BuildResult {
  image: string;
  how: 'kept' | 'dockerfile' | 'import';
  ms: number;
}

function log(message: string): void {
  console.log(`runtimes: ${message}`);
}

function sourcesHash(): string {
  const hash = createHash('sha256').update(ASSEMBLY_VERSION);
  for (const file of SOURCES) hash.update(file).update(readFileSync(join(PYTHON_DIR, file)));
  return hash.digest('hex').slice(0, 16);
}

/** A tar stream of `dir` (GNU tar: numeric root ownership, as an image's files should be). */
function tarOf(dir: string, entries: string[] = ['.']): Readable {
  const child = spawn('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-cf', '-', ...entries], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.on('exit', (code) => {
    if (code !== 0) child.stdout.destroy(new Error(`tar exited with ${code}`));
  });
  return child.stdout;
}

export async function buildPythonImage(engine: DockerEngine, options: { force?: boolean; offline?: boolean; dockerfileOnly?: boolean } = {}): Promise<BuildResult> {
  const started = performance.now();
  const image = imageForKind('python:3')!;
  const hash = sourcesHash();
  const labels = await engine.imageLabels(image);
  if (!options.force && labels?.[HASH_LABEL] === hash) {
    log(`${image} is up to date (${labels[SOURCE_LABEL] ?? 'unknown source'}, sources ${hash})`);
    return { image, how: 'kept', ms: performance.now() - started };
  }
  if (!options.offline) {
    try {
      log(`building ${image} from runtimes/python/Dockerfile`);
      await engine.build(tarOf(PYTHON_DIR, SOURCES), image, { [HASH_LABEL]: hash, [SOURCE_LABEL]: 'dockerfile' }, 600_000);
      log(`built ${image} from the Dockerfile`);
      return { image, how: 'dockerfile', ms: performance.now() - started };
    } catch (error) {
      if (options.dockerfileOnly) throw error;
      log(`the Dockerfile build failed (${firstLine((error as Error).message)}): assembling ${image} offline from the host's Python`);
    }
  }
  await importFromHost(engine, image, hash);
  return { image, how: 'import', ms: performance.now() - started };
}

interface HostPython {
  executable: string;
  version: string;
  stdlib: string;
  dynload: string;
}

function hostPython(): HostPython {
  const python = process.env.PYTHON ?? 'python3';
  const script =
    'import json, os, sys, sysconfig\n' +
    'print(json.dumps({"executable": os.path.realpath(sys.executable), "version": "%d.%d" % sys.version_info[:2],' +
    ' "stdlib": sysconfig.get_path("stdlib"), "dynload": sysconfig.get_config_var("DESTSHARED") or ""}))';
  const info = JSON.parse(execFileSync(python, ['-c', script], { encoding: 'utf8' })) as HostPython;
  if (!info.dynload || !existsSync(info.dynload)) info.dynload = join(info.stdlib, 'lib-dynload');
  return info;
}

/** Every shared library `ldd` resolves for the given ELF files (the dynamic loader included). */
function sharedLibraries(files: string[]): Set<string> {
  const libs = new Set<string>();
  for (let i = 0; i < files.length; i += 64) {
    let out: string;
    try {
      out = execFileSync('ldd', files.slice(i, i + 64), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (error) {
      out = String((error as { stdout?: unknown }).stdout ?? '');
    }
    for (const line of out.split('\n')) {
      const match = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s+(\/\S+)\s+\(/.exec(line);
      if (match) libs.add(match[1]!);
    }
  }
  return libs;
}

function copyFile(from: string, root: string, to = from): void {
  const target = join(root, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(realpathSync(from), target, { dereference: true, preserveTimestamps: true });
}

async function importFromHost(engine: DockerEngine, image: string, hash: string): Promise<void> {
  const python = hostPython();
  log(`host Python ${python.version}: ${python.executable}`);
  const root = mkdtempSync(join(tmpdir(), 'edgewhisk-rootfs-'));
  try {
    // The interpreter at its own path (its prefix is found from there), and as /usr/local/bin/python3.
    copyFile(python.executable, root);
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    if (python.executable !== '/usr/local/bin/python3') symlinkSync(python.executable, join(root, 'usr/local/bin/python3'));
    // The standard library, mtimes kept so its bytecode caches stay valid.
    cpSync(python.stdlib, join(root, python.stdlib), {
      recursive: true,
      preserveTimestamps: true,
      filter: (src) => {
        const rel = src.slice(python.stdlib.length + 1);
        if (rel === '') return true;
        const top = rel.split('/')[0]!;
        if (STDLIB_SKIP.has(top) || STDLIB_SKIP_PREFIX.some((p) => top.startsWith(p))) return false;
        if (/\.opt-[12]\.pyc$/.test(rel) || /(^|\/)tests?(\/|$)/.test(rel)) return false;
        return true;
      },
    });
    mkdirSync(join(root, python.stdlib, 'site-packages'), { recursive: true });
    if (!python.dynload.startsWith(python.stdlib + '/')) cpSync(python.dynload, join(root, python.dynload), { recursive: true, preserveTimestamps: true });
    // Shared libraries of the interpreter and of its extension modules.
    const libs = sharedLibraries([python.executable, ...listFiles(python.dynload).filter((f) => f.endsWith('.so'))]);
    const libDirs = new Set<string>();
    for (const lib of libs) {
      copyFile(lib, root);
      libDirs.add(dirname(lib));
    }
    // What a process expects to find: users, temp space, CA certificates, name resolution.
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    for (const file of ['etc/hosts', 'etc/hostname', 'etc/resolv.conf']) writeFileSync(join(root, file), '');
    const certs = '/etc/ssl/certs/ca-certificates.crt';
    if (existsSync(certs)) copyFile(certs, root);
    for (const dir of ['tmp', 'action', 'root', 'proc', 'sys', 'dev']) mkdirSync(join(root, dir), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    mkdirSync(join(root, 'proxy'));
    for (const file of ['proxy.py', 'launcher.py']) cpSync(join(PYTHON_DIR, file), join(root, 'proxy', file));
    execFileSync(python.executable, ['-m', 'compileall', '-q', join(root, 'proxy')]);
    const size = execFileSync('du', ['-sm', root], { encoding: 'utf8' }).split('\t')[0];
    log(`root file system assembled: ${size} MB, ${libs.size} shared libraries`);

    const changes = [
      'ENTRYPOINT ["/usr/local/bin/python3", "/proxy/proxy.py"]',
      'WORKDIR /action',
      'EXPOSE 8080',
      `ENV PYTHONIOENCODING=UTF-8 LANG=C.UTF-8 OW_ACTION_DIR=/action PATH=/usr/local/bin:/usr/bin:/bin LD_LIBRARY_PATH=${[...libDirs].join(':')}`,
      `LABEL ${HASH_LABEL}=${hash} ${SOURCE_LABEL}=import-python-${python.version}`,
    ];
    await engine.importImage(tarOf(root), image, changes, 600_000);
    log(`imported ${image}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && statSync(f).isFile());
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}

if (import.meta.main) {
  const args = new Set(process.argv.slice(2));
  const dockerHost = process.env.DOCKER_HOST ?? DEFAULT_DOCKER_HOST;
  let engine: DockerEngine;
  try {
    engine = new DockerEngine(dockerHost);
    await engine.ping();
  } catch (error) {
    console.error(`runtimes: no container engine at ${dockerHost}: ${(error as Error).message}`);
    process.exit(1);
  }
  try {
    const version = await engine.version();
    log(`engine: Docker ${version.Version} (API ${version.ApiVersion})`);
    const result = await buildPythonImage(engine, { force: args.has('--force'), offline: args.has('--offline'), dockerfileOnly: args.has('--dockerfile') });
    log(`${result.image}: ${result.how} in ${(result.ms / 1000).toFixed(1)} s`);
  } catch (error) {
    console.error(`runtimes: build failed: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    engine.close();
  }
}
