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
  /** Expirations that happened while its signal was still pending (si_overrun of the queued one). */
  overrun: number;
  /** The siginfo it last queued: while still pending, a new expiry raises its overrun instead of queuing again. */
  queued?: Uint8Array;
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

/**
 * The timer expired. Like Linux's preallocated timer signal, it is queued
 * once: while that siginfo is still pending, each further expiry only
 * raises its si_overrun. An interval timer is re-armed, expiries missed
 * while the sentry was busy counted as overruns.
 */
function fire(t: Task, g: ThreadGroup, timer: PosixTimer): void {
  if (g.exitStatus !== undefined) return;
  let missed = 0;
  if (timer.interval > 0n) {
    timer.deadline += timer.interval;
    const now = readClock(t, timer.clock);
    while (timer.deadline <= now) {
      timer.deadline += timer.interval;
      missed++;
    }
  } else {
    timer.deadline = 0n;
  }
  if (timer.notify !== SIGEV.NONE) {
    const queued = timer.queued;
    if (queued && g.signals.holds(timer.signo, queued)) {
      timer.overrun += 1 + missed;
      queued.set(sigInfoTimer(timer.signo, { id: timer.id, overrun: timer.overrun, value: timer.value }));
    } else {
      timer.overrun = missed;
      const info = sigInfoTimer(timer.signo, { id: timer.id, overrun: missed, value: timer.value });
      timer.queued = info;
      const target = timer.notify === SIGEV.THREAD_ID ? timer.target : undefined;
      sendSignal(t.kernel, g, timer.signo, info, target, false, true);
    }
  }
  if (timer.interval > 0n) armPosixTimer(t, g, timer);
}
