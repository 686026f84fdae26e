// TODO(abi): switch every import of this file to @tvisor/abi once its
// exports (Errno, SysError, PROT, MAP, MREMAP, MADV, MS, MCL) land. Values
// are copied from the host headers (asm-generic/mman-common.h, errno-base.h).

/** The errno values mm raises. */
export const Errno = {
  EPERM: 1,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENAMETOOLONG: 36,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
} as const;

/** A failed system call: carries the Linux errno the syscall returns. */
export class SysError extends Error {
  readonly errno: number;
  constructor(errno: number, detail?: string) {
    super(detail ? `errno ${errno}: ${detail}` : `errno ${errno}`);
    this.name = 'SysError';
    this.errno = errno;
  }
}

export const PROT = {
  NONE: 0x0,
  READ: 0x1,
  WRITE: 0x2,
  EXEC: 0x4,
  SEM: 0x8,
  GROWSDOWN: 0x01000000,
  GROWSUP: 0x02000000,
} as const;

export const MAP = {
  SHARED: 0x01,
  PRIVATE: 0x02,
  SHARED_VALIDATE: 0x03,
  TYPE: 0x0f,
  FIXED: 0x10,
  ANONYMOUS: 0x20,
  '32BIT': 0x40,
  GROWSDOWN: 0x0100,
  DENYWRITE: 0x0800,
  EXECUTABLE: 0x1000,
  LOCKED: 0x2000,
  NORESERVE: 0x4000,
  POPULATE: 0x8000,
  NONBLOCK: 0x10000,
  STACK: 0x20000,
  HUGETLB: 0x40000,
  SYNC: 0x80000,
  FIXED_NOREPLACE: 0x100000,
  UNINITIALIZED: 0x4000000,
} as const;

export const MREMAP = {
  MAYMOVE: 1,
  FIXED: 2,
  DONTUNMAP: 4,
} as const;

export const MADV = {
  NORMAL: 0,
  RANDOM: 1,
  SEQUENTIAL: 2,
  WILLNEED: 3,
  DONTNEED: 4,
  FREE: 8,
  REMOVE: 9,
  DONTFORK: 10,
  DOFORK: 11,
  MERGEABLE: 12,
  UNMERGEABLE: 13,
  HUGEPAGE: 14,
  NOHUGEPAGE: 15,
  DONTDUMP: 16,
  DODUMP: 17,
  WIPEONFORK: 18,
  KEEPONFORK: 19,
  COLD: 20,
  PAGEOUT: 21,
  POPULATE_READ: 22,
  POPULATE_WRITE: 23,
  DONTNEED_LOCKED: 24,
  COLLAPSE: 25,
} as const;

export const MS = {
  ASYNC: 1,
  INVALIDATE: 2,
  SYNC: 4,
} as const;

export const MCL = {
  CURRENT: 1,
  FUTURE: 2,
  ONFAULT: 4,
} as const;
