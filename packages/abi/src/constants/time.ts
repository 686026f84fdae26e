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
