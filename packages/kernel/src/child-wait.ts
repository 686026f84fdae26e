// Waiting for a child to change state (wait4, waitid): which children match,
// what each reports, and parking the waiter until one does. The handlers in
// syscalls/lifecycle.ts decode arguments and write the reports out.
import { CLD, Errno, Signal, SysError, W_CONTINUED, WAIT, wStopCode } from '@tvisor/abi';
import type { Task, ThreadGroup } from './task.js';
import { traceeExitReported } from './ptrace/stops.js';

/** Is child `c` (its leader) traced by its parent `g`, now or when it exited? */
function tracedByParent(g: ThreadGroup, c: ThreadGroup): boolean {
  if (c.exitedTracedByParent) return true;
  for (const tracee of g.tracees) if (tracee.group === c && tracee.tid === c.pid) return true;
  return false;
}

/** Does child `c` match wait4's pid argument as `t` of process `g` sees it? */
function matches(t: Task, g: ThreadGroup, c: ThreadGroup, pid: number, options: number): boolean {
  // __WNOTHREAD: only the children this thread forked (or inherited from a thread that exited).
  if (options & WAIT.NOTHREAD && c.parentThread !== t) return false;
  // Children that signal something other than SIGCHLD are "clone" children (wait(2) __WCLONE);
  // a child its parent traces matches either way, as Linux's eligible_child.
  const clone = c.exitSignal !== Signal.SIGCHLD;
  if (!(options & WAIT.ALL) && clone !== ((options & WAIT.CLONE) !== 0) && !tracedByParent(g, c)) return false;
  if (pid > 0) return c.pid === pid;
  if (pid === -1) return true;
  if (pid === 0) return c.pgid === g.pgid;
  return c.pgid === -pid;
}

const NOTHING_YET = 'nothing-yet';

/** A tracee that matches wait's pid argument: by its tid, or its process group. */
function traceeMatches(g: ThreadGroup, tracee: { tid: number; group: ThreadGroup }, pid: number): boolean {
  if (pid > 0) return tracee.tid === pid;
  if (pid === -1) return true;
  if (pid === 0) return tracee.group.pgid === g.pgid;
  return tracee.group.pgid === -pid;
}

/**
 * What `g`'s tracees have to report: a ptrace-stop not yet reported, or the
 * exit of a tracee that is not `g`'s child (WEXITED). NOTHING_YET when some
 * tracee matches but has nothing to say, undefined when none matches.
 */
function traceeReport(
  t: Task,
  g: ThreadGroup,
  pid: number,
  options: number,
  job: (child: ThreadGroup, report: JobReport) => number,
): number | typeof NOTHING_YET | undefined {
  let any = false;
  for (const tracee of g.tracees) {
    if (!traceeMatches(g, tracee, pid)) continue;
    if (options & WAIT.NOTHREAD && tracee.ptrace?.tracer !== t) continue;
    any = true;
    const stop = tracee.ptrace?.stop;
    if (!stop || stop.reported) continue;
    if (!(options & WAIT.NOWAIT)) stop.reported = true;
    return job(tracee.group, { pid: tracee.tid, status: stop.status, code: CLD.TRAPPED, signal: stop.signal });
  }
  for (let i = 0; i < g.traceeExits.length; i++) {
    const e = g.traceeExits[i];
    if (!traceeMatches(g, { tid: e.pid, group: e.group }, pid)) continue;
    if (!(options & WAIT.EXITED)) continue;
    if (!(options & WAIT.NOWAIT)) {
      g.traceeExits.splice(i, 1);
      traceeExitReported(e.group);
    }
    const sig = e.status & 0x7f;
    const report = sig === 0 ? { code: CLD.EXITED, signal: (e.status >> 8) & 0xff } : { code: e.status & 0x80 ? CLD.DUMPED : CLD.KILLED, signal: sig };
    return job(e.group, { pid: e.pid, status: e.status, ...report });
  }
  return any ? NOTHING_YET : undefined;
}

/** A stop or continue of a child as wait reports it: wait4's status, waitid's si_code and si_status. */
export interface JobReport {
  /** The pid (a tracee's: its tid) wait returns. */
  pid: number;
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
    // Tracees first: their ptrace-stops are reported without WSTOPPED, whatever __WCLONE says.
    const traced = traceeReport(t, g, pid, options, job);
    if (traced !== undefined && traced !== NOTHING_YET) return traced;
    let any = traced === NOTHING_YET;
    for (const c of g.children) {
      if (!matches(t, g, c, pid, options)) continue;
      if (c.exitStatus !== undefined) {
        if (c.exitUnreportedToTracer) {
          // Its tracer hears of the exit first.
          any = true;
          continue;
        }
        if (options & WAIT.EXITED) return reap(c);
        // A zombie is nothing to wait for without WEXITED: only it left means ECHILD, as Linux's wait_consider_task.
        continue;
      }
      any = true;
      const stop = c.jobStop;
      if (options & WAIT.STOPPED && stop.unreportedStop !== 0) {
        const signal = stop.unreportedStop;
        if (!(options & WAIT.NOWAIT)) stop.unreportedStop = 0;
        return job(c, { pid: c.pid, status: wStopCode(signal), code: CLD.STOPPED, signal });
      } else if (options & WAIT.CONTINUED && stop.unreportedContinue) {
        if (!(options & WAIT.NOWAIT)) stop.unreportedContinue = false;
        return job(c, { pid: c.pid, status: W_CONTINUED, code: CLD.CONTINUED, signal: Signal.SIGCONT });
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
