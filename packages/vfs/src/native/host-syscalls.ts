import { AT, Errno, SysError } from '../abi.js';
import type { StatfsInfo, StatInfo } from '../stat.js';
import { NR, raw } from './libc.js';

/** Host open flags used here (x86-64 values, same as the guest's). */
const O_PATH = 0o10000000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const O_DIRECTORY = 0o200000;
export const HOST_AT_EMPTY_PATH = AT.EMPTY_PATH;

/** openat2 RESOLVE_* flags. */
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;

function check(ret: number): number {
  if (ret < 0) throw new SysError(raw.errno() || Errno.EIO);
  return ret;
}

const openHow = new BigUint64Array(3);

/**
 * Open `name` (one path component, never "..") beneath directory `dirfd`,
 * confined by RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS and
 * O_NOFOLLOW: the host kernel guarantees the result lies under `dirfd`.
 * Always O_CLOEXEC so host fds never reach a spawned application.
 */
export function openBeneath(dirfd: number, name: string, flags: number, mode = 0): number {
  openHow[0] = BigInt((flags | O_NOFOLLOW | O_CLOEXEC) >>> 0);
  // open_how.mode must be 0 unless O_CREAT/O_TMPFILE is set.
  openHow[1] = BigInt(mode);
  openHow[2] = BigInt(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
  for (;;) {
    const fd = raw.openat2(NR.openat2, dirfd, name, openHow, 24);
    if (fd >= 0) return fd;
    const e = raw.errno();
    if (e === Errno.EAGAIN || e === Errno.EINTR) continue; // openat2 may ask to retry on concurrent renames
    throw new SysError(e || Errno.EIO);
  }
}

/** An O_PATH handle on `name` under `dirfd` (never following a final symlink). */
export function openPathBeneath(dirfd: number, name: string): number {
  return openBeneath(dirfd, name, O_PATH);
}

/** Open the host directory that becomes a filesystem root (the only absolute host path ever opened). */
export function openRootDir(hostPath: string): number {
  openHow[0] = BigInt(O_PATH | O_DIRECTORY | O_CLOEXEC);
  openHow[1] = 0n;
  openHow[2] = 0n;
  return check(raw.openat2(NR.openat2, AT.FDCWD, hostPath, openHow, 24));
}

/** A close-on-exec duplicate of `fd` (F_DUPFD_CLOEXEC). */
export function dupCloexec(fd: number): number {
  const F_DUPFD_CLOEXEC = 1030;
  return check(raw.fcntlInt(fd, F_DUPFD_CLOEXEC, 0));
}

export function close(fd: number): void {
  raw.close(fd);
}

/** pread straight into the caller's buffer (no intermediate copy). */
export function pread(fd: number, dst: Uint8Array, offset: number): number {
  for (;;) {
    const n = raw.pread(fd, dst, dst.length, offset);
    if (n >= 0) return n;
    if (raw.errno() !== Errno.EINTR) throw new SysError(raw.errno() || Errno.EIO);
  }
}

/** read(2) at the fd's own offset, straight into `dst`. */
export function read(fd: number, dst: Uint8Array): number {
  for (;;) {
    const n = raw.read(fd, dst, dst.length);
    if (n >= 0) return n;
    if (raw.errno() !== Errno.EINTR) throw new SysError(raw.errno() || Errno.EIO);
  }
}

/** write(2) at the fd's own offset. */
export function write(fd: number, src: Uint8Array): number {
  for (;;) {
    const n = raw.write(fd, src, src.length);
    if (n >= 0) return n;
    if (raw.errno() !== Errno.EINTR) throw new SysError(raw.errno() || Errno.EIO);
  }
}

export function pwrite(fd: number, src: Uint8Array, offset: number): number {
  for (;;) {
    const n = raw.pwrite(fd, src, src.length, offset);
    if (n >= 0) return n;
    if (raw.errno() !== Errno.EINTR) throw new SysError(raw.errno() || Errno.EIO);
  }
}

const statxBuf = new Uint8Array(256);
const statxView = new DataView(statxBuf.buffer);
const STATX_ALL = 0xfff;

/** statx of the file `fd` refers to (works on O_PATH fds). */
export function fstatx(fd: number): StatInfo {
  check(raw.statx(fd, '', HOST_AT_EMPTY_PATH | AT.SYMLINK_NOFOLLOW | AT.STATX_SYNC_AS_STAT, STATX_ALL, statxBuf));
  const v = statxView;
  const u64 = (o: number) => Number(v.getBigUint64(o, true));
  const ts = (o: number) => ({ sec: Number(v.getBigInt64(o, true)), nsec: v.getUint32(o + 8, true) });
  const rdevMajor = v.getUint32(128, true);
  const rdevMinor = v.getUint32(132, true);
  const devMajor = v.getUint32(136, true);
  const devMinor = v.getUint32(140, true);
  return {
    mask: v.getUint32(0, true),
    blksize: v.getUint32(4, true),
    nlink: v.getUint32(16, true),
    uid: v.getUint32(20, true),
    gid: v.getUint32(24, true),
    mode: v.getUint16(28, true),
    ino: u64(32),
    size: u64(40),
    blocks: u64(48),
    atime: ts(64),
    btime: ts(80),
    ctime: ts(96),
    mtime: ts(112),
    rdev: encodeDev(rdevMajor, rdevMinor),
    dev: encodeDev(devMajor, devMinor),
  };
}

/** glibc's makedev encoding, kept in a JS number. */
function encodeDev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) * 0x1000 + (major & ~0xfff) * 0x100000000);
}

