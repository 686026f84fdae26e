import { CLOCK, Errno, SysError, TFD } from '@tvisor/abi';
import { clockNow, encodeTimespec } from '../clock.js';
import { createTimerFd, TimerFdImpl, type TimerEnvironment, type TimerSetting } from '../events/timerfd.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

const ITIMERSPEC_SIZE = 32;
const CLOCKS: readonly number[] = [CLOCK.REALTIME, CLOCK.MONOTONIC, CLOCK.BOOTTIME, CLOCK.REALTIME_ALARM, CLOCK.BOOTTIME_ALARM];

/** Reads a struct itimerspec ({interval, value}); EINVAL for an out-of-range timespec (itimerspec64_valid). */
function readItimerspec(t: Task, addr: number): TimerSetting {
  const b = t.mm.copyIn(addr, ITIMERSPEC_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, ITIMERSPEC_SIZE);
  const ns = (off: number) => {
    const sec = v.getBigInt64(off, true);
    const nsec = v.getBigInt64(off + 8, true);
    if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new SysError(Errno.EINVAL);
    return sec * 1_000_000_000n + nsec;
  };
  return { interval: ns(0), value: ns(16) };
}

function writeItimerspec(t: Task, addr: number, s: TimerSetting): void {
  const out = new Uint8Array(ITIMERSPEC_SIZE);
  out.set(encodeTimespec(s.interval), 0);
  out.set(encodeTimespec(s.value), 16);
  t.mm.copyOut(addr, out);
}

function timerOf(t: Task, fd: number): TimerFdImpl {
  const impl = t.group.fds.get(fd).impl;
  if (!(impl instanceof TimerFdImpl)) throw new SysError(Errno.EINVAL);
  return impl;
}

/** timerfd_create, timerfd_settime, timerfd_gettime (timerfd_create(2)); expirations are read with read(2). */
export function registerTimerfdSyscalls(table: SyscallTable): void {
  table.register({
    timerfd_create: {
      args: ['int', 'hex'],
      support: 'partial',
      note: 'the TFD_IOC_SET_TICKS ioctl is not supported; the *_ALARM clocks behave as their plain clocks (nothing suspends)',
      handler: (t, a) => {
        const clock = a.argInt(0);
        const flags = a.argInt(1);
        if (!CLOCKS.includes(clock) || flags & ~(TFD.NONBLOCK | TFD.CLOEXEC)) throw new SysError(Errno.EINVAL);
        const env: TimerEnvironment = { now: clockNow, schedule: (ms, fn) => t.kernel.setTimer(ms, fn) };
        return t.group.fds.add(createTimerFd(clock, env, flags & TFD.NONBLOCK), (flags & TFD.CLOEXEC) !== 0);
      },
    },
    timerfd_settime: {
      args: ['fd', 'hex', 'ptr', 'ptr'],
      support: 'partial',
      note: 'TFD_TIMER_CANCEL_ON_SET is accepted but the realtime clock is never set, so reads are never ECANCELED',
      handler: (t, a) => {
        const flags = a.argInt(1);
        const setting = readItimerspec(t, a.arg(2));
        if (flags & ~(TFD.TIMER_ABSTIME | TFD.TIMER_CANCEL_ON_SET)) throw new SysError(Errno.EINVAL);
        const timer = timerOf(t, a.argInt(0));
        const old = timer.set(setting, (flags & TFD.TIMER_ABSTIME) !== 0);
        if (a.arg(3) !== 0) writeItimerspec(t, a.arg(3), old);
        return 0;
      },
    },
    timerfd_gettime: {
      args: ['fd', 'ptr'],
      handler: (t, a) => {
        writeItimerspec(t, a.arg(1), timerOf(t, a.argInt(0)).get());
        return 0;
      },
    },
  });
}
