/** mmap/mprotect protection bits. */
export const PROT = {
  NONE: 0x0,
  READ: 0x1,
  WRITE: 0x2,
  EXEC: 0x4,
  SEM: 0x8,
  GROWSDOWN: 0x01000000,
  GROWSUP: 0x02000000,
} as const;

/** mmap(2) flags. */
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

/** madvise(2) advice values. */
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
  HWPOISON: 100,
  SOFT_OFFLINE: 101,
} as const;

/** mremap(2) flags. */
export const MREMAP = { MAYMOVE: 1, FIXED: 2, DONTUNMAP: 4 } as const;

/** msync(2) flags. */
export const MS = { ASYNC: 1, INVALIDATE: 2, SYNC: 4 } as const;

/** mlockall(2) flags. */
export const MCL = { CURRENT: 1, FUTURE: 2, ONFAULT: 4 } as const;

/** mlock2(2) flags. */
export const MLOCK = { ONFAULT: 1 } as const;

/** membarrier(2) commands (a bit each, so QUERY's answer is a mask of them). */
export const MEMBARRIER_CMD = {
  QUERY: 0,
  GLOBAL: 1 << 0,
  GLOBAL_EXPEDITED: 1 << 1,
  REGISTER_GLOBAL_EXPEDITED: 1 << 2,
  PRIVATE_EXPEDITED: 1 << 3,
  REGISTER_PRIVATE_EXPEDITED: 1 << 4,
  PRIVATE_EXPEDITED_SYNC_CORE: 1 << 5,
  REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: 1 << 6,
  PRIVATE_EXPEDITED_RSEQ: 1 << 7,
  REGISTER_PRIVATE_EXPEDITED_RSEQ: 1 << 8,
} as const;

/** The legacy vsyscall page's address (asm/vsyscall.h): old binaries call its entries as functions. */
export const VSYSCALL_ADDR = 0xffffffffff600000n;

/** The vsyscall page's entries (enum vsyscall_num): entry n is at VSYSCALL_ADDR + n * 1024. */
export const VSYSCALL_NR = {
  GETTIMEOFDAY: 0,
  TIME: 1,
  GETCPU: 2,
} as const;