const linkBuf = new Uint8Array(4096);
const decoder = new TextDecoder();

/** The target of the symlink `fd` (an O_PATH handle) refers to. */
export function readlinkFd(fd: number): string {
  const n = check(raw.readlinkat(fd, '', linkBuf, linkBuf.length));
  return decoder.decode(linkBuf.subarray(0, n));
}

/** One raw host directory entry. */
export interface HostDirent {
  ino: number;
  type: number;
  name: string;
}

/** All entries of the open directory `fd` (except "." and ".."), read to the end. */
export function readDirAll(fd: number): HostDirent[] {
  const buf = new Uint8Array(32768);
  const view = new DataView(buf.buffer);
  const out: HostDirent[] = [];
  for (;;) {
    const n = check(raw.getdents64(NR.getdents64, fd, buf, buf.length));
    if (n === 0) return out;
    for (let off = 0; off < n;) {
      const reclen = view.getUint16(off + 16, true);
      const type = buf[off + 18];
      let end = off + 19;
      while (buf[end] !== 0) end++;
      const name = decoder.decode(buf.subarray(off + 19, end));
      if (name !== '.' && name !== '..') out.push({ ino: Number(view.getBigUint64(off, true)), type, name });
      off += reclen;
    }
  }
}

export function mkdirat(dirfd: number, name: string, mode: number): void {
  check(raw.mkdirat(dirfd, name, mode));
}
export function mknodat(dirfd: number, name: string, mode: number, dev: number): void {
  check(raw.mknodat(dirfd, name, mode, dev));
}
export function symlinkat(target: string, dirfd: number, name: string): void {
  check(raw.symlinkat(target, dirfd, name));
}
/** Hard-link the file behind O_PATH handle `fd` as `name` in `dirfd`. */
export function linkFd(fd: number, dirfd: number, name: string): void {
  check(raw.linkat(fd, '', dirfd, name, HOST_AT_EMPTY_PATH));
}
export function unlinkat(dirfd: number, name: string, flags: number): void {
  check(raw.unlinkat(dirfd, name, flags));
}
export function renameat2(olddirfd: number, oldname: string, newdirfd: number, newname: string, flags: number): void {
  check(raw.renameat2(olddirfd, oldname, newdirfd, newname, flags));
}
/** chmod through an O_PATH handle (fchmodat2 with AT_EMPTY_PATH: no path is re-resolved). */
export function chmodFd(fd: number, mode: number): void {
  check(raw.fchmodat2(NR.fchmodat2, fd, '', mode, HOST_AT_EMPTY_PATH));
}
export function chownFd(fd: number, uid: number, gid: number): void {
  check(raw.fchownat(fd, '', uid >>> 0, gid >>> 0, HOST_AT_EMPTY_PATH | AT.SYMLINK_NOFOLLOW));
}
const UTIME_OMIT = (1 << 30) - 2;
/** Set times through an O_PATH handle; undefined leaves a time alone. */
export function utimensFd(fd: number, atime?: { sec: number; nsec: number }, mtime?: { sec: number; nsec: number }): void {
  const t = new BigInt64Array([BigInt(atime?.sec ?? 0), BigInt(atime?.nsec ?? UTIME_OMIT), BigInt(mtime?.sec ?? 0), BigInt(mtime?.nsec ?? UTIME_OMIT)]);
  check(raw.utimensat(fd, '', t, HOST_AT_EMPTY_PATH | AT.SYMLINK_NOFOLLOW));
}
/**
 * truncate(2) by host path. Never used by the host filesystem (which only
 * reaches files through handles); the differential tests use it to drive
 * the host kernel as their oracle.
 */
