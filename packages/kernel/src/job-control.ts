import { CLD, SA, Signal, signalDefaultAction } from '@tvisor/abi';
import { nsToTicks, taskCpu, zeroCpu } from './cpu-time.js';
import type { Kernel } from './kernel.js';
import { sendKill, sendSignal } from './signal-delivery.js';
import { sigInfoChild } from './signals/index.js';
import type { Task, ThreadGroup } from './task.js';

/**
 * Job control: stopping and continuing whole processes (group stop), as
 * Linux does it (kernel/signal.c: prepare_signal, do_signal_stop,
 * do_notify_parent_cldstop; kernel/exit.c: kill_orphaned_pgrp).
 *
 * A stop signal whose action is the default one stops the process when a
 * thread takes it: that thread is held (not resumed), the threads running
 * application code are interrupted and held when they stop, and threads
 * parked in syscalls stay parked (a syscall that completes meanwhile is held
 * at its return, in Kernel.resumeTask). Once no thread runs, the group is
 * stopped and its parent is told. SIGCONT, when it is sent, resumes the held
 * threads.
 */

/** A process's job-control state (Linux's SIGNAL_STOP_* flags and group_exit_code). */
export class GroupStop {
  /** 'stopping': a thread took a stop signal and some threads still run application code. */
  state: 'running' | 'stopping' | 'stopped' = 'running';
  /** The signal that stopped the process. */
  signal = 0;
  /** The stop signal wait(WUNTRACED) has still to report; 0 once reported (or when continued). */
  unreportedStop = 0;
  /** A continue that wait(WCONTINUED) has still to report. */
  unreportedContinue = false;
}

/** SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: the signals whose default action stops. */
export function isStopSignal(sig: number): boolean {
  return signalDefaultAction(sig) === 'stop';
}

const STOP_SIGNALS = [Signal.SIGSTOP, Signal.SIGTSTP, Signal.SIGTTIN, Signal.SIGTTOU];

/**
 * What sending `sig` to `g` does at once, whatever the signal's disposition
 * or mask (Linux's prepare_signal): a stop signal discards a pending
 * SIGCONT; SIGCONT discards pending stop signals.
 */
export function discardOnSend(g: ThreadGroup, sig: number): void {
  if (sig === Signal.SIGCONT) {
    for (const s of STOP_SIGNALS) g.signals.discard(s);
  } else if (isStopSignal(sig)) {
    g.signals.discard(Signal.SIGCONT);
  }
}

/**
 * SIGCONT was sent to `g`: a stopped (or stopping) process goes on, and
 * its parent is told. Held threads are resumed, taking pending signals
 * first (a SIGCONT handler runs now).
 */
export function continueGroup(kernel: Kernel, g: ThreadGroup): void {
  const stop = g.jobStop;
  const was = stop.state;
  if (was === 'running') return;
  stop.state = 'running';
  stop.unreportedStop = 0;
  stop.unreportedContinue = true;
  // A stop still in progress is reported as a stop (with status 0, since
  // Linux clears the exit code first), a complete one as a continue.
  if (was === 'stopped') notifyParent(kernel, g, CLD.CONTINUED, Signal.SIGCONT);
  else notifyParent(kernel, g, CLD.STOPPED, 0);
  kernel.ptraceHooks?.groupContinued(g);
  for (const t of [...g.tasks]) {
    if (!t.jobStopped) continue;
    t.jobStopped = false;
    kernel.stoppedTasks.delete(t);
    kernel.resumeTask(t);
  }
  kernel.wakeRunLoop();
}

/**
 * Is process group `pgid` orphaned (POSIX; Linux's will_become_orphaned_pgrp)?
 * It is unless some member other than `ignored` has a parent in another
 * process group of the same session. The sandbox's init has no parent
 * inside, so it never keeps its group from being orphaned (as in a
 * container, whose init's parent is in another session).
 */
export function isOrphanedPgrp(kernel: Kernel, pgid: number, ignored?: ThreadGroup): boolean {
  for (const g of liveGroups(kernel)) {
    if (g.pgid !== pgid || g === ignored) continue;
    const p = g.parent;
    if (p && p.pgid !== pgid && p.sid === g.sid) return false;
  }
  return true;
}

