import { DT, S } from './abi.js';
import type { Stat, Statfs, Statx } from '@tvisor/abi';

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
    case S.IFREG:
      return DT.REG;
    case S.IFDIR:
      return DT.DIR;
    case S.IFLNK:
      return DT.LNK;
    case S.IFCHR:
      return DT.CHR;
    case S.IFBLK:
      return DT.BLK;
    case S.IFIFO:
      return DT.FIFO;
    case S.IFSOCK:
      return DT.SOCK;
    default:
      return DT.UNKNOWN;
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

/** StatInfo as abi's `Stat` (struct stat) value, for Stat.encode. */
export function toAbiStat(s: StatInfo): Stat {
  const ts = (t: Timespec) => ({ tv_sec: t.sec, tv_nsec: t.nsec });
  return {
    st_dev: s.dev,
    st_ino: BigInt(s.ino),
    st_nlink: s.nlink,
    st_mode: s.mode,
    st_uid: s.uid,
    st_gid: s.gid,
    st_rdev: s.rdev,
    st_size: s.size,
    st_blksize: s.blksize,
    st_blocks: s.blocks,
    st_atim: ts(s.atime),
    st_mtim: ts(s.mtime),
    st_ctim: ts(s.ctime),
  };
}

/** StatInfo as abi's `Statx` value; `mntId` is the mount's id. */
export function toAbiStatx(s: StatInfo, mntId = 0): Statx {
  const ts = (t: Timespec) => ({ tv_sec: t.sec, tv_nsec: t.nsec });
  return {
    stx_mask: s.mask,
    stx_blksize: s.blksize,
    stx_attributes: 0,
    stx_nlink: s.nlink,
    stx_uid: s.uid,
    stx_gid: s.gid,
    stx_mode: s.mode,
    stx_ino: BigInt(s.ino),
    stx_size: s.size,
    stx_blocks: s.blocks,
    stx_attributes_mask: 0,
    stx_atime: ts(s.atime),
    stx_btime: ts(s.btime),
    stx_ctime: ts(s.ctime),
    stx_mtime: ts(s.mtime),
    stx_rdev_major: devMajor(s.rdev),
    stx_rdev_minor: devMinor(s.rdev),
    stx_dev_major: devMajor(s.dev),
    stx_dev_minor: devMinor(s.dev),
    stx_mnt_id: mntId,
    stx_dio_mem_align: 0,
    stx_dio_offset_align: 0,
  };
}

/** StatfsInfo as abi's `Statfs` value. */
export function toAbiStatfs(s: StatfsInfo): Statfs {
  return {
    f_type: s.type,
    f_bsize: s.bsize,
    f_blocks: s.blocks,
    f_bfree: s.bfree,
    f_bavail: s.bavail,
    f_files: s.files,
    f_ffree: s.ffree,
    f_fsid: [...s.fsid],
    f_namelen: s.namelen,
    f_frsize: s.frsize,
    f_flags: s.flags,
  };
}
