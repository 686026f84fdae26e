import { SysError, Errno } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import { clockNow, type Nanos } from '../clock.js';
import type { Task } from '../task.js';

/** CLOCK_MONOTONIC: what poll/select/epoll timeouts are measured against. */
const MONOTONIC = 1;
/** The longest delay a host timer takes (setTimeout's limit; longer ones would fire at once). */
export const MAX_TIMER_MS = 0x7fff_ffff;

/**
 * Runs `fn` once `clock` reads `deadline` (ns), however far away. The
 * kernel's deadline re-arms a host timer that fires before the sandbox
 * clock reaches it (the event loop's cached time lags it by a fraction of a
 * millisecond), so a poll or epoll timeout never ends early. Returns the
 * function that cancels it.
 */
export function setDeadline(t: Task, clock: number, deadline: Nanos, fn: () => void): () => void {
  return t.kernel.setDeadline(clock, deadline, fn);
}

/** What a readiness wait watches and how it ends. */
export interface ReadinessWait {
  /** Files and the events to be told about (POLLERR/POLLHUP are added by the files). */
  sources: ReadonlyArray<readonly [FileDescription, number]>;
  /**
   * Checks the files now. A positive result ends the wait with that result
   * (the check has copied its output to the application); 0 keeps waiting.
   */
  check: () => number;
  /** Relative timeout: undefined waits forever, 0 never blocks. */
  timeout: Nanos | undefined;
  /** The result when the timeout passes (usually a last check, which then reports 0). */
  onTimeout: () => number;
  /** The syscall's result when a signal ends the wait. */
  interrupted: number;
  /** Run once when the syscall completes other than by a signal (restores a temporary sigmask); `timedOut` when the timeout ended it. */
  onDone?: (result: number, timedOut: boolean) => number;
  /** Run when a signal (or the process's exit) ends the wait instead (writes back the time left). */
  onInterrupt?: () => void;
}

/**
 * The shared shape of poll, select and epoll_wait: check, and if nothing is
 * ready, park the task until a file reports a change that makes the check
 * succeed, the timeout passes, or a signal arrives. Nothing polls: the
 * files' readiness callbacks drive the checks.
 */
export function waitForReadiness(t: Task, w: ReadinessWait): number {
  const done = w.onDone ?? ((r: number) => r);
  let first: number;
  try {
    first = w.check();
  } catch (e) {
    done(0, false);
    throw e;
  }
  if (first > 0 || w.timeout === 0n) return done(first, first === 0);
  const deadline = w.timeout === undefined ? undefined : clockNow(MONOTONIC) + w.timeout;
  return t.kernel.block(
    t,
    (complete) => {
      const unsubscribes: Array<() => void> = [];
      let cancelTimer: (() => void) | undefined;
      const cleanup = () => {
        for (const u of unsubscribes) u();
        unsubscribes.length = 0;
        cancelTimer?.();
        cancelTimer = undefined;
      };
      const finish = (run: () => number, timedOut: boolean) => {
        let always = timedOut;
        let r: number;
        try {
          r = run();
        } catch (e) {
          r = e instanceof SysError ? -e.errno : -Errno.EIO;
          always = true;
        }
        if (r === 0 && !always) return;
        cleanup();
        complete(done(r, timedOut));
      };
      for (const [file, mask] of w.sources) unsubscribes.push(file.subscribe(mask, () => finish(w.check, false)));
      if (deadline !== undefined) {
        cancelTimer = setDeadline(t, MONOTONIC, deadline, () => finish(w.onTimeout, true));
      }
      // The kernel cancels the wait when a signal or exit ends it.
      return () => {
        cleanup();
        w.onInterrupt?.();
      };
    },
    w.interrupted,
  );
}

/**
 * Swaps in the temporary signal mask of ppoll/pselect6/epoll_pwait. Returns
 * the function that puts the old mask back when the syscall ends without a
 * handler running (a handler frame restores it from `savedMask` instead),
 * or undefined when a signal the new mask unblocks is already pending: the
 * syscall must then fail with EINTR at once and the signal be delivered.
 */
export function applyTemporaryMask(t: Task, mask: bigint): ((result: number, timedOut?: boolean) => number) | undefined {
  const old = t.blocked;
  t.savedMask = old;
  t.blocked = mask;
  if (t.group.signals.next(mask) !== 0) return undefined;
  return (result: number) => {
    if (t.savedMask === old && t.blocked === mask) {
      t.blocked = old;
      t.savedMask = undefined;
    }
    return result;
  };
}
