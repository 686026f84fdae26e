import { CLOCK, CPUCLOCK, Errno, SysError, TIMER } from '@tvisor/abi';
import { clockNow, clockResolution, decodeTimespec, encodeTimespec, type Nanos } from '../clock.js';
import { atClockDeadline, cpuClockReader, isCpuClock, readClock } from '../cpu-time.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/**
 * Parks the task until `clock` reads `deadline`. A signal ends a relative
 * sleep with the time left written to `remAddr` and -ERESTART_RESTARTBLOCK:
 * a handler sees EINTR, and without one restart_syscall(2) sleeps on to the
 * same deadline. An absolute sleep just restarts (-ERESTARTNOHAND).
 */
function sleepUntil(t: Task, clock: number, deadline: Nanos, remAddr: number, absolute: boolean): number {
  const interrupted = () => {
    if (absolute) return -Errno.ERESTARTNOHAND;
    if (remAddr !== 0) {
      const left = deadline - readClock(t, clock);
      try {
        t.mm.copyOut(remAddr, encodeTimespec(left > 0n ? left : 0n));
      } catch {
        return -Errno.EFAULT;
      }
    }
    t.restartBlock = () => sleepUntil(t, clock, deadline, remAddr, false);
    return -Errno.ERESTART_RESTARTBLOCK;
  };
  return t.kernel.block(t, (complete) => atClockDeadline(t, clock, deadline, () => complete(0)), interrupted);
}

/** Clocks clock_nanosleep cannot sleep on (their k_clock has no nsleep): EOPNOTSUPP. */
const NO_SLEEP_CLOCKS = new Set<number>([CLOCK.MONOTONIC_RAW, CLOCK.REALTIME_COARSE, CLOCK.MONOTONIC_COARSE]);

/** Clocks and sleeping. Sleeps park the task on a sentry timer; the sentry keeps running. */
export function registerTimeSyscalls(table: SyscallTable): void {
  table.register({
    clock_gettime: {
      args: ['int', 'ptr'],
      note: "CPU-time clocks: user time is the host CPU time of the task's stub thread, system time the sentry's time serving its syscalls",
      handler: (t, a) => {
        t.mm.copyOut(a.arg(1), encodeTimespec(readClock(t, a.argInt(0))));
        return 0;
      },
    },
    clock_getres: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const clock = a.argInt(0);
        if (isCpuClock(clock)) cpuClockReader(t, clock);
        const res = isCpuClock(clock) ? 1n : clockResolution(clock);
        if (a.arg(1) !== 0) t.mm.copyOut(a.arg(1), encodeTimespec(res));
        return 0;
      },
    },
    gettimeofday: {
      args: ['ptr', 'ptr'],
      handler: (t, a) => {
        if (a.arg(0) !== 0) {
          const ns = clockNow(CLOCK.REALTIME);
          const out = new Uint8Array(16);
          const v = new DataView(out.buffer);
          v.setBigInt64(0, ns / 1_000_000_000n, true);
          v.setBigInt64(8, (ns % 1_000_000_000n) / 1000n, true);
          t.mm.copyOut(a.arg(0), out);
        }
        if (a.arg(1) !== 0) t.mm.copyOut(a.arg(1), new Uint8Array(8));
        return 0;
      },
    },
    time: {
      args: ['ptr'],
      handler: (t, a) => {
        const sec = clockNow(CLOCK.REALTIME) / 1_000_000_000n;
        if (a.arg(0) !== 0) {
          const out = new Uint8Array(8);
          new DataView(out.buffer).setBigInt64(0, sec, true);
          t.mm.copyOut(a.arg(0), out);
        }
        return Number(sec);
      },
    },
    nanosleep: {
      args: ['ptr', 'ptr'],
      handler: (t, a) => {
        const d = decodeTimespec(t.mm.copyIn(a.arg(0), 16));
        return sleepUntil(t, CLOCK.MONOTONIC, clockNow(CLOCK.MONOTONIC) + d, a.arg(1), false);
      },
    },
    clock_nanosleep: {
      args: ['int', 'hex', 'ptr', 'ptr'],
      note: 'process CPU-time clocks are checked every 10 ms',
      handler: (t, a) => {
        const clock = a.argInt(0);
        // Sleeping on one's own thread's CPU clock could never end: EINVAL, as on Linux.
        if (clock === CLOCK.THREAD_CPUTIME_ID || (clock < 0 && clock & CPUCLOCK.PERTHREAD)) throw new SysError(Errno.EINVAL);
        const now = readClock(t, clock);
        if (NO_SLEEP_CLOCKS.has(clock)) throw new SysError(Errno.EOPNOTSUPP);
        const d = decodeTimespec(t.mm.copyIn(a.arg(2), 16));
        const absolute = (a.argInt(1) & TIMER.ABSTIME) !== 0;
        return sleepUntil(t, clock, absolute ? d : now + d, a.arg(3), absolute);
      },
    },
  });
}
