import { totalmem } from 'node:os';
import { CAP, AT, Errno, MOUNT, PAGE_SIZE, SysError } from '@tvisor/abi';
import { TmpfsFilesystem, makePrivate, makeShared, makeSlave, makeUnbindable, sameVd, type Filesystem, type Mount, type MountFlags } from '@tvisor/vfs';
import { mqueueFilesystem } from '../fs/mqueue/mqueue-fs.js';
import type { Task } from '../task.js';
import { readPath } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';
import { hasCapability } from '../credentials.js';

const PROPAGATION_FLAGS = MOUNT.SHARED | MOUNT.PRIVATE | MOUNT.SLAVE | MOUNT.UNBINDABLE;
/** mount(2)'s data argument is at most a page. */
const MAX_DATA = PAGE_SIZE;

/** Per-mount flags from mount(2) flags. */
function mountFlags(flags: number): MountFlags {
  return {
    readOnly: (flags & MOUNT.RDONLY) !== 0,
    noSuid: (flags & MOUNT.NOSUID) !== 0,
    noDev: (flags & MOUNT.NODEV) !== 0,
    noExec: (flags & MOUNT.NOEXEC) !== 0,
  };
}

/** A size for tmpfs's size= option: bytes with an optional k/m/g/t/p/e suffix, or a percentage of memory. */
function parseSize(value: string, totalMemory: number): number {
  const m = /^(\d+)([kmgtpe%]?)$/i.exec(value);
  if (!m) throw new SysError(Errno.EINVAL);
  const n = Number(m[1]);
  const suffix = m[2].toLowerCase();
  if (suffix === '%') return Math.floor((totalMemory * n) / 100);
  const shift = { '': 0, k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 }[suffix] ?? 0;
  return n * 2 ** shift;
}

function parseNumber(value: string, radix: number): number {
  if (!/^[0-9a-fA-F]+$/.test(value)) throw new SysError(Errno.EINVAL);
  const n = parseInt(value, radix);
  if (!Number.isFinite(n)) throw new SysError(Errno.EINVAL);
  return n;
}

/** tmpfs's mount options (tmpfs(5)): mode, uid, gid, size, nr_blocks; nr_inodes and the memory-policy ones are accepted. EINVAL for the rest. */
export function tmpfsOptions(data: string, totalMemory: number): { mode: number; uid?: number; gid?: number; maxBytes?: number } {
  const out: { mode: number; uid?: number; gid?: number; maxBytes?: number } = { mode: 0o1777 };
  for (const opt of data.split(',')) {
    if (opt === '') continue;
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? null : opt.slice(eq + 1);
    if (value === null || value === '') throw new SysError(Errno.EINVAL);
    switch (key) {
      case 'mode':
        out.mode = parseNumber(value, 8) & 0o7777;
        break;
      case 'uid':
        out.uid = parseNumber(value, 10);
        break;
      case 'gid':
        out.gid = parseNumber(value, 10);
        break;
      case 'size':
        out.maxBytes = Math.ceil(parseSize(value, totalMemory) / PAGE_SIZE) * PAGE_SIZE;
        break;
      case 'nr_blocks':
        out.maxBytes = parseSize(value, totalMemory) * PAGE_SIZE;
        break;
      case 'nr_inodes':
      case 'mpol':
      case 'huge':
        break;
      default:
        throw new SysError(Errno.EINVAL);
    }
  }
  return out;
}

/** A new instance of the filesystem type `type`, or ENODEV. */
function newFilesystem(t: Task, type: string, data: string): Filesystem {
  switch (type) {
    case 'tmpfs': {
      const opts = tmpfsOptions(data, totalmem());
      return new TmpfsFilesystem({ ...opts, pages: t.kernel.filePages });
    }
    case 'mqueue':
      // Every mount shows the IPC namespace's one set of queues.
      return mqueueFilesystem(t.kernel).fs;
    case 'proc': {
      // procfs is one per PID namespace: a new mount shows the same one.
      const proc = t.group.fs.vfs.mounts().find((m: Mount) => m.fs.type === 'proc');
      if (!proc) throw new SysError(Errno.ENODEV);
      return proc.fs;
    }
    default:
      throw new SysError(Errno.ENODEV);
  }
}

