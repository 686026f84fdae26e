// Resource usage as getrusage, wait4 and waitid report it.
import { Rusage } from '@tvisor/abi';
import type { CpuTimes } from './cpu-time.js';

/** A struct timeval from nanoseconds. */
export function timeval(ns: bigint): { tv_sec: number; tv_usec: number } {
  return { tv_sec: Number(ns / 1_000_000_000n), tv_usec: Number((ns % 1_000_000_000n) / 1000n) };
}

/** struct rusage with the CPU times and peak RSS the sentry accounts; the fault and I/O counters stay zero. */
export function encodeRusage(cpu: CpuTimes, maxRssKb: number): Uint8Array {
  const out = new Uint8Array(Rusage.size);
  const zero = { ru_ixrss: 0, ru_idrss: 0, ru_isrss: 0, ru_minflt: 0, ru_majflt: 0, ru_nswap: 0, ru_inblock: 0, ru_oublock: 0 };
  Rusage.encode(new DataView(out.buffer), 0, {
    ...zero,
    ru_utime: timeval(cpu.user),
    ru_stime: timeval(cpu.system),
    ru_maxrss: maxRssKb,
    ru_msgsnd: 0,
    ru_msgrcv: 0,
    ru_nsignals: 0,
    ru_nvcsw: 0,
    ru_nivcsw: 0,
  });
  return out;
}
