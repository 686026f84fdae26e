/** getrlimit/setrlimit/prlimit resources. */
export const RLIMIT = {
  CPU: 0,
  FSIZE: 1,
  DATA: 2,
  STACK: 3,
  CORE: 4,
  RSS: 5,
  NPROC: 6,
  NOFILE: 7,
  MEMLOCK: 8,
  AS: 9,
  LOCKS: 10,
  SIGPENDING: 11,
  MSGQUEUE: 12,
  NICE: 13,
  RTPRIO: 14,
  RTTIME: 15,
  NLIMITS: 16,
} as const;

/** "No limit" for rlim_cur/rlim_max (all 64 bits set). */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** getrusage(2) `who`. */
export const RUSAGE = { SELF: 0, CHILDREN: -1, THREAD: 1 } as const;

/** getpriority/setpriority `which`. */
export const PRIO = { PROCESS: 0, PGRP: 1, USER: 2 } as const;

/** ioprio_get/ioprio_set `which`. */
export const IOPRIO_WHO = { PROCESS: 1, PGRP: 2, USER: 3 } as const;

/** I/O scheduling classes, the top bits of an ioprio value. */
export const IOPRIO_CLASS = { NONE: 0, RT: 1, BE: 2, IDLE: 3 } as const;

/** An ioprio is (class << IOPRIO_CLASS_SHIFT) | data; RT and BE have IOPRIO_NR_LEVELS levels. */
export const IOPRIO_CLASS_SHIFT = 13;
export const IOPRIO_NR_LEVELS = 8;
