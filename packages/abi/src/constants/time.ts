/** Clock ids (clock_gettime(2)). */
export const CLOCK = {
  REALTIME: 0,
  MONOTONIC: 1,
  PROCESS_CPUTIME_ID: 2,
  THREAD_CPUTIME_ID: 3,
  MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6,
  BOOTTIME: 7,
  REALTIME_ALARM: 8,
  BOOTTIME_ALARM: 9,
  TAI: 11,
} as const;

/** timer_settime/clock_nanosleep flags. */
export const TIMER = { ABSTIME: 1 } as const;

/** setitimer/getitimer timers. */
export const ITIMER = { REAL: 0, VIRTUAL: 1, PROF: 2 } as const;

/** Special tv_nsec values of utimensat(2). */
export const UTIME = { NOW: 0x3fffffff, OMIT: 0x3ffffffe } as const;

/**
 * How a CPU-time clock id is built (clock_getcpuclockid(3),
 * pthread_getcpuclockid(3)): (~pid << 3) | PERTHREAD? | kind. The layout is
 * the kernel's (include/linux/posix-timers_types.h), not a uapi header.
 */
export const CPUCLOCK = {
  /** User plus system time (ITIMER_PROF's clock). */
  PROF: 0,
  /** User time only (ITIMER_VIRTUAL's clock). */
  VIRT: 1,
  /** Scheduler run time: what CLOCK_PROCESS_CPUTIME_ID reads. */
  SCHED: 2,
  /** Kind 3 marks a clock fd (dynamic posix clocks), not a CPU clock. */
  CLOCKFD: 3,
  /** Set for one thread's clock rather than the process's. */
  PERTHREAD: 4,
} as const;