/** mount(2): new tmpfs/mqueue/proc mounts, bind mounts, remounts, MS_MOVE and propagation changes. */
function mount(t: Task, sourceAddr: number, targetAddr: number, typeAddr: number, rawFlags: number, dataAddr: number): number {
  if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
  // The old magic number some callers still put in the flags' top half is ignored, as Linux does.
  const flags = (rawFlags & MOUNT.MGC_MSK) >>> 0 === MOUNT.MGC_VAL ? rawFlags & ~MOUNT.MGC_MSK : rawFlags;
  const fs = t.group.fs;
  const target = readPath(t, targetAddr);
  const ctx = fs.context(t, AT.FDCWD, target);
  const data = dataAddr === 0 ? '' : t.mm.readCString(dataAddr, MAX_DATA);
  if (flags & MOUNT.REMOUNT) {
    // A remount sets the per-mount flags to exactly those given.
    fs.vfs.remount(ctx, target, mountFlags(flags));
    return 0;
  }
  if (flags & MOUNT.BIND) {
    const source = readPath(t, sourceAddr);
    fs.vfs.bindMount(fs.context(t, AT.FDCWD, source), source, ctx, target, { ...mountFlags(flags), recursive: (flags & MOUNT.REC) !== 0 });
    return 0;
  }
  const propagation = flags & PROPAGATION_FLAGS;
  if (propagation) {
    // Exactly one propagation type; only MS_REC and MS_SILENT may come with it.
    if ((propagation & (propagation - 1)) !== 0) throw new SysError(Errno.EINVAL);
    if (flags & ~(PROPAGATION_FLAGS | MOUNT.REC | MOUNT.SILENT)) throw new SysError(Errno.EINVAL);
    const change =
      propagation === MOUNT.SHARED ? makeShared : propagation === MOUNT.PRIVATE ? makePrivate : propagation === MOUNT.SLAVE ? makeSlave : makeUnbindable;
    fs.vfs.setPropagation(ctx, target, change, (flags & MOUNT.REC) !== 0);
    return 0;
  }
  if (flags & MOUNT.MOVE) {
    const source = readPath(t, sourceAddr);
    fs.vfs.moveMount(fs.context(t, AT.FDCWD, source), source, ctx, target);
    return 0;
  }
  const type = typeAddr === 0 ? '' : t.mm.readCString(typeAddr, 64);
  const m = fs.vfs.mount(ctx, target, newFilesystem(t, type, data), mountFlags(flags));
  m.source = sourceAddr === 0 ? 'none' : t.mm.readCString(sourceAddr, PAGE_SIZE) || 'none';
  return 0;
}

/** pivot_root(2): the new root mount replaces the caller's root mount; processes rooted (or working) at the old root move to the new one. */
function pivotRoot(t: Task, newRootAddr: number, putOldAddr: number): number {
  if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
  const fs = t.group.fs;
  const newRootPath = readPath(t, newRootAddr);
  const putOldPath = readPath(t, putOldAddr);
  const oldRoot = fs.root;
  const newRoot = fs.vfs.pivotRoot(fs.context(t, AT.FDCWD, newRootPath), newRootPath, putOldPath);
  for (const task of t.kernel.tasks.values()) {
    const other = task.group.fs;
    if (other.vfs !== fs.vfs) continue;
    if (sameVd(other.root, oldRoot)) other.root = newRoot;
    if (sameVd(other.cwd, oldRoot)) other.cwd = newRoot;
  }
  return 0;
}

/** Mounting: mount, umount2, pivot_root. */
export function registerMountSyscalls(table: SyscallTable): void {
  table.register({
    mount: {
      args: ['str', 'str', 'str', 'hex', 'ptr'],
      support: 'partial',
      note: 'tmpfs (mode/uid/gid/size options), mqueue, proc, bind mounts, remounts, MS_MOVE, shared/private/slave/unbindable propagation',
      handler: (t, a) => mount(t, a.arg(0), a.arg(1), a.arg(2), a.arg(3), a.arg(4)),
    },
    pivot_root: {
      args: ['str', 'str'],
      handler: (t, a) => pivotRoot(t, a.arg(0), a.arg(1)),
    },
    umount2: {
      args: ['str', 'hex'],
      handler: (t, a) => {
        if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
        const fs = t.group.fs;
        const p = readPath(t, a.arg(0));
        fs.vfs.umount(fs.context(t, AT.FDCWD, p), p, a.argInt(1));
        return 0;
      },
    },
  });
}