export function truncatePath(path: string, size: number): void {
  check(raw.truncate(path, size));
}
export function ftruncate(fd: number, size: number): void {
  check(raw.ftruncate(fd, size));
}
export function fallocate(fd: number, mode: number, offset: number, len: number): void {
  check(raw.fallocate(fd, mode, offset, len));
}
export function fsync(fd: number): void {
  check(raw.fsync(fd));
}
export function lseek(fd: number, offset: number, whence: number): number {
  return check(raw.lseek(fd, offset, whence));
}

/** statfs(2) of the filesystem `fd` lives on (works on O_PATH fds). */
export function fstatfs(fd: number): StatfsInfo {
  const buf = new Uint8Array(120);
  check(raw.fstatfs(fd, buf));
  const v = new DataView(buf.buffer);
  const i64 = (o: number) => Number(v.getBigInt64(o, true));
  return {
    type: i64(0),
    bsize: i64(8),
    blocks: i64(16),
    bfree: i64(24),
    bavail: i64(32),
    files: i64(40),
    ffree: i64(48),
    fsid: [v.getInt32(56, true), v.getInt32(60, true)],
    namelen: i64(64),
    frsize: i64(72),
    flags: i64(80),
  };
}

export function fgetxattr(fd: number, name: string): Uint8Array {
  for (;;) {
    const size = check(raw.fgetxattr(fd, name, null, 0));
    const buf = new Uint8Array(size);
    const n = raw.fgetxattr(fd, name, buf, size);
    if (n >= 0) return buf.subarray(0, n);
    if (raw.errno() !== Errno.ERANGE) throw new SysError(raw.errno());
  }
}
export function fsetxattr(fd: number, name: string, value: Uint8Array, flags: number): void {
  check(raw.fsetxattr(fd, name, value, value.length, flags));
}
export function flistxattr(fd: number): string[] {
  for (;;) {
    const size = check(raw.flistxattr(fd, null, 0));
    const buf = new Uint8Array(size);
    const n = raw.flistxattr(fd, buf, size);
    if (n >= 0)
      return decoder
        .decode(buf.subarray(0, n))
        .split('\0')
        .filter((s) => s !== '');
    if (raw.errno() !== Errno.ERANGE) throw new SysError(raw.errno());
  }
}
export function fremovexattr(fd: number, name: string): void {
  check(raw.fremovexattr(fd, name));
}

/**
 * What identifies a host file across reopenings: inode numbers are reused
 * as soon as a file is deleted, so the birth time (when the host filesystem
 * records one) tells a new file from the old one.
 */
export interface FileIdentity {
  dev: number;
  ino: number;
  btime: { sec: number; nsec: number } | null;
}

/** Do two identities name the same file? */
export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  if (a.dev !== b.dev || a.ino !== b.ino) return false;
  if (!a.btime || !b.btime) return true;
  return a.btime.sec === b.btime.sec && a.btime.nsec === b.btime.nsec;
}

/** Identity of a stat result (btime only if statx reported it). */
export function identityOf(st: StatInfo): FileIdentity {
  return { dev: st.dev, ino: st.ino, btime: st.mask & 0x800 ? st.btime : null };
}

/**
 * (dev, ino, btime) of the entry `name` in `dirfd` without following a symlink, or
 * null if absent. `name` must be a single component (no "/", not ".."), so
 * the lookup cannot leave `dirfd`.
 */
export function entryIdentity(dirfd: number, name: string): FileIdentity | null {
  if (name.includes('/') || name === '..' || name === '.' || name === '') throw new SysError(Errno.EINVAL);
  const r = raw.statx(dirfd, name, AT.SYMLINK_NOFOLLOW, 0x900, statxBuf);
  if (r < 0) {
    const e = raw.errno();
    if (e === Errno.ENOENT || e === Errno.ENOTDIR) return null;
    throw new SysError(e || Errno.EIO);
  }
  const devMajor = statxView.getUint32(136, true);
  const devMinor = statxView.getUint32(140, true);
  return {
    dev: encodeDev(devMajor, devMinor),
    ino: Number(statxView.getBigUint64(32, true)),
    btime: statxView.getUint32(0, true) & 0x800 ? { sec: Number(statxView.getBigInt64(80, true)), nsec: statxView.getUint32(88, true) } : null,
  };
}

/** linkat between two single-component names under directory handles, never following symlinks. */
export function linkNames(olddirfd: number, oldname: string, newdirfd: number, newname: string): void {
  for (const n of [oldname, newname]) if (n.includes('/') || n === '..' || n === '.') throw new SysError(Errno.EINVAL);
  check(raw.linkat(olddirfd, oldname, newdirfd, newname, 0));
}
