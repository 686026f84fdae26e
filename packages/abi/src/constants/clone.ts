/** clone(2)/clone3(2) flags. The low byte of clone(2) flags is the exit signal (CSIGNAL). */
export const CLONE = {
  NEWTIME: 0x00000080,
  VM: 0x00000100,
  FS: 0x00000200,
  FILES: 0x00000400,
  SIGHAND: 0x00000800,
  PIDFD: 0x00001000,
  PTRACE: 0x00002000,
  VFORK: 0x00004000,
  PARENT: 0x00008000,
  THREAD: 0x00010000,
  NEWNS: 0x00020000,
  SYSVSEM: 0x00040000,
  SETTLS: 0x00080000,
  PARENT_SETTID: 0x00100000,
  CHILD_CLEARTID: 0x00200000,
  DETACHED: 0x00400000,
  UNTRACED: 0x00800000,
  CHILD_SETTID: 0x01000000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  IO: 0x80000000,
  CLEAR_SIGHAND: 0x100000000,
  INTO_CGROUP: 0x200000000,
} as const;

/** Mask of the exit-signal byte in clone(2) flags. */
export const CSIGNAL = 0xff;

/** Scheduling policies (sched_setscheduler(2)). */
export const SCHED = {
  NORMAL: 0,
  FIFO: 1,
  RR: 2,
  BATCH: 3,
  IDLE: 5,
  DEADLINE: 6,
  RESET_ON_FORK: 0x40000000,
} as const;

/** sched_setattr(2)'s sched_flags. */
export const SCHED_FLAG = {
  RESET_ON_FORK: 0x01,
  RECLAIM: 0x02,
  DL_OVERRUN: 0x04,
  KEEP_POLICY: 0x08,
  KEEP_PARAMS: 0x10,
  UTIL_CLAMP_MIN: 0x20,
  UTIL_CLAMP_MAX: 0x40,
} as const;

/** Published sizes of struct sched_attr (VER1 added the utilization clamps). */
export const SCHED_ATTR_SIZE = { VER0: 48, VER1: 56 } as const;

/** Published sizes of struct clone_args; clone3(2) accepts any of them. */
export const CLONE_ARGS_SIZE = { VER0: 64, VER1: 80, VER2: 88 } as const;
