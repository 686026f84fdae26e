import { AT, CAP, encodeStruct, Errno, O, RENAME, S, Statfs, Statx, STATX, SYNC_FILE_RANGE, SysError, UTIME } from '@tvisor/abi';
import { installOpened } from '../blocking-io.js';
import { hasCapability, sameCredentials, toAbiStatfs, toAbiStatx, type Credentials, type StatfsInfo, type StatInfo, type Timespec } from '@tvisor/vfs';
import { clockNow } from '../clock.js';
import type { Task } from '../task.js';
import { checkFileGrowth, readPath } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

const SYNC_FILE_RANGE_FLAGS = SYNC_FILE_RANGE.WAIT_BEFORE | SYNC_FILE_RANGE.WRITE | SYNC_FILE_RANGE.WAIT_AFTER;

/** The VFS, a path context for (dirfd, path) and the path itself: what every *at syscall starts with. */
/**
 * The path argument of a *at call with its starting point. An empty path is ENOENT before
 * the dirfd is looked at, unless `atFlags` has AT_EMPTY_PATH (then it names the dirfd's file).
 */
function at(t: Task, dirfd: number, pathAddr: number, atFlags = 0) {
  const p = readPath(t, pathAddr);
  if (p === '' && !(atFlags & AT.EMPTY_PATH)) throw new SysError(Errno.ENOENT);
  return { vfs: t.group.fs.vfs, ctx: t.group.fs.context(t, dirfd, p), p };
}

function encodeStatfs(info: StatfsInfo): Uint8Array {
  return encodeStruct(Statfs, toAbiStatfs(info));
}

function encodeStatx(st: StatInfo, mask: number): Uint8Array {
  const value = toAbiStatx(st);
  // Report only what was asked for and the basic fields, as Linux does.
  value.stx_mask = st.mask & (mask | STATX.BASIC_STATS);
  return encodeStruct(Statx, value);
}

/** utimensat's times argument: NULL means now; UTIME_NOW/UTIME_OMIT per entry. */
function readTimes(t: Task, addr: number): [Timespec, Timespec] | null {
  if (addr === 0) return null;
  const b = t.mm.copyIn(addr, 32);
  const v = new DataView(b.buffer, b.byteOffset, 32);
  const now = clockNow(0);
  const one = (off: number): Timespec => {
    const sec = Number(v.getBigInt64(off, true));
    const nsec = Number(v.getBigInt64(off + 8, true));
    if (nsec === UTIME.NOW) return { sec: Number(now / 1_000_000_000n), nsec: Number(now % 1_000_000_000n) };
    if (nsec !== UTIME.OMIT && (nsec < 0 || nsec >= 1e9)) throw new SysError(Errno.EINVAL);
    return { sec, nsec };
  };
  return [one(0), one(16)];
}

function utimensat(t: Task, dirfd: number, pathAddr: number, timesAddr: number, flags: number): number {
  const times = readTimes(t, timesAddr);
  // Both UTIME_OMIT: nothing to do, and Linux does not even look the path up.
  if (times && times[0].nsec === UTIME.OMIT && times[1].nsec === UTIME.OMIT) return 0;
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysError(Errno.EINVAL);
  if (pathAddr === 0 && dirfd !== AT.FDCWD) return utimesOfFd(t, dirfd, times, flags);
  const { vfs, ctx, p } = at(t, dirfd, pathAddr, flags);
  vfs.utimensAt(ctx, p, times, flags);
  return 0;
}

function statx(t: Task, dirfd: number, pathAddr: number, flags: number, mask: number, buf: number): number {
  if (mask & STATX.RESERVED) throw new SysError(Errno.EINVAL);
  const p = readPath(t, pathAddr);
  let st: StatInfo;
  if (p === '' && flags & AT.EMPTY_PATH) {
    st = dirfd === AT.FDCWD ? t.group.fs.vfs.statAt(t.group.fs.context(t), '.', 0) : t.group.fds.get(dirfd).stat();
  } else {
    st = t.group.fs.vfs.statAt(t.group.fs.context(t, dirfd, p), p, flags & AT.SYMLINK_NOFOLLOW);
  }
  t.mm.copyOut(buf, encodeStatx(st, mask));
  return 0;
}

/**
 * utimensat/futimesat with a NULL path name the file open at `fd` itself (futimens);
 * with AT_FDCWD a NULL path is EFAULT like any unreadable path.
 */
