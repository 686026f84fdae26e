import { AT, Errno, MOUNT, S, SysError } from '@tvisor/abi';
import { TmpfsFilesystem } from '@tvisor/vfs';
import type { Task } from '../task.js';
import { readPath } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const LINUX_CAPABILITY_VERSION_1 = 0x19980330;
/** All 41 capabilities (CAP_LAST_CAP 40), the bounding set of a root sandbox process. */
const ALL_CAPS = (1n << 41n) - 1n;

function utimes(t: Task, dirfd: number, pathAddr: number, timesAddr: number, micro: boolean): number {
  const p = readPath(t, pathAddr);
  const fs = t.group.fs;
  let times: [{ sec: number; nsec: number }, { sec: number; nsec: number }] | null = null;
  if (timesAddr !== 0) {
    const raw = t.mm.copyIn(timesAddr, micro ? 32 : 16);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (micro) {
      const tv = (off: number) => {
        const usec = Number(v.getBigInt64(off + 8, true));
        if (usec < 0 || usec >= 1e6) throw new SysError(Errno.EINVAL);
        return { sec: Number(v.getBigInt64(off, true)), nsec: usec * 1000 };
      };
      times = [tv(0), tv(16)];
    } else {
      times = [
        { sec: Number(v.getBigInt64(0, true)), nsec: 0 },
        { sec: Number(v.getBigInt64(8, true)), nsec: 0 },
      ];
    }
  }
  fs.vfs.utimensAt(fs.context(t.group.fds, dirfd, p), p, times, 0);
  return 0;
}

/** The old getdents(2) record: ino, off, reclen, name, NUL, padding, then d_type in the last byte. */
function getdents(t: Task, fd: number, addr: number, count: number): number {
  const file = t.group.fds.get(fd);
  if ((file.stat().mode & S.IFMT) !== S.IFDIR) throw new SysError(Errno.ENOTDIR);
  const out = new Uint8Array(Math.min(count, 1 << 20));
  const v = new DataView(out.buffer);
  const enc = new TextEncoder();
  let used = 0;
  let tooSmall = false;
  file.iterDirents((d) => {
    const name = enc.encode(d.name);
    const reclen = (18 + name.length + 2 + 7) & ~7;
    if (used + reclen > out.length) {
      tooSmall = used === 0;
      return false;
    }
    v.setBigUint64(used, BigInt(d.ino), true);
    v.setBigInt64(used + 8, BigInt(d.nextOff), true);
    v.setUint16(used + 16, reclen, true);
    out.set(name, used + 18);
    out[used + 18 + name.length] = 0;
    out[used + reclen - 1] = d.type;
    used += reclen;
    return true;
  });
  if (tooSmall) throw new SysError(Errno.EINVAL);
  t.mm.copyOut(addr, out.subarray(0, used));
  return used;
}

/** mount(2) of what a sandbox may mount: tmpfs instances, bind mounts and remounts. */
function mount(t: Task, sourceAddr: number, targetAddr: number, typeAddr: number, flags: number): number {
  if (t.group.creds.euid !== 0) throw new SysError(Errno.EPERM);
  const fs = t.group.fs;
  const target = readPath(t, targetAddr);
  const ctx = fs.context(t.group.fds, AT.FDCWD, target);
  const readOnly = (flags & MOUNT.RDONLY) !== 0;
  if (flags & MOUNT.REMOUNT) {
    fs.vfs.remount(ctx, target, { readOnly });
    return 0;
  }
  if (flags & MOUNT.BIND) {
    const source = readPath(t, sourceAddr);
    fs.vfs.bindMount(fs.context(t.group.fds, AT.FDCWD, source), source, ctx, target, { readOnly, recursive: (flags & MOUNT.REC) !== 0 });
    return 0;
  }
  const type = typeAddr === 0 ? '' : t.mm.readCString(typeAddr, 64);
  if (type !== 'tmpfs') throw new SysError(Errno.ENODEV);
  fs.vfs.mount(ctx, target, new TmpfsFilesystem({ mode: 0o1777, pages: t.kernel.filePages }), { readOnly, noExec: (flags & MOUNT.NOEXEC) !== 0 });
  return 0;
}

