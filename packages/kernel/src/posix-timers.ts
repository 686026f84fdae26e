// POSIX interval timers (timer_create) as the kernel keeps and fires them;
// the timer_* handlers in syscalls/timers.ts create, arm and delete them.
import { SIGEV } from '@tvisor/abi';
import { atClockDeadline, readClock } from './cpu-time.js';
import { sendSignal } from './signal-delivery.js';
import { sigInfoTimer } from './signals/index.js';
import type { Task, ThreadGroup } from './task.js';

/** One POSIX interval timer (timer_create). */
export interface PosixTimer {
  id: number;
  clock: number;
  notify: number;
  signo: number;
  value: bigint;
  /** The thread SIGEV_THREAD_ID targets. */
  target: Task | undefined;
  /** Next expiry on `clock` (ns), 0 when disarmed. */
  deadline: bigint;
  interval: bigint;
  /** Expirations that happened while the previous signal was still pending. */
  overrun: number;
  cancel: (() => void) | undefined;
}

/** Arms (or, with deadline 0, disarms) `timer` of process `g`: at its deadline it fires. */
export function armPosixTimer(t: Task, g: ThreadGroup, timer: PosixTimer): void {
  timer.cancel?.();
  timer.cancel = undefined;
  if (timer.deadline === 0n) return;
  timer.cancel = atClockDeadline(t, timer.clock, timer.deadline, () => {
    timer.cancel = undefined;
    fire(t, g, timer);
  });
}

/** The timer expired: its signal is sent, and an interval timer re-armed with overruns counted. */
function fire(t: Task, g: ThreadGroup, timer: PosixTimer): void {
  if (g.exitStatus !== undefined) return;
  if (timer.notify !== SIGEV.NONE) {
    const info = sigInfoTimer(timer.signo, { id: timer.id, overrun: timer.overrun, value: timer.value });
    timer.overrun = 0;
    const target = timer.notify === SIGEV.THREAD_ID ? timer.target : undefined;
    sendSignal(t.kernel, g, timer.signo, info, target);
  }
  if (timer.interval > 0n) {
    timer.deadline += timer.interval;
    // Expiries missed while the sentry was busy count as overruns, as Linux counts them.
    const now = readClock(t, timer.clock);
    while (timer.deadline <= now) {
      timer.deadline += timer.interval;
      timer.overrun++;
    }
    armPosixTimer(t, g, timer);
  } else {
    timer.deadline = 0n;
  }
}
