import { cstr, i32, i64, ints, nested, u16, u32, u64, u64n } from './fields.js';
import { struct } from './struct.js';
import { Timeval } from './time.js';

/** struct rlimit; bigint because RLIM_INFINITY is 2^64-1. */
export interface Rlimit {
  rlim_cur: bigint;
  rlim_max: bigint;
}
export const Rlimit = struct<Rlimit>('struct rlimit', 16, { rlim_cur: u64n(0), rlim_max: u64n(8) });

/** struct rusage (getrusage(2), wait4(2)). */
export interface Rusage {
  ru_utime: Timeval;
  ru_stime: Timeval;
  ru_maxrss: number;
  ru_ixrss: number;
  ru_idrss: number;
  ru_isrss: number;
  ru_minflt: number;
  ru_majflt: number;
  ru_nswap: number;
  ru_inblock: number;
  ru_oublock: number;
  ru_msgsnd: number;
  ru_msgrcv: number;
  ru_nsignals: number;
  ru_nvcsw: number;
  ru_nivcsw: number;
}
export const Rusage = struct<Rusage>('struct rusage', 144, {
  ru_utime: nested(0, Timeval),
  ru_stime: nested(16, Timeval),
  ru_maxrss: i64(32),
  ru_ixrss: i64(40),
  ru_idrss: i64(48),
  ru_isrss: i64(56),
  ru_minflt: i64(64),
  ru_majflt: i64(72),
  ru_nswap: i64(80),
  ru_inblock: i64(88),
  ru_oublock: i64(96),
  ru_msgsnd: i64(104),
  ru_msgrcv: i64(112),
  ru_nsignals: i64(120),
  ru_nvcsw: i64(128),
  ru_nivcsw: i64(136),
});

/** struct utsname (uname(2)): six NUL-terminated 65-byte strings. */
export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}
export const Utsname = struct<Utsname>('struct utsname', 390, {
  sysname: cstr(0, 65),
  nodename: cstr(65, 65),
  release: cstr(130, 65),
  version: cstr(195, 65),
  machine: cstr(260, 65),
  domainname: cstr(325, 65),
});

/** struct sysinfo (sysinfo(2)); loads are fixed-point with 16 fraction bits. */
export interface Sysinfo {
  uptime: number;
  loads: number[];
  totalram: number;
  freeram: number;
  sharedram: number;
  bufferram: number;
  totalswap: number;
  freeswap: number;
  procs: number;
  totalhigh: number;
  freehigh: number;
  mem_unit: number;
}
export const Sysinfo = struct<Sysinfo>('struct sysinfo', 112, {
  uptime: i64(0),
  loads: ints(8, 8, false, 3),
  totalram: u64(32),
  freeram: u64(40),
  sharedram: u64(48),
  bufferram: u64(56),
  totalswap: u64(64),
  freeswap: u64(72),
  procs: u16(80),
  totalhigh: u64(88),
  freehigh: u64(96),
  mem_unit: u32(104),
});

/** struct sched_param. */
export interface SchedParam {
  sched_priority: number;
}
export const SchedParam = struct<SchedParam>('struct sched_param', 4, { sched_priority: i32(0) });
