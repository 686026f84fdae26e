/** arch_prctl(2) codes. */
export const ARCH = {
  SET_GS: 0x1001,
  SET_FS: 0x1002,
  GET_FS: 0x1003,
  GET_GS: 0x1004,
  GET_CPUID: 0x1011,
  SET_CPUID: 0x1012,
  GET_XCOMP_SUPP: 0x1021,
  GET_XCOMP_PERM: 0x1022,
  REQ_XCOMP_PERM: 0x1023,
  GET_XCOMP_GUEST_PERM: 0x1024,
  REQ_XCOMP_GUEST_PERM: 0x1025,
  MAP_VDSO_X32: 0x2001,
  MAP_VDSO_32: 0x2002,
  MAP_VDSO_64: 0x2003,
} as const;

/**
 * wait4/waitid options (W*). NOTHREAD, ALL and CLONE are the kernel's
 * __WNOTHREAD, __WALL and __WCLONE.
 */
export const WAIT = {
  NOHANG: 0x1,
  UNTRACED: 0x2,
  STOPPED: 0x2,
  EXITED: 0x4,
  CONTINUED: 0x8,
  NOWAIT: 0x01000000,
  NOTHREAD: 0x20000000,
  ALL: 0x40000000,
  CLONE: 0x80000000,
} as const;

/** waitid(2) idtype values. */
export const P = { ALL: 0, PID: 1, PGID: 2, PIDFD: 3 } as const;

/** personality(2) values and flags, by their full C names. */
export const PERSONALITY = {
  PER_LINUX: 0x0000,
  PER_LINUX32: 0x0008,
  PER_MASK: 0x00ff,
  UNAME26: 0x0020000,
  ADDR_NO_RANDOMIZE: 0x0040000,
  FDPIC_FUNCPTRS: 0x0080000,
  MMAP_PAGE_ZERO: 0x0100000,
  ADDR_COMPAT_LAYOUT: 0x0200000,
  READ_IMPLIES_EXEC: 0x0400000,
  ADDR_LIMIT_32BIT: 0x0800000,
  SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000,
  STICKY_TIMEOUTS: 0x4000000,
  ADDR_LIMIT_3GB: 0x8000000,
} as const;

/** rseq(2) flags and the cpu_id values of an unregistered area. */
export const RSEQ = { FLAG_UNREGISTER: 1, CPU_ID_UNINITIALIZED: -1, CPU_ID_REGISTRATION_FAILED: -2 } as const;
