// Waiting for a child to change state (wait4, waitid): which children match,
// what each reports, and parking the waiter until one does. The handlers in
// syscalls/lifecycle.ts decode arguments and write the reports out.
import { CLD, Errno, Signal, SysError, W_CONTINUED, WAIT, wStopCode } from '@tvisor/abi';
import type { Task, ThreadGroup } from './task.js';

/** Does child `c` match wait4's pid argument as seen from process `g`? */
function matches(g: ThreadGroup, c: ThreadGroup, pid: number, options: number): boolean {
  // Children that signal something other than SIGCHLD are "clone" children (wait(2) __WCLONE).
  const clone = c.exitSignal !== Signal.SIGCHLD;
  if (!(options & WAIT.ALL) && clone !== ((options & WAIT.CLONE) !== 0)) return false;
  if (pid > 0) return c.pid === pid;
  if (pid === -1) return true;
  if (pid === 0) return c.pgid === g.pgid;
  return c.pgid === -pid;
}

/** A stop or continue of a child as wait reports it: wait4's status, waitid's si_code and si_status. */
export interface JobReport {
  status: number;
  code: number;
  signal: number;
}

/**
 * Waits for a matching child to change state as `options` asks: to exit
 * (WEXITED: `reap` is called with the zombie), to stop or to be continued
 * (WSTOPPED, WCONTINUED: `job` is called, and the report is used up unless
 * WNOWAIT). Otherwise the result is ECHILD (no such child) or, with WNOHANG,
 * 0 once `idle` has run.
 */
export function waitForChild(
  t: Task,
  pid: number,
  options: number,
  reap: (child: ThreadGroup) => number,
  job: (child: ThreadGroup, report: JobReport) => number,
  idle?: () => void,
): number {
  const g = t.group;
  const attempt = (): number | undefined => {
    let any = false;
    for (const c of g.children) {
      if (!matches(g, c, pid, options)) continue;
      if (c.exitStatus !== undefined) {
        if (options & WAIT.EXITED) return reap(c);
        // A zombie is nothing to wait for without WEXITED: only it left means ECHILD, as Linux's wait_consider_task.
        continue;
      }
      any = true;
      const stop = c.jobStop;
      if (options & WAIT.STOPPED && stop.unreportedStop !== 0) {
        const signal = stop.unreportedStop;
        if (!(options & WAIT.NOWAIT)) stop.unreportedStop = 0;
        return job(c, { status: wStopCode(signal), code: CLD.STOPPED, signal });
      } else if (options & WAIT.CONTINUED && stop.unreportedContinue) {
        if (!(options & WAIT.NOWAIT)) stop.unreportedContinue = false;
        return job(c, { status: W_CONTINUED, code: CLD.CONTINUED, signal: Signal.SIGCONT });
      }
    }
    if (!any) return -Errno.ECHILD;
    if (options & WAIT.NOHANG) {
      idle?.();
      return 0;
    }
    return undefined;
  };
  const now = attempt();
  if (now !== undefined) {
    if (now < 0) throw new SysError(-now);
    return now;
  }
  return t.kernel.block(t, (complete) => {
    const waiter = () => {
      let r: number | undefined;
      try {
        r = attempt();
      } catch (e) {
        r = e instanceof SysError ? -e.errno : -Errno.EFAULT;
      }
      if (r !== undefined) {
        g.childWaiters.delete(waiter);
        complete(r);
      }
    };
    g.childWaiters.add(waiter);
    return () => g.childWaiters.delete(waiter);
  });
}
