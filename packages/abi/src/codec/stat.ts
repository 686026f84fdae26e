import { i16, i32, i64, ints, nested, u16, u32, u64, u64n } from './fields.js';
import { struct } from './struct.js';
import { Timespec } from './time.js';

/**
 * struct stat as fstat(2)/newfstatat(2) fill it on x86-64. Inode numbers are
 * bigint because filesystems may use all 64 bits; other 64-bit fields are
 * numbers (exact below 2^53).
 */
export interface Stat {
  st_dev: number;
  st_ino: bigint;
  st_nlink: number;
  st_mode: number;
  st_uid: number;
  st_gid: number;
  st_rdev: number;
  st_size: number;
  st_blksize: number;
  st_blocks: number;
  st_atim: Timespec;
  st_mtim: Timespec;
  st_ctim: Timespec;
}
export const Stat = struct<Stat>('struct stat', 144, {
  st_dev: u64(0),
  st_ino: u64n(8),
  st_nlink: u64(16),
  st_mode: u32(24),
  st_uid: u32(28),
  st_gid: u32(32),
  st_rdev: u64(40),
  st_size: i64(48),
  st_blksize: i64(56),
  st_blocks: i64(64),
  st_atim: nested(72, Timespec),
  st_mtim: nested(88, Timespec),
  st_ctim: nested(104, Timespec),
});

/** struct statx_timestamp. */
export interface StatxTimestamp {
  tv_sec: number;
  tv_nsec: number;
}
export const StatxTimestamp = struct<StatxTimestamp>('struct statx_timestamp', 16, { tv_sec: i64(0), tv_nsec: u32(8) });

/** struct statx (statx(2)); see Stat for the inode number's type. */
export interface Statx {
  stx_mask: number;
  stx_blksize: number;
  stx_attributes: number;
  stx_nlink: number;
  stx_uid: number;
  stx_gid: number;
  stx_mode: number;
  stx_ino: bigint;
  stx_size: number;
  stx_blocks: number;
  stx_attributes_mask: number;
  stx_atime: StatxTimestamp;
  stx_btime: StatxTimestamp;
  stx_ctime: StatxTimestamp;
  stx_mtime: StatxTimestamp;
  stx_rdev_major: number;
  stx_rdev_minor: number;
  stx_dev_major: number;
  stx_dev_minor: number;
  stx_mnt_id: number;
  stx_dio_mem_align: number;
  stx_dio_offset_align: number;
}
export const Statx = struct<Statx>('struct statx', 256, {
  stx_mask: u32(0),
  stx_blksize: u32(4),
  stx_attributes: u64(8),
  stx_nlink: u32(16),
  stx_uid: u32(20),
  stx_gid: u32(24),
  stx_mode: u16(28),
  stx_ino: u64n(32),
  stx_size: u64(40),
  stx_blocks: u64(48),
  stx_attributes_mask: u64(56),
  stx_atime: nested(64, StatxTimestamp),
  stx_btime: nested(80, StatxTimestamp),
  stx_ctime: nested(96, StatxTimestamp),
  stx_mtime: nested(112, StatxTimestamp),
  stx_rdev_major: u32(128),
  stx_rdev_minor: u32(132),
  stx_dev_major: u32(136),
  stx_dev_minor: u32(140),
  stx_mnt_id: u64(144),
  stx_dio_mem_align: u32(152),
  stx_dio_offset_align: u32(156),
});

/** struct statfs (statfs(2), fstatfs(2)). */
export interface Statfs {
  f_type: number;
  f_bsize: number;
  f_blocks: number;
  f_bfree: number;
  f_bavail: number;
  f_files: number;
  f_ffree: number;
  f_fsid: number[];
  f_namelen: number;
  f_frsize: number;
  f_flags: number;
}
export const Statfs = struct<Statfs>('struct statfs', 120, {
  f_type: i64(0),
  f_bsize: i64(8),
  f_blocks: u64(16),
  f_bfree: u64(24),
  f_bavail: u64(32),
  f_files: u64(40),
  f_ffree: u64(48),
  f_fsid: ints(56, 4, true, 2),
  f_namelen: i64(64),
  f_frsize: i64(72),
  f_flags: i64(80),
});

/** struct flock (fcntl F_GETLK/F_SETLK/F_OFD_*). */
export interface Flock {
  l_type: number;
  l_whence: number;
  l_start: number;
  l_len: number;
  l_pid: number;
}
export const Flock = struct<Flock>('struct flock', 32, {
  l_type: i16(0),
  l_whence: i16(2),
  l_start: i64(8),
  l_len: i64(16),
  l_pid: i32(24),
});

/** struct f_owner_ex (F_GETOWN_EX/F_SETOWN_EX). */
export interface FOwnerEx {
  type: number;
  pid: number;
}
export const FOwnerEx = struct<FOwnerEx>('struct f_owner_ex', 8, { type: i32(0), pid: i32(4) });

/** struct utimbuf (utime(2)), in seconds. */
export interface Utimbuf {
  actime: number;
  modtime: number;
}
export const Utimbuf = struct<Utimbuf>('struct utimbuf', 16, { actime: i64(0), modtime: i64(8) });