function utimesOfFd(t: Task, fd: number, times: readonly [Timespec, Timespec] | null, flags: number): number {
  if (flags) throw new SysError(Errno.EINVAL);
  const file = t.group.fds.getOpenFile(fd);
  t.group.fs.vfs.utimensVd(file.vd, t.group.fs.context(t).creds, times);
  return 0;
}

/**
 * linkat(fd, "", ..., AT_EMPTY_PATH) gives an open file a name, which anyone handed the fd could
 * otherwise do: as Linux (6.10), only its opener with unchanged credentials, or a holder of
 * CAP_DAC_READ_SEARCH, may; others get ENOENT.
 */
function checkLinkByFd(t: Task, dirfd: number, creds: Credentials): void {
  const opener = dirfd === AT.FDCWD ? undefined : t.group.fds.get(dirfd).creds;
  if (opener && sameCredentials(opener, creds)) return;
  if (!hasCapability(creds, CAP.DAC_READ_SEARCH)) throw new SysError(Errno.ENOENT);
}

function utimes(t: Task, dirfd: number, pathAddr: number, timesAddr: number, micro: boolean): number {
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
  if (pathAddr === 0 && dirfd !== AT.FDCWD) return utimesOfFd(t, dirfd, times, 0);
  const p = readPath(t, pathAddr);
  fs.vfs.utimensAt(fs.context(t, dirfd, p), p, times, 0);
  return 0;
}