function liveGroups(kernel: Kernel): Set<ThreadGroup> {
  const groups = new Set<ThreadGroup>();
  for (const t of kernel.tasks.values()) if (t.group.exitStatus === undefined) groups.add(t.group);
  return groups;
}

/**
 * `task` takes stop signal `sig` with its default action (from
 * deliverPending): the process stops. Threads running application code are
 * interrupted; `task` is held.
 */
export function startGroupStop(kernel: Kernel, task: Task, sig: number): void {
  const g = task.group;
  if (g.jobStop.state === 'running') {
    g.jobStop.state = 'stopping';
    g.jobStop.signal = sig;
    // Only contexts running application code stop for it (the platform
    // ignores the others); parked threads stay parked.
    for (const t of g.tasks) if (t !== task && !t.jobStopped) kernel.platform.interrupt(t.context);
  }
  holdTask(kernel, task);
}

/** Keeps `task` from running while its process is stopped. */
export function holdTask(kernel: Kernel, task: Task): void {
  if (!task.jobStopped) {
    task.jobStopped = true;
    kernel.stoppedTasks.add(task);
  }
  checkGroupStopped(kernel, task.group);
}

/**
 * A stopping process whose every thread is held or parked has stopped: wait
 * can report it, and the parent gets SIGCHLD (CLD_STOPPED).
 */
export function checkGroupStopped(kernel: Kernel, g: ThreadGroup): void {
  const stop = g.jobStop;
  if (stop.state !== 'stopping' || g.exitStatus !== undefined) return;
  for (const t of g.tasks) if (!t.jobStopped && !kernel.blocked.has(t) && !t.ptrace?.stop) return;
  stop.state = 'stopped';
  stop.unreportedStop = stop.signal;
  stop.unreportedContinue = false;
  notifyParent(kernel, g, CLD.STOPPED, stop.signal);
}

/**
 * Linux's do_notify_parent_cldstop: wait4/waitid callers in the parent look
 * again, and the parent gets SIGCHLD with `code` unless its SIGCHLD action
 * has SA_NOCLDSTOP. (Always SIGCHLD, whatever the child's exit signal.)
 */
function notifyParent(kernel: Kernel, child: ThreadGroup, code: number, status: number): void {
  const parent = child.parent;
  if (!parent || parent.exitStatus !== undefined) return;
  for (const wake of [...parent.childWaiters]) wake();
  if ((parent.signals.actions[Signal.SIGCHLD].flags & BigInt(SA.NOCLDSTOP)) !== 0n) return;
  // Linux reports the CPU time of the group leader thread here.
  const leader = [...child.tasks].find((t) => t.tid === child.pid);
  const cpu = leader ? taskCpu(leader) : zeroCpu();
  const info = sigInfoChild(code, { pid: child.pid, uid: child.creds.uid, status, utime: nsToTicks(cpu.user), stime: nsToTicks(cpu.system) });
  sendSignal(kernel, parent, Signal.SIGCHLD, info);
}

/**
 * Linux's kill_orphaned_pgrp, when process `dying` exits (its children
 * already given to their new parent): a process group this orphans that has
 * a stopped member gets SIGHUP then SIGCONT, since no job control shell can
 * continue it any more. That is `dying`'s own group (if its parent was what
 * kept it from being orphaned) and each child's group (if `dying` was).
 */
export function hangUpOrphanedGroups(kernel: Kernel, dying: ThreadGroup, children: Iterable<ThreadGroup>): void {
  const p = dying.parent;
  if (p && p.pgid !== dying.pgid && p.sid === dying.sid) hangUpIfOrphaned(kernel, dying.pgid, dying);
  for (const c of children) {
    if (c.exitStatus === undefined && c.pgid !== dying.pgid && c.sid === dying.sid) hangUpIfOrphaned(kernel, c.pgid);
  }
}

function hangUpIfOrphaned(kernel: Kernel, pgid: number, ignored?: ThreadGroup): void {
  const members = [...liveGroups(kernel)].filter((g) => g.pgid === pgid);
  if (!members.some((g) => g.jobStop.state === 'stopped')) return;
  if (!isOrphanedPgrp(kernel, pgid, ignored)) return;
  for (const g of members) sendKill(kernel, g, Signal.SIGHUP);
  for (const g of members) sendKill(kernel, g, Signal.SIGCONT);
}
