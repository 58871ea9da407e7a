#!/usr/bin/env node
// Postinstall step: make the prebuilt uWebSockets.js binaries load on glibc < 2.38.
//
// @btc-vision/uwebsockets.js@20.57.0 is built against glibc 2.38, but the only
// GLIBC_2.38 symbols it needs are the C23 variants __isoc23_{strtol,strtoul,sscanf}.
// They differ from the classic functions only in accepting "0b" binary prefixes, which
// uWS never relies on (its call sites are base-10 strtol on env vars, %lu/%lx sscanf and
// one base-0 strtoul). Rebinding those three imports to the GLIBC_2.2.5 classics lets
// the binary load on older distributions such as Debian 12 (glibc 2.36).
//
// Safety: we only touch binaries whose SHA-256 we know, and only produce the exact
// output we have tested. Anything else is reported and left alone. Dependency-free on
// purpose: it runs before anything else in node_modules can be trusted to work.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const TAG = 'patch-uws-glibc:';

// Pristine sha256 -> patched sha256, per ABI. 115 = Node 20, 127 = Node 22,
// 137 = Node 24, 141 = Node 25. All linux-x64 builds of 20.57.0 need the patch.
const KNOWN = {
  'uws_linux_x64_115.node': {
    pristine: '5b126ee00bf754b02e97e4c27090365a8562c5820c93f93918ac2212d4503e91',
    patched: '0b40a7ff2a1e1d38e8d34ac9b69bf5cf757fcbbbe56fe3bc981ee5c664ebf314',
  },
  'uws_linux_x64_127.node': {
    pristine: '4b55b1f2cb7a7913febbb65a89496412b96af77e838552980092ba6b33723aac',
    patched: '65537716292c5b3d9ee617914eeed1e4496f092f001c33504e8a9a0f12780f59',
  },
  'uws_linux_x64_137.node': {
    pristine: '98128405dba2fb608448e921a979530f70c946a2cc9889c15f2fa70c2d00ab05',
    patched: '2630bb59236deeadf501d6abaf79c1a655b4a0b78579fba408eea84d1a30f6ca',
  },
  'uws_linux_x64_141.node': {
    pristine: '813d788b347c6fd76b779d8932311ec05a044e612b4b83af220f16e6ea789683',
    patched: 'eea6f5f0ce9e2405a81ddb885b647c40bb5ebc2a06e48852f8af74290f79c543',
  },
};

// Import to rebind -> the classic name, which is a suffix of the C23 name, so the
// existing .dynstr bytes already contain it and nothing has to grow.
const REBIND = { __isoc23_strtol: 'strtol', __isoc23_strtoul: 'strtoul', __isoc23_sscanf: 'sscanf' };
const FROM_VERSION = 'GLIBC_2.38';
const TO_VERSION = 'GLIBC_2.2.5';

const SHT_STRTAB = 3, SHT_DYNSYM = 11, SHT_GNU_VERNEED = 0x6ffffffe, SHT_GNU_VERSYM = 0x6fffffff;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function skip(reason) {
  console.log(`${TAG} nothing to do (${reason})`);
  process.exit(0);
}

