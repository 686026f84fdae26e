// TODO(abi): @tvisor/abi is being written in parallel; these mirror the
// x86-64 Linux header values (asm-generic/errno*.h, fcntl.h, stat.h, poll.h,
// linux/openat2.h, linux/stat.h). Switch each group to abi's export once it
// lands so that SysError identity is shared with the kernel.

export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8,
  EBADF: 9, ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15,
  EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22,
  ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29,
  EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36,
  ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EOVERFLOW: 75,
  EBADFD: 77, EOPNOTSUPP: 95, ESTALE: 116, EDQUOT: 122,
} as const;

const ERRNO_NAMES = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));

/** A failed operation, carrying the Linux errno the syscall returns. */
export class SysError extends Error {
  readonly errno: number;
  constructor(errno: number, detail?: string) {
    const name = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
    super(detail ? `${name}: ${detail}` : name);
    this.name = 'SysError';
    this.errno = errno;
  }
}

export const O = {
  RDONLY: 0o0, WRONLY: 0o1, RDWR: 0o2, ACCMODE: 0o3, CREAT: 0o100, EXCL: 0o200,
  NOCTTY: 0o400, TRUNC: 0o1000, APPEND: 0o2000, NONBLOCK: 0o4000, DSYNC: 0o10000,
  ASYNC: 0o20000, DIRECT: 0o40000, LARGEFILE: 0o100000, DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000, NOATIME: 0o1000000, CLOEXEC: 0o2000000, SYNC: 0o4010000,
  PATH: 0o10000000, TMPFILE: 0o20200000,
} as const;

export const AT = {
  FDCWD: -100, SYMLINK_NOFOLLOW: 0x100, REMOVEDIR: 0x200, EACCESS: 0x200,
  SYMLINK_FOLLOW: 0x400, NO_AUTOMOUNT: 0x800, EMPTY_PATH: 0x1000,
} as const;

export const RESOLVE = {
  NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10, CACHED: 0x20,
} as const;

export const S = {
  IFMT: 0o170000, IFSOCK: 0o140000, IFLNK: 0o120000, IFREG: 0o100000, IFBLK: 0o060000,
  IFDIR: 0o040000, IFCHR: 0o020000, IFIFO: 0o010000, ISUID: 0o4000, ISGID: 0o2000, ISVTX: 0o1000,
} as const;

export const SEEK = { SET: 0, CUR: 1, END: 2, DATA: 3, HOLE: 4 } as const;
export const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;
export const XATTR = { CREATE: 1, REPLACE: 2 } as const;
export const UTIME = { NOW: (1 << 30) - 1, OMIT: (1 << 30) - 2 } as const;
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;
export const F = { RDLCK: 0, WRLCK: 1, UNLCK: 2 } as const;
export const ACCESS = { F_OK: 0, X_OK: 1, W_OK: 2, R_OK: 4 } as const;

export const POLL = {
  IN: 0x1, PRI: 0x2, OUT: 0x4, ERR: 0x8, HUP: 0x10, NVAL: 0x20, RDNORM: 0x40,
  RDBAND: 0x80, WRNORM: 0x100, WRBAND: 0x200, MSG: 0x400, RDHUP: 0x2000,
} as const;

export const STATX = {
  TYPE: 0x1, MODE: 0x2, NLINK: 0x4, UID: 0x8, GID: 0x10, ATIME: 0x20, MTIME: 0x40,
  CTIME: 0x80, INO: 0x100, SIZE: 0x200, BLOCKS: 0x400, BASIC_STATS: 0x7ff, BTIME: 0x800,
} as const;

export const DT = {
  UNKNOWN: 0, FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12, WHT: 14,
} as const;

export const FALLOC = { KEEP_SIZE: 0x1, PUNCH_HOLE: 0x2, ZERO_RANGE: 0x10 } as const;
