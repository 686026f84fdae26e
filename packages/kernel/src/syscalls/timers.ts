import { decodeStruct, Errno, SIGEV, Sigevent, Signal, SysError, TIMER } from '@tvisor/abi';
import { decodeTimespec, encodeTimespec } from '../clock.js';
import { bindClock, readClock } from '../cpu-time.js';
import { armPosixTimer, type PosixTimer } from '../posix-timers.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** Most timers one process may create (Linux bounds them by RLIMIT_SIGPENDING). */
const MAX_TIMERS = 32768;

function readItimerspec(t: Task, addr: number): { interval: bigint; value: bigint } {
  const b = t.mm.copyIn(addr, 32);
  return { interval: decodeTimespec(b.subarray(0, 16)), value: decodeTimespec(b.subarray(16, 32)) };
}

function itimerspec(t: Task, timer: PosixTimer): Uint8Array {
  const out = new Uint8Array(32);
  const left = timer.deadline === 0n ? 0n : timer.deadline - readClock(t, timer.clock);
  out.set(encodeTimespec(timer.interval), 0);
  out.set(encodeTimespec(left > 0n ? left : timer.deadline === 0n ? 0n : 1n), 16);
  return out;
}

function lookup(t: Task, id: number): PosixTimer {
  const timer = t.group.timers.get(id);
  if (!timer) throw new SysError(Errno.EINVAL);
  return timer;
}

/** POSIX timers: SIGEV_SIGNAL, SIGEV_THREAD_ID and SIGEV_NONE on the sandbox clocks. */
export function registerTimerSyscalls(table: SyscallTable): void {
  table.register({
    timer_create: {
      args: ['int', 'ptr', 'ptr'],
      note: 'CPU-time clocks are checked every 10 ms (a tick), as Linux checks them at its tick',
      handler: (t, a) => {
        const clock = bindClock(t, a.argInt(0));
        const g = t.group;
        let notify: number = SIGEV.SIGNAL;
        let signo: number = Signal.SIGALRM;
        let target: Task | undefined;
        let id = 0;
        while (g.timers.has(id)) id++;
        if (id >= MAX_TIMERS) throw new SysError(Errno.EAGAIN);
        let value = BigInt(id);
        if (a.arg(1) !== 0) {
          const ev = decodeStruct(Sigevent, t.mm.copyIn(a.arg(1), Sigevent.size));
          // SIGEV_THREAD is glibc's (a helper thread, SIGEV_THREAD_ID underneath); given to the
          // kernel directly it means SIGEV_SIGNAL, as in Linux's good_sigevent.
          notify = ev.sigev_notify === SIGEV.THREAD ? SIGEV.SIGNAL : ev.sigev_notify;
          signo = ev.sigev_signo;
          value = ev.sigev_value;
          if (notify === SIGEV.THREAD_ID) {
            target = t.kernel.tasks.get(ev.sigev_notify_thread_id);
            if (!target || target.group !== g) throw new SysError(Errno.EINVAL);
          } else if (notify !== SIGEV.SIGNAL && notify !== SIGEV.NONE) {
            throw new SysError(Errno.EINVAL);
          }
          if (notify !== SIGEV.NONE && (signo < 1 || signo > 64)) throw new SysError(Errno.EINVAL);
        }
        g.timers.set(id, { id, clock, notify, signo, value, target, deadline: 0n, interval: 0n, overrun: 0, cancel: undefined });
        const out = new Uint8Array(4);
        new DataView(out.buffer).setInt32(0, id, true);
        t.mm.copyOut(a.arg(2), out);
        return 0;
      },
    },
    timer_settime: {
      args: ['int', 'hex', 'ptr', 'ptr'],
      handler: (t, a) => {
        const timer = lookup(t, a.argInt(0));
        const spec = readItimerspec(t, a.arg(2));
        if (a.arg(3) !== 0) t.mm.copyOut(a.arg(3), itimerspec(t, timer));
        timer.interval = spec.interval;
        timer.overrun = 0;
        if (spec.value === 0n) timer.deadline = 0n;
        else timer.deadline = a.argInt(1) & TIMER.ABSTIME ? spec.value : readClock(t, timer.clock) + spec.value;
        armPosixTimer(t, t.group, timer);
        return 0;
      },
    },
    timer_gettime: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        t.mm.copyOut(a.arg(1), itimerspec(t, lookup(t, a.argInt(0))));
        return 0;
      },
    },
    timer_getoverrun: { args: ['int'], handler: (t, a) => lookup(t, a.argInt(0)).overrun },
    timer_delete: {
      args: ['int'],
      handler: (t, a) => {
        const timer = lookup(t, a.argInt(0));
        timer.cancel?.();
        t.group.timers.delete(timer.id);
        return 0;
      },
    },
  });
}
