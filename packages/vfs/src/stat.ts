import { DT, S } from './abi.js';

/** A point in time as Linux stores it: seconds and nanoseconds since the epoch. */
export interface Timespec {
  sec: number;
  nsec: number;
}

/**
 * Everything stat(2)/statx(2) report about an inode. `mask` says which
 * statx fields are valid (STATX.* bits); stat(2) callers ignore it.
 */
export interface StatInfo {
  mask: number;
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  btime: Timespec;
}

/** statfs(2) result. */
export interface StatfsInfo {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: [number, number];
  namelen: number;
  frsize: number;
  flags: number;
}

/**
 * An attribute change, already permission-checked by the VFS. Absent fields
 * are left alone. Times are absolute (UTIME_NOW resolved by the VFS).
 */
export interface SetStatRequest {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec;
  mtime?: Timespec;
}

export const fileType = (mode: number): number => mode & S.IFMT;
export const isDir = (mode: number): boolean => (mode & S.IFMT) === S.IFDIR;
export const isSymlink = (mode: number): boolean => (mode & S.IFMT) === S.IFLNK;
export const isRegular = (mode: number): boolean => (mode & S.IFMT) === S.IFREG;

/** The d_type a directory entry reports for a file mode. */
export function direntType(mode: number): number {
  switch (mode & S.IFMT) {
    case S.IFREG: return DT.REG;
    case S.IFDIR: return DT.DIR;
    case S.IFLNK: return DT.LNK;
    case S.IFCHR: return DT.CHR;
    case S.IFBLK: return DT.BLK;
    case S.IFIFO: return DT.FIFO;
    case S.IFSOCK: return DT.SOCK;
    default: return DT.UNKNOWN;
  }
}

/** The current wall-clock time as a Timespec. */
export function nowTimespec(): Timespec {
  const ms = Date.now();
  // performance.now() adds sub-millisecond resolution so that successive
  // updates are ordered the way a real clock would order them.
  const frac = typeof performance !== 'undefined' ? performance.now() % 1 : 0;
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 + Math.floor(frac * 1_000_000) };
}

/** Linux device number encoding (new_encode_dev / MKDEV for 32-bit dev_t use). */
export function makeDev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}
export function devMajor(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function devMinor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}