/** Syscalls that name files by path (and their fd twins): create, remove, rename, link, attributes. */
export function registerPathSyscalls(table: SyscallTable): void {
  const ok = () => 0;
  table.register({
    mkdir: {
      args: ['str', 'oct'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        x.vfs.mkdirAt(x.ctx, x.p, a.argUint(1));
        return ok();
      },
    },
    mkdirat: {
      args: ['dirfd', 'str', 'oct'],
      handler: (t, a) => {
        const x = at(t, a.argInt(0), a.arg(1));
        x.vfs.mkdirAt(x.ctx, x.p, a.argUint(2));
        return ok();
      },
    },
    mknod: {
      args: ['str', 'oct', 'hex'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        x.vfs.mknodAt(x.ctx, x.p, a.argUint(1), a.argUint(2));
        return ok();
      },
    },
    mknodat: {
      args: ['dirfd', 'str', 'oct', 'hex'],
      handler: (t, a) => {
        const x = at(t, a.argInt(0), a.arg(1));
        x.vfs.mknodAt(x.ctx, x.p, a.argUint(2), a.argUint(3));
        return ok();
      },
    },
    rmdir: {
      args: ['str'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        x.vfs.rmdirAt(x.ctx, x.p);
        return ok();
      },
    },
    unlink: {
      args: ['str'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        x.vfs.unlinkAt(x.ctx, x.p, 0);
        return ok();
      },
    },
    unlinkat: {
      args: ['dirfd', 'str', 'hex'],
      handler: (t, a) => {
        const flags = a.argInt(2);
        if (flags & ~AT.REMOVEDIR) throw new SysError(Errno.EINVAL);
        const x = at(t, a.argInt(0), a.arg(1));
        if (flags & AT.REMOVEDIR) x.vfs.rmdirAt(x.ctx, x.p);
        else x.vfs.unlinkAt(x.ctx, x.p, 0);
        return ok();
      },
    },
    rename: {
      args: ['str', 'str'],
      handler: (t, a) => {
        const o = at(t, AT.FDCWD, a.arg(0));
        const n = at(t, AT.FDCWD, a.arg(1));
        o.vfs.renameAt(o.ctx, o.p, n.ctx, n.p, 0);
        return ok();
      },
    },
    renameat: {
      args: ['dirfd', 'str', 'dirfd', 'str'],
      handler: (t, a) => {
        const o = at(t, a.argInt(0), a.arg(1));
        const n = at(t, a.argInt(2), a.arg(3));
        o.vfs.renameAt(o.ctx, o.p, n.ctx, n.p, 0);
        return ok();
      },
    },
    renameat2: {
      args: ['dirfd', 'str', 'dirfd', 'str', 'hex'],
      handler: (t, a) => {
        const flags = a.argUint(4);
        if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE | RENAME.WHITEOUT)) throw new SysError(Errno.EINVAL);
        const o = at(t, a.argInt(0), a.arg(1));
        const n = at(t, a.argInt(2), a.arg(3));
        o.vfs.renameAt(o.ctx, o.p, n.ctx, n.p, flags);
        return ok();
      },
    },
    link: {
      args: ['str', 'str'],
      handler: (t, a) => {
        const o = at(t, AT.FDCWD, a.arg(0));
        const n = at(t, AT.FDCWD, a.arg(1));
        o.vfs.linkAt(o.ctx, o.p, n.ctx, n.p, 0);
        return ok();
      },
    },
    linkat: {
      args: ['dirfd', 'str', 'dirfd', 'str', 'hex'],
      handler: (t, a) => {
        const o = at(t, a.argInt(0), a.arg(1), a.argInt(4));
        if (o.p === '') checkLinkByFd(t, a.argInt(0), o.ctx.creds);
        const n = at(t, a.argInt(2), a.arg(3));
        o.vfs.linkAt(o.ctx, o.p, n.ctx, n.p, a.argInt(4));
        return ok();
      },
    },
    symlink: {
      args: ['str', 'str'],
      handler: (t, a) => {
        const target = readPath(t, a.arg(0));
        const x = at(t, AT.FDCWD, a.arg(1));
        x.vfs.symlinkAt(x.ctx, target, x.p);
        return ok();
      },
    },
    symlinkat: {
      args: ['str', 'dirfd', 'str'],
      handler: (t, a) => {
        const target = readPath(t, a.arg(0));
        const x = at(t, a.argInt(1), a.arg(2));
        x.vfs.symlinkAt(x.ctx, target, x.p);
        return ok();
      },
    },
    chmod: {
      args: ['str', 'oct'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        x.vfs.chmodAt(x.ctx, x.p, a.argUint(1), 0);
        return ok();
      },
    },
    fchmodat: {
      args: ['dirfd', 'str', 'oct'],
      handler: (t, a) => {
        const x = at(t, a.argInt(0), a.arg(1));
        x.vfs.chmodAt(x.ctx, x.p, a.argUint(2), 0);
        return ok();
      },
    },
    fchmod: {
      args: ['fd', 'oct'],
      handler: (t, a) => {
        const f = t.group.fds.getOpenFile(a.argInt(0));
        t.group.fs.vfs.chmodVd(f.vd, t.group.fs.context(t).creds, a.argUint(1));
        return ok();
      },
    },
    chown: {
      args: ['str', 'int', 'int'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        x.vfs.chownAt(x.ctx, x.p, a.argInt(1), a.argInt(2), 0);
        return ok();
      },
    },
    lchown: {
      args: ['str', 'int', 'int'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        x.vfs.chownAt(x.ctx, x.p, a.argInt(1), a.argInt(2), AT.SYMLINK_NOFOLLOW);
        return ok();
      },
    },
    fchownat: {
      args: ['dirfd', 'str', 'int', 'int', 'hex'],
      handler: (t, a) => {
        const x = at(t, a.argInt(0), a.arg(1), a.argInt(4));
        x.vfs.chownAt(x.ctx, x.p, a.argInt(2), a.argInt(3), a.argInt(4));
        return ok();
      },
    },
    fchown: {
      args: ['fd', 'int', 'int'],
      handler: (t, a) => {
        const f = t.group.fds.getOpenFile(a.argInt(0));
        t.group.fs.vfs.chownVd(f.vd, t.group.fs.context(t).creds, a.argInt(1), a.argInt(2));
        return ok();
      },
    },
    utimensat: { args: ['dirfd', 'str', 'ptr', 'hex'], handler: (t, a) => utimensat(t, a.argInt(0), a.arg(1), a.arg(2), a.argInt(3)) },
    truncate: {
      args: ['str', 'int'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        checkFileGrowth(t, () => x.vfs.statAt(x.ctx, x.p), a.argSigned(1));
        x.vfs.truncateAt(x.ctx, x.p, a.argSigned(1));
        const st = x.vfs.statAt(x.ctx, x.p);
        t.kernel.fileTruncated(st.dev, st.ino, st.size);
        return ok();
      },
    },
    ftruncate: {
      args: ['fd', 'int'],
      handler: (t, a) => {
        const file = t.group.fds.get(a.argInt(0));
        if (file.writable) checkFileGrowth(t, () => file.stat(), a.argSigned(1));
        file.truncate(a.argSigned(1));
        const st = file.stat();
        t.kernel.fileTruncated(st.dev, st.ino, st.size);
        return ok();
      },
    },
    fsync: {
      args: ['fd'],
      handler: (t, a) => {
        t.group.fds.get(a.argInt(0)).sync();
        return ok();
      },
    },
    fdatasync: {
      args: ['fd'],
      handler: (t, a) => {
        t.group.fds.get(a.argInt(0)).sync();
        return ok();
      },
    },
    sync: { args: [], handler: ok },
    syncfs: {
      args: ['fd'],
      handler: (t, a) => {
        t.group.fds.get(a.argInt(0));
        return ok();
      },
    },
    statfs: {
      args: ['str', 'ptr'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        t.mm.copyOut(a.arg(1), encodeStatfs(x.vfs.statfsAt(x.ctx, x.p)));
        return ok();
      },
    },
    fstatfs: {
      args: ['fd', 'ptr'],
      handler: (t, a) => {
        const f = t.group.fds.get(a.argInt(0));
        t.mm.copyOut(a.arg(1), encodeStatfs(t.group.fs.vfs.statfsVd(f.vd)));
        return ok();
      },
    },
    statx: {
      args: ['dirfd', 'str', 'hex', 'hex', 'ptr'],
      support: 'partial',
      note: 'no stx_attributes or mount ids',
      handler: (t, a) => statx(t, a.argInt(0), a.arg(1), a.argInt(2), a.argUint(3), a.arg(4)),
    },
    umask: {
      args: ['oct'],
      handler: (t, a) => {
        const old = t.group.fs.umask;
        t.group.fs.umask = a.argUint(0) & 0o777;
        return old;
      },
    },
    fchdir: {
      args: ['fd'],
      handler: (t, a) => {
        const f = t.group.fds.get(a.argInt(0));
        t.group.fs.vfs.checkSearchableDirectory(f.vd, t.group.fs.context(t).creds);
        t.group.fs.cwd = f.vd;
        return ok();
      },
    },
    creat: {
      args: ['str', 'oct'],
      handler: (t, a) => {
        const x = at(t, AT.FDCWD, a.arg(0));
        const file = x.vfs.openAt(x.ctx, x.p, { flags: O.CREAT | O.WRONLY | O.TRUNC, mode: a.argUint(1) });
        return installOpened(t, file, false);
      },
    },
    chroot: {
      args: ['str'],
      handler: (t, a) => {
        const fs = t.group.fs;
        const p = readPath(t, a.arg(0));
        // As Linux orders it: lookup (ENOENT, ENOTDIR), search permission (EACCES), then CAP_SYS_CHROOT (EPERM).
        fs.root = fs.vfs.resolveChroot(fs.context(t, AT.FDCWD, p), p);
        return 0;
      },
    },
    utime: { args: ['str', 'ptr'], handler: (t, a) => utimes(t, AT.FDCWD, a.arg(0), a.arg(1), false) },
    utimes: { args: ['str', 'ptr'], handler: (t, a) => utimes(t, AT.FDCWD, a.arg(0), a.arg(1), true) },
    futimesat: { args: ['dirfd', 'str', 'ptr'], handler: (t, a) => utimes(t, a.argInt(0), a.arg(1), a.arg(2), true) },
    sync_file_range: {
      args: ['fd', 'int', 'int', 'hex'],
      handler: (t, a) => {
        const file = t.group.fds.get(a.argInt(0));
        // Linux's sync_file_range: unknown flags, a negative offset or length, or a range past 2^63 are EINVAL.
        if ((a.argUint(3) & ~SYNC_FILE_RANGE_FLAGS) !== 0) throw new SysError(Errno.EINVAL);
        const offset = BigInt.asIntN(64, a.argBig(1));
        const end = offset + BigInt.asIntN(64, a.argBig(2));
        if (offset < 0n || end < offset || end > 2n ** 63n - 1n) throw new SysError(Errno.EINVAL);
        const type = file.stat().mode & S.IFMT;
        if (type !== S.IFREG && type !== S.IFBLK && type !== S.IFDIR && type !== S.IFLNK) throw new SysError(Errno.ESPIPE);
        file.sync();
        return 0;
      },
    },
  });
}
