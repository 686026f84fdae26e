import { i32, i64, nested } from './fields.js';
import { struct } from './struct.js';

/** struct timespec: seconds and nanoseconds. */
export interface Timespec {
  tv_sec: number;
  tv_nsec: number;
}
export const Timespec = struct<Timespec>('struct timespec', 16, { tv_sec: i64(0), tv_nsec: i64(8) });

/** struct timeval: seconds and microseconds. */
export interface Timeval {
  tv_sec: number;
  tv_usec: number;
}
export const Timeval = struct<Timeval>('struct timeval', 16, { tv_sec: i64(0), tv_usec: i64(8) });

/** struct itimerspec (timer_settime, timerfd_settime). */
export interface Itimerspec {
  it_interval: Timespec;
  it_value: Timespec;
}
export const Itimerspec = struct<Itimerspec>('struct itimerspec', 32, {
  it_interval: nested(0, Timespec),
  it_value: nested(16, Timespec),
});

/** struct itimerval (setitimer). */
export interface Itimerval {
  it_interval: Timeval;
  it_value: Timeval;
}
export const Itimerval = struct<Itimerval>('struct itimerval', 32, {
  it_interval: nested(0, Timeval),
  it_value: nested(16, Timeval),
});

/** struct tms (times(2)), in clock ticks. */
export interface Tms {
  tms_utime: number;
  tms_stime: number;
  tms_cutime: number;
  tms_cstime: number;
}
export const Tms = struct<Tms>('struct tms', 32, {
  tms_utime: i64(0),
  tms_stime: i64(8),
  tms_cutime: i64(16),
  tms_cstime: i64(24),
});

/** struct timezone (gettimeofday(2)); obsolete but still filled in. */
export interface Timezone {
  tz_minuteswest: number;
  tz_dsttime: number;
}
export const Timezone = struct<Timezone>('struct timezone', 8, { tz_minuteswest: i32(0), tz_dsttime: i32(4) });
