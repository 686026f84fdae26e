/** open(2)/openat(2) flags (kernel values; O_LARGEFILE is the kernel's, not glibc's 0). */
export const O = {
  RDONLY: 0o0,
  WRONLY: 0o1,
  RDWR: 0o2,
  ACCMODE: 0o3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  NDELAY: 0o4000,
  DSYNC: 0o10000,
  ASYNC: 0o20000,
  DIRECT: 0o40000,
  LARGEFILE: 0o100000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  NOATIME: 0o1000000,
  CLOEXEC: 0o2000000,
  SYNC: 0o4010000,
  PATH: 0o10000000,
  TMPFILE: 0o20200000,
} as const;

/** Directory-fd and *at(2) flags. AT.FDCWD is the "current directory" dirfd. */
export const AT = {
  FDCWD: -100,
  SYMLINK_NOFOLLOW: 0x100,
  EACCESS: 0x200,
  REMOVEDIR: 0x200,
  SYMLINK_FOLLOW: 0x400,
  NO_AUTOMOUNT: 0x800,
  EMPTY_PATH: 0x1000,
  STATX_SYNC_TYPE: 0x6000,
  STATX_SYNC_AS_STAT: 0x0000,
  STATX_FORCE_SYNC: 0x2000,
  STATX_DONT_SYNC: 0x4000,
  RECURSIVE: 0x8000,
} as const;

/** openat2(2) `open_how.resolve` flags. */
export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
  CACHED: 0x20,
} as const;

/** fcntl(2) commands. */
export const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  GETLK: 5,
  SETLK: 6,
  SETLKW: 7,
  SETOWN: 8,
  GETOWN: 9,
  SETSIG: 10,
  GETSIG: 11,
  SETOWN_EX: 15,
  GETOWN_EX: 16,
  GETOWNER_UIDS: 17,
  OFD_GETLK: 36,
  OFD_SETLK: 37,
  OFD_SETLKW: 38,
  SETLEASE: 1024,
  GETLEASE: 1025,
  NOTIFY: 1026,
  DUPFD_CLOEXEC: 1030,
  SETPIPE_SZ: 1031,
  GETPIPE_SZ: 1032,
  ADD_SEALS: 1033,
  GET_SEALS: 1034,
  GET_RW_HINT: 1035,
  SET_RW_HINT: 1036,
  GET_FILE_RW_HINT: 1037,
  SET_FILE_RW_HINT: 1038,
  RDLCK: 0,
  WRLCK: 1,
  UNLCK: 2,
  SEAL_SEAL: 0x1,
  SEAL_SHRINK: 0x2,
  SEAL_GROW: 0x4,
  SEAL_WRITE: 0x8,
  SEAL_FUTURE_WRITE: 0x10,
} as const;

/** File-descriptor flags (F_GETFD/F_SETFD). */
export const FD = { CLOEXEC: 1 } as const;

/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/** lseek(2) whence values. */
export const SEEK = { SET: 0, CUR: 1, END: 2, DATA: 3, HOLE: 4 } as const;

/** renameat2(2) flags. */
export const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;

/** setxattr(2) flags. */
export const XATTR = { CREATE: 1, REPLACE: 2 } as const;

/** faccessat(2) modes. */
export const ACCESS = { F_OK: 0, X_OK: 1, W_OK: 2, R_OK: 4 } as const;

/** splice(2)/tee(2)/vmsplice(2) flags. */
export const SPLICE_F = { MOVE: 1, NONBLOCK: 2, MORE: 4, GIFT: 8 } as const;

/** posix_fadvise(2)/fadvise64 advice. */
export const POSIX_FADV = { NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, DONTNEED: 4, NOREUSE: 5 } as const;

/** sync_file_range(2) flags. */
export const SYNC_FILE_RANGE = { WAIT_BEFORE: 1, WRITE: 2, WAIT_AFTER: 4 } as const;

/** F_SETOWN_EX/F_GETOWN_EX owner types. */
export const F_OWNER = { TID: 0, PID: 1, PGRP: 2 } as const;
