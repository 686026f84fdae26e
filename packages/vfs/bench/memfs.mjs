#!/usr/bin/env node
// Benchmark (not a test): many small files on @tvisor/vfs's tmpfs next to
// memfs, the npm world's popular in-memory filesystem. Two comparisons:
// through the same node:fs-style API (@tvisor/vfs/fs against memfs's fs, what
// a user switching sees), and each through its own lowest-level API (the
// VFS's openAt/statAt against memfs's Volume). Prints operations per second
// and the ratio tvisor/memfs (higher is better).
// Run after a build: node packages/vfs/bench/memfs.mjs [files]
import { Volume, createFsFromVolume } from 'memfs';
import { ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem } from '@tvisor/vfs';
import { Volume as TvisorVolume, createFsFromVolume as tvisorFs } from '@tvisor/vfs/fs';

const N = Number(process.argv[2] ?? 5000);
const O_WRONLY = 0o1,
  O_CREAT = 0o100,
  O_RDONLY = 0,
  O_DIRECTORY = 0o200000;
const payload = new TextEncoder().encode('tVisor says hello to a small file\n');

function time(label, fn) {
  // Warm up the JIT on a first pass (not for create: its second pass would reopen, not create).
  if (label !== 'create') fn();
  const t0 = process.hrtime.bigint();
  const ops = fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { label, rate: ops / s };
}

/** The same node:fs calls on either library's fs object. */
function facadeCase(fs, round) {
  const dir = `/d${round}`;
  fs.mkdirSync(dir);
  return {
    create: () => {
      for (let i = 0; i < N; i++) fs.writeFileSync(`${dir}/f${i}`, payload);
      return N;
    },
    stat: () => {
      for (let i = 0; i < N; i++) fs.statSync(`${dir}/f${i}`);
      return N;
    },
    read: () => {
      for (let i = 0; i < N; i++) fs.readFileSync(`${dir}/f${i}`);
      return N;
    },
    readdir: () => fs.readdirSync(dir).length,
  };
}

function vfsCase(round) {
  const vfs = new VirtualFilesystem(new TmpfsFilesystem());
  const ctx = vfs.context(ROOT_CREDENTIALS);
  const dir = `/d${round}`;
  vfs.mkdirAt(ctx, dir, 0o755);
  const buf = new Uint8Array(64);
  return {
    create: () => {
      for (let i = 0; i < N; i++) {
        const f = vfs.openAt(ctx, `${dir}/f${i}`, { flags: O_WRONLY | O_CREAT, mode: 0o644 });
        f.write(payload);
        f.decRef();
      }
      return N;
    },
    stat: () => {
      for (let i = 0; i < N; i++) vfs.statAt(ctx, `${dir}/f${i}`, 0);
      return N;
    },
    read: () => {
      for (let i = 0; i < N; i++) {
        const f = vfs.openAt(ctx, `${dir}/f${i}`, { flags: O_RDONLY });
        f.read(buf);
        f.decRef();
      }
      return N;
    },
    readdir: () => {
      const f = vfs.openAt(ctx, dir, { flags: O_RDONLY | O_DIRECTORY });
      let n = 0;
      f.iterDirents(() => {
        n++;
        return true;
      });
      f.decRef();
      return n;
    },
  };
}

function memfsVolumeCase(round) {
  const vol = new Volume();
  const dir = `/d${round}`;
  vol.mkdirSync(dir);
  const buf = new Uint8Array(64);
  return {
    create: () => {
      for (let i = 0; i < N; i++) {
        const fd = vol.openSync(`${dir}/f${i}`, 'w', 0o644);
        vol.writeSync(fd, payload);
        vol.closeSync(fd);
      }
      return N;
    },
    stat: () => {
      for (let i = 0; i < N; i++) vol.statSync(`${dir}/f${i}`);
      return N;
    },
    read: () => {
      for (let i = 0; i < N; i++) {
        const fd = vol.openSync(`${dir}/f${i}`, 'r');
        vol.readSync(fd, buf, 0, 64, null);
        vol.closeSync(fd);
      }
      return N;
    },
    readdir: () => vol.readdirSync(dir).length,
  };
}

let round = 0;
function compare(title, makeTvisor, makeMemfs) {
  // Each operation is timed on a filesystem prepared by the create pass.
  console.log(`${title}: ${N} small files, operations per second (higher is better)`);
  for (const op of ['create', 'stat', 'read', 'readdir']) {
    const tv = makeTvisor(round++);
    const mf = makeMemfs(round++);
    if (op !== 'create') {
      tv.create();
      mf.create();
    }
    const a = time(op, tv[op]).rate;
    const b = time(op, mf[op]).rate;
    console.log(
      `  ${op.padEnd(8)} tvisor ${Math.round(a).toString().padStart(9)}  memfs ${Math.round(b).toString().padStart(9)}  tvisor/memfs ${(a / b).toFixed(2)}x`,
    );
  }
}

compare(
  'node:fs API (@tvisor/vfs/fs vs memfs fs)',
  (r) => facadeCase(tvisorFs(new TvisorVolume()), r),
  (r) => facadeCase(createFsFromVolume(new Volume()), r),
);
compare('own APIs (VirtualFilesystem vs memfs Volume)', vfsCase, memfsVolumeCase);
