import { CLOCK, TIMER } from '@tvisor/abi';
import { clockNow, clockResolution, decodeTimespec, encodeTimespec, type Nanos } from '../clock.js';
import type { Task } from '../task.js';
import type { SyscallTable } from './table.js';

/** Parks the task until `clock` reads `deadline`. */
function sleepUntil(t: Task, clock: number, deadline: Nanos): number {
  return t.kernel.block(t, (complete) => t.kernel.setDeadline(clock, deadline, () => complete(0)));
}

/** Clocks and sleeping. Sleeps park the task on a sentry timer; the sentry keeps running. */
export function registerTimeSyscalls(table: SyscallTable): void {
  table.register({
    clock_gettime: {
      args: ['int', 'ptr'],
      support: 'partial',
      note: 'CPU-time clocks report elapsed time',
      handler: (t, a) => {
        t.mm.copyOut(a.arg(1), encodeTimespec(clockNow(a.argInt(0))));
        return 0;
      },
    },
    clock_getres: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const res = clockResolution(a.argInt(0));
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
      support: 'partial',
      note: 'not interrupted by signals yet',
      handler: (t, a) => {
        const d = decodeTimespec(t.mm.copyIn(a.arg(0), 16));
        return sleepUntil(t, CLOCK.MONOTONIC, clockNow(CLOCK.MONOTONIC) + d);
      },
    },
    clock_nanosleep: {
      args: ['int', 'hex', 'ptr', 'ptr'],
      support: 'partial',
      note: 'not interrupted by signals yet',
      handler: (t, a) => {
        const clock = a.argInt(0);
        const d = decodeTimespec(t.mm.copyIn(a.arg(2), 16));
        const deadline = a.argInt(1) & TIMER.ABSTIME ? d : clockNow(clock) + d;
        return sleepUntil(t, clock, deadline);
      },
    },
  });
}
