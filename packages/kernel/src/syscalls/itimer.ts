import type { SyscallTable } from '../syscall-table.js';
import { Errno, ITIMER, SysError } from '@tvisor/abi';
import { clockNow } from '../clock.js';
import { armCpuItimer, armRealTimer, cpuItimerValue, itimerValue } from '../interval-timers.js';

/** Interval timers: alarm, getitimer, setitimer (ITIMER_REAL, VIRTUAL, PROF). */
export function registerItimerSyscalls(table: SyscallTable): void {
  table.register({
    alarm: {
      args: ['uint'],
      handler: (t, a) => {
        const g = t.group;
        const left = g.realTimer ? Math.max(0, g.realTimer.deadline - Number(clockNow(1))) : 0;
        armRealTimer(t, a.argUint(0) * 1e9, 0);
        // Rounded to the nearest second, and never 0 for a pending alarm (alarm(2)).
        return left === 0 ? 0 : Math.max(1, Math.round(left / 1e9));
      },
    },
    getitimer: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const which = a.argInt(0);
        if (which !== ITIMER.REAL && which !== ITIMER.VIRTUAL && which !== ITIMER.PROF) throw new SysError(Errno.EINVAL);
        t.mm.copyOut(a.arg(1), which === ITIMER.REAL ? itimerValue(t) : cpuItimerValue(t, which));
        return 0;
      },
    },
    setitimer: {
      args: ['int', 'ptr', 'ptr'],
      note: "VIRTUAL and PROF count the process's CPU time, checked every 10 ms (a tick)",
      handler: (t, a) => {
        const which = a.argInt(0);
        if (which !== ITIMER.REAL && which !== ITIMER.VIRTUAL && which !== ITIMER.PROF) throw new SysError(Errno.EINVAL);
        if (a.arg(2) !== 0) t.mm.copyOut(a.arg(2), which === ITIMER.REAL ? itimerValue(t) : cpuItimerValue(t, which));
        if (a.arg(1) === 0) return 0;
        const raw = t.mm.copyIn(a.arg(1), 32);
        const v = new DataView(raw.buffer, raw.byteOffset, 32);
        const tv = (off: number) => {
          const sec = Number(v.getBigInt64(off, true));
          const usec = Number(v.getBigInt64(off + 8, true));
          if (sec < 0 || usec < 0 || usec >= 1e6) throw new SysError(Errno.EINVAL);
          return sec * 1e9 + usec * 1000;
        };
        const interval = tv(0);
        const value = tv(16);
        if (which === ITIMER.REAL) armRealTimer(t, value, interval);
        else armCpuItimer(t, which, BigInt(value), BigInt(interval));
        return 0;
      },
    },
  });
}