/** Odds and ends: utime(s), the old getdents, capabilities, mount, scheduling and I/O priorities. */
export function registerMiscSyscalls(table: SyscallTable): void {
  table.register({
    utime: { args: ['str', 'ptr'], handler: (t, a) => utimes(t, AT.FDCWD, a.arg(0), a.arg(1), false) },
    utimes: { args: ['str', 'ptr'], handler: (t, a) => utimes(t, AT.FDCWD, a.arg(0), a.arg(1), true) },
    futimesat: { args: ['dirfd', 'str', 'ptr'], handler: (t, a) => utimes(t, a.argInt(0), a.arg(1), a.arg(2), true) },
    getdents: { args: ['fd', 'ptr', 'uint'], handler: (t, a) => getdents(t, a.argInt(0), a.arg(1), a.argUint(2)) },
    capget: {
      args: ['ptr', 'ptr'],
      support: 'partial',
      note: 'root holds every capability, others none; capset accepts only what is already held',
      handler: (t, a) => {
        const hdr = t.mm.copyIn(a.arg(0), 8);
        const hv = new DataView(hdr.buffer, hdr.byteOffset, 8);
        const version = hv.getUint32(0, true);
        if (version !== LINUX_CAPABILITY_VERSION_3 && version !== LINUX_CAPABILITY_VERSION_1 && version !== 0x20071026) {
          hv.setUint32(0, LINUX_CAPABILITY_VERSION_3, true);
          t.mm.copyOut(a.arg(0), hdr);
          if (a.arg(1) === 0) return 0;
          throw new SysError(Errno.EINVAL);
        }
        if (a.arg(1) === 0) return 0;
        const caps = t.group.creds.euid === 0 ? ALL_CAPS : 0n;
        const words = version === LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
        const out = new Uint8Array(12 * words);
        const ov = new DataView(out.buffer);
        for (let i = 0; i < words; i++) {
          const w = Number((caps >> BigInt(32 * i)) & 0xffffffffn);
          ov.setUint32(i * 12, w, true);
          ov.setUint32(i * 12 + 4, w, true);
          ov.setUint32(i * 12 + 8, 0, true);
        }
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
    capset: {
      args: ['ptr', 'ptr'],
      support: 'partial',
      note: 'accepts sets no larger than those held; nothing is dropped',
      handler: (t, a) => {
        const raw = t.mm.copyIn(a.arg(1), 24);
        const v = new DataView(raw.buffer, raw.byteOffset, 24);
        const held = t.group.creds.euid === 0 ? ALL_CAPS : 0n;
        const eff = BigInt(v.getUint32(0, true)) | (BigInt(v.getUint32(12, true)) << 32n);
        if (eff & ~held) throw new SysError(Errno.EPERM);
        return 0;
      },
    },
    membarrier: {
      args: ['int', 'hex', 'int'],
      support: 'partial',
      note: 'QUERY reports no commands: glibc and runtimes fall back',
      handler: (_t, a) => {
        if (a.argInt(0) === 0) return 0;
        throw new SysError(Errno.EINVAL);
      },
    },
    sync_file_range: { args: ['fd', 'int', 'int', 'hex'], handler: (t, a) => (t.group.fds.get(a.argInt(0)).sync(), 0) },
    ioprio_get: { args: ['int', 'int'], handler: () => (2 << 13) | 4 },
    ioprio_set: { args: ['int', 'int', 'int'], handler: () => 0 },
    sched_setparam: { args: ['int', 'ptr'], handler: (t, a) => (t.mm.copyIn(a.arg(1), 4), 0) },
    sched_setscheduler: {
      args: ['int', 'int', 'ptr'],
      support: 'partial',
      note: 'SCHED_OTHER/BATCH/IDLE accepted; real-time policies need privileges the sandbox does not grant',
      handler: (t, a) => {
        const policy = a.argInt(1) & ~0x40000000;
        if (policy === 1 || policy === 2) throw new SysError(Errno.EPERM);
        if (policy !== 0 && policy !== 3 && policy !== 5) throw new SysError(Errno.EINVAL);
        t.mm.copyIn(a.arg(2), 4);
        return 0;
      },
    },
    sched_rr_get_interval: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const out = new Uint8Array(16);
        new DataView(out.buffer).setBigInt64(8, 100_000_000n, true);
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
    mount: {
      args: ['str', 'str', 'str', 'hex', 'ptr'],
      support: 'partial',
      note: 'tmpfs, bind mounts and remounts (read-only toggling) only',
      handler: (t, a) => mount(t, a.arg(0), a.arg(1), a.arg(2), a.arg(3)),
    },
    umount2: {
      args: ['str', 'hex'],
      handler: (t, a) => {
        if (t.group.creds.euid !== 0) throw new SysError(Errno.EPERM);
        const fs = t.group.fs;
        const p = readPath(t, a.arg(0));
        fs.vfs.umount(fs.context(t.group.fds, AT.FDCWD, p), p, a.argInt(1));
        return 0;
      },
    },
    restart_syscall: {
      args: [],
      note: 'resumes nanosleep/clock_nanosleep to their original deadline',
      handler: (t) => {
        const resume = t.restartBlock;
        t.restartBlock = undefined;
        if (!resume) throw new SysError(Errno.EINTR);
        return resume();
      },
    },
  });
}