// Rewrites `buf` in place. Throws (leaving the caller to discard `buf`) on anything
// unexpected, so a partial patch can never reach disk.
function patchElf(buf) {
  const fail = (msg) => { throw new Error(`ELF: ${msg}`); };
  if (buf.readUInt32BE(0) !== 0x7f454c46) fail('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1 || buf.readUInt16LE(18) !== 62) fail('not ELF64 little-endian x86-64');

  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a), shnum = buf.readUInt16LE(0x3c), shstrndx = buf.readUInt16LE(0x3e);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      nameOff: buf.readUInt32LE(o), type: buf.readUInt32LE(o + 4),
      offset: Number(buf.readBigUInt64LE(o + 24)), size: Number(buf.readBigUInt64LE(o + 32)),
      info: buf.readUInt32LE(o + 44), entsize: Number(buf.readBigUInt64LE(o + 56)),
    });
  }
  const cstr = (base, off) => buf.toString('latin1', base + off, buf.indexOf(0, base + off));
  const shstr = sections[shstrndx];
  const byName = (name, type) => {
    const s = sections.find((x) => cstr(shstr.offset, x.nameOff) === name);
    if (!s || s.type !== type) fail(`missing or mistyped section ${name}`);
    return s;
  };
  const dynsym = byName('.dynsym', SHT_DYNSYM), dynstr = byName('.dynstr', SHT_STRTAB);
  const versym = byName('.gnu.version', SHT_GNU_VERSYM), verneed = byName('.gnu.version_r', SHT_GNU_VERNEED);
  const dstr = (off) => cstr(dynstr.offset, off);

  // Locate libc's version requirements; both the source and target version must be there.
  let from, to;
  for (let i = 0, vn = verneed.offset; i < verneed.info; i++) {
    const isLibc = dstr(buf.readUInt32LE(vn + 4)) === 'libc.so.6';
    for (let j = 0, a = vn + buf.readUInt32LE(vn + 8); j < buf.readUInt16LE(vn + 2); j++) {
      const aux = { at: a, hash: buf.readUInt32LE(a), other: buf.readUInt16LE(a + 6), name: buf.readUInt32LE(a + 8) };
      if (isLibc && dstr(aux.name) === FROM_VERSION) from = aux;
      if (isLibc && dstr(aux.name) === TO_VERSION) to = aux;
      a += buf.readUInt32LE(a + 12);
    }
    vn += buf.readUInt32LE(vn + 12);
  }
  if (!from || !to) fail(`libc.so.6 version need ${!from ? FROM_VERSION : TO_VERSION} not found`);

  // Point each C23 import at its classic name and at libc's GLIBC_2.2.5 version index.
  const count = dynsym.size / dynsym.entsize;
  const done = new Set();
  for (let i = 0; i < count; i++) {
    const sym = dynsym.offset + i * dynsym.entsize, vs = versym.offset + i * 2;
    const name = dstr(buf.readUInt32LE(sym));
    if (!(name in REBIND)) continue;
    if (buf.readUInt16LE(sym + 6) !== 0) fail(`${name} is defined, expected an import`);
    if ((buf.readUInt16LE(vs) & 0x7fff) !== from.other) fail(`${name} is not versioned ${FROM_VERSION}`);
    const newName = buf.readUInt32LE(sym) + name.length - REBIND[name].length;
    if (dstr(newName) !== REBIND[name]) fail(`bad suffix for ${name}`);
    buf.writeUInt32LE(newName, sym);
    buf.writeUInt16LE(to.other, vs);
    done.add(name);
  }
  if (done.size !== Object.keys(REBIND).length) fail(`found only ${[...done].join(', ') || 'none'} of the C23 imports`);

  // The GLIBC_2.38 requirement is now unused but the loader would still insist on it.
  // Turn it into a second GLIBC_2.2.5 requirement (name + ELF hash copied from the real
  // one) instead of unlinking it, so every count and offset in the table stays valid.
  for (let i = 0; i < count; i++) {
    if ((buf.readUInt16LE(versym.offset + i * 2) & 0x7fff) === from.other) fail(`other symbols still need ${FROM_VERSION}`);
  }
  buf.writeUInt32LE(to.hash, from.at);
  buf.writeUInt32LE(to.name, from.at + 8);
}

function writeAtomically(file, buf, expected) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', statSync(file).mode & 0o777);
    try { writeSync(fd, buf); fsyncSync(fd); } finally { closeSync(fd); }
    // Re-read what actually hit the disk: the hash is our only proof of a tested result.
    const got = sha256(readFileSync(tmp));
    if (got !== expected) throw new Error(`patched result has sha256 ${got}, expected ${expected}`);
    renameSync(tmp, file);
  } catch (err) {
    try { unlinkSync(tmp); } catch {}
    throw err;
  }
}

// --- main -------------------------------------------------------------------

if (process.platform !== 'linux' || process.arch !== 'x64') skip(`platform is ${process.platform}-${process.arch}, not linux-x64`);
const glibc = process.report.getReport().header.glibcVersionRuntime;
if (!glibc) skip('no glibc detected, e.g. musl');
const [major, minor] = glibc.split('.').map(Number);
if (major > 2 || (major === 2 && minor >= 38)) skip(`system glibc ${glibc} >= 2.38`);

let pkgDir;
try {
  pkgDir = dirname(createRequire(import.meta.url).resolve('uWebSockets.js'));
} catch {
  skip('uWebSockets.js is not installed');
}

const counts = { patched: 0, 'already patched': 0, unknown: 0, missing: 0, failed: 0 };
for (const [name, { pristine, patched }] of Object.entries(KNOWN)) {
  const file = join(pkgDir, name);
  if (!existsSync(file)) { counts.missing++; continue; }
  const buf = readFileSync(file);
  const hash = sha256(buf);
  if (hash === patched) {
    counts['already patched']++;
  } else if (hash !== pristine) {
    counts.unknown++;
    console.warn(`${TAG} WARNING: ${name} has unknown sha256 ${hash}; not patching it (it may not load on glibc ${glibc}; if uWebSockets.js was upgraded, update KNOWN in this script).`);
  } else {
    try {
      patchElf(buf);
      writeAtomically(file, buf, patched);
      counts.patched++;
    } catch (err) {
      counts.failed++;
      console.error(`${TAG} ERROR: failed to patch ${name}: ${err.message}`);
    }
  }
}

const summary = Object.entries(counts).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ');
console.log(`${TAG} glibc ${glibc}: ${summary || 'no known binaries found'} in ${pkgDir}`);
if (counts.failed) {
  console.error(`${TAG} uWebSockets.js will not load on this system; see the errors above.`);
  process.exit(1);
}
