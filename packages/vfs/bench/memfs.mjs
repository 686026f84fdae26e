#!/usr/bin/env node
// Benchmark (not a test): many small files on @tvisor/vfs's tmpfs next to
// memfs, the npm world's popular in-memory filesystem, through each one's
// own API. Prints operations per second and the ratio tvisor/memfs (higher
// is better). Run after a build: node packages/vfs/bench/memfs.mjs [files]
import { Volume } from 'memfs';
import { ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem } from '@tvisor/vfs';

const N = Number(process.argv[2] ?? 5000);
const O_WRONLY = 0o1, O_CREAT = 0o100, O_RDONLY = 0, O_DIRECTORY = 0o200000;
const payload = new TextEncoder().encode('tVisor says hello to a small file\n');

function time(label, fn) {
  // Warm up the JIT on a first pass (not for create: its second pass would reopen, not create).
  if (label !== 'create') fn();
  const t0 = process.hrtime.bigint();
  const ops = fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { label, rate: ops / s };
}

function tvisorCase(round) {
  const vfs = new VirtualFilesystem(new TmpfsFilesystem());
  const ctx = vfs.context(ROOT_CREDENTIALS);
  const dir = `/d${round}`;
  vfs.mkdirAt(ctx, dir, 0o755);
  const buf = new Uint8Array(64);
  return {
    create: () => { for (let i = 0; i < N; i++) { const f = vfs.openAt(ctx, `${dir}/f${i}`, { flags: O_WRONLY | O_CREAT, mode: 0o644 }); f.write(payload); f.decRef(); } return N; },
    stat: () => { for (let i = 0; i < N; i++) vfs.statAt(ctx, `${dir}/f${i}`, 0); return N; },
    read: () => { for (let i = 0; i < N; i++) { const f = vfs.openAt(ctx, `${dir}/f${i}`, { flags: O_RDONLY }); f.read(buf); f.decRef(); } return N; },
    readdir: () => { const f = vfs.openAt(ctx, dir, { flags: O_RDONLY | O_DIRECTORY }); let n = 0; f.iterDirents(() => { n++; return true; }); f.decRef(); return n; },
  };
}

function memfsCase(round) {
  const vol = new Volume();
  const dir = `/d${round}`;
  vol.mkdirSync(dir);
  const buf = new Uint8Array(64);
  return {
    create: () => { for (let i = 0; i < N; i++) { const fd = vol.openSync(`${dir}/f${i}`, 'w', 0o644); vol.writeSync(fd, payload); vol.closeSync(fd); } return N; },
    stat: () => { for (let i = 0; i < N; i++) vol.statSync(`${dir}/f${i}`); return N; },
    read: () => { for (let i = 0; i < N; i++) { const fd = vol.openSync(`${dir}/f${i}`, 'r'); vol.readSync(fd, buf, 0, 64, null); vol.closeSync(fd); } return N; },
    readdir: () => vol.readdirSync(dir).length,
  };
}

let round = 0;
// Each operation is timed on a filesystem prepared by the create pass.
const results = [];
for (const op of ['create', 'stat', 'read', 'readdir']) {
  const tv = tvisorCase(round++);
  const mf = memfsCase(round++);
  if (op !== 'create') { tv.create(); mf.create(); }
  const a = time(op, tv[op]);
  const b = time(op, mf[op]);
  results.push([op, a.rate, b.rate]);
}
console.log(`${N} small files, operations per second (higher is better)`);
for (const [op, a, b] of results) {
  console.log(`${op.padEnd(8)} tvisor ${Math.round(a).toString().padStart(9)}  memfs ${Math.round(b).toString().padStart(9)}  tvisor/memfs ${(a / b).toFixed(2)}x`);
}
