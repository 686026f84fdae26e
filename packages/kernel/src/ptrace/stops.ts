// ptrace-stops (man 2 ptrace): where a traced thread stops, how its tracer
// hears of it, and how it goes on when the tracer resumes it. A stop holds
// the tracee the way a group stop does: its context is simply not resumed
// until the tracer says so (PTRACE_CONT, SYSCALL, SYSEMU, DETACH, KILL).
import { CLD, CLONE, Errno, PTRACE_EVENT, PTRACE_O, SA, SI, Signal, wStopCode } from '@tvisor/abi';
import { REG } from '@tvisor/platform';
import type { Kernel, PtraceHooks } from '../kernel.js';
import type { Task, ThreadGroup } from '../task.js';
import { sendSignal } from '../signal-delivery.js';
import { checkGroupStopped } from '../job-control.js';
import { sigInfoChild, sigInfoKill } from '../signals/index.js';
import { PtraceLink, type PtraceStop, type ResumeMode, type StopKind } from './link.js';

/** The siginfo of a stop the kernel makes (syscall and event stops): SIGTRAP with `code`. */
function trapInfo(code: number): Uint8Array {
  return sigInfoKill(Signal.SIGTRAP, { pid: 0, uid: 0 }, code);
}

/** x86's trap flag (eflags bit 8): a debug trap after each instruction. */
const EFLAGS_TF = 0x100n;

/** A siginfo PTRACE_GETSIGINFO refuses (EINVAL): a group-stop has none. */
export const NO_SIGINFO = new Uint8Array(0);

/**
 * Lets `task` run again from the tracer's syscall (the run loop may be
 * waiting with no task running). A tracee that stopped while parked in a
 * syscall (vfork's event) goes on waiting: the syscall's end resumes it.
 */
function go(kernel: Kernel, task: Task): void {
  if (kernel.blocked.has(task)) return;
  kernel.resumeTask(task);
  kernel.wakeRunLoop();
}

/**
 * Holds `task` in a ptrace-stop and tells its tracer: wait4/waitid callers in
 * the tracer's process look again, and it gets SIGCHLD (CLD_TRAPPED) unless
 * its SIGCHLD action has SA_NOCLDSTOP.
 */
export function enterStop(
  kernel: Kernel,
  task: Task,
  kind: StopKind,
  status: number,
  signal: number,
  siginfo: Uint8Array,
  resume: (sig: number) => void,
): PtraceStop {
  const link = task.ptrace!;
  if (link.forcedTrapFlag) {
    link.forcedTrapFlag = false;
    task.regs.setBig(REG.eflags, task.regs.getBig(REG.eflags) & ~EFLAGS_TF);
  }
  const stop = link.enter({ kind, status, signal, siginfo, resume });
  const tracer = link.tracer.group;
  for (const wake of [...tracer.childWaiters]) wake();
  if ((tracer.signals.actions[Signal.SIGCHLD].flags & BigInt(SA.NOCLDSTOP)) === 0n) {
    sendSignal(kernel, tracer, Signal.SIGCHLD, sigInfoChild(CLD.TRAPPED, { pid: task.tid, uid: task.group.creds.uid, status: signal, utime: 0, stime: 0 }));
  }
  // A tracee is as stopped as a held thread for a group stop in progress.
  checkGroupStopped(kernel, task.group);
  return stop;
}

/** PTRACE_CONT, SYSCALL, SYSEMU: the stopped tracee goes on (delivering `sig` if it was stopped for a signal). */
export function resumeTracee(task: Task, mode: ResumeMode, sig: number): void {
  const link = task.ptrace!;
  link.mode = mode;
  link.release(sig);
}

/**
 * PTRACE_SINGLESTEP: the tracee runs one instruction with the trap flag set;
 * the CPU's debug trap comes back as a SIGTRAP fault (TRAP_TRACE), which the
 * tracer sees in a signal-delivery-stop. A platform that runs application
 * code under host ptrace reports that trap like any other fault.
 */
export function stepTracee(task: Task, sig: number): void {
  const link = task.ptrace!;
  const eflags = task.regs.getBig(REG.eflags);
  if (!(eflags & EFLAGS_TF)) {
    task.regs.setBig(REG.eflags, eflags | EFLAGS_TF);
    link.forcedTrapFlag = true;
  }
  link.mode = 'cont';
  link.release(sig);
}

/** A signal-delivery-stop's continuation: deliver `sig` (the tracer's choice) or nothing. */
function signalStop(kernel: Kernel, task: Task, sig: number, info: Uint8Array): void {
  const stop: PtraceStop = enterStop(kernel, task, 'signal', wStopCode(sig), sig, info, (chosen) => {
    if (chosen !== 0) {
      const tracer = task.ptrace?.tracer;
      // A different signal than the one that stopped gets a siginfo from the tracer (Linux's ptrace_signal).
      const chosenInfo =
        chosen === stop.signal ? stop.siginfo : sigInfoKill(chosen, { pid: tracer?.group.pid ?? 0, uid: tracer?.group.creds.uid ?? 0 }, SI.USER);
      if (task.ptrace) task.ptrace.injected = { sig: chosen, info: chosenInfo };
      else task.group.signals.enqueue(chosen, chosenInfo);
    }
    go(kernel, task);
  });
}

/** Makes `tracer` trace `tracee` (TRACEME, ATTACH, SEIZE, or a traced parent's new child). */
export function attach(kernel: Kernel, tracer: Task, tracee: Task, seized: boolean, options: number): PtraceLink<Task> {
  const link = new PtraceLink<Task>(tracer, seized);
  link.options = options;
  tracee.ptrace = link;
  tracer.group.tracees.add(tracee);
  kernel.ptraceHooks ??= ptraceHooks(kernel);
  return link;
}

/**
 * Ends `tracee`'s link (PTRACE_DETACH, or its tracer's exit): a stopped
 * tracee goes on, with `sig` if it was stopped for a signal.
 */
export function detach(tracee: Task, sig: number): void {
  const link = tracee.ptrace;
  if (!link) return;
  tracee.ptrace = undefined;
  link.tracer.group.tracees.delete(tracee);
  if (!tracee.exited) link.release(sig);
}

/**
 * A traced task created `child` (clone, fork, vfork): with the matching
 * PTRACE_O_TRACE* option (or CLONE_PTRACE) the child is traced too and
 * starts in a stop, and the parent reports the event before its syscall
 * returns. Returns whether the child starts stopped (the caller then does
 * not start it).
 */
export function traceNewTask(kernel: Kernel, parent: Task, child: Task, flags: number, exitSignal: number): boolean {
  const link = parent.ptrace;
  if (!link) return false;
  let event: number;
  let option: number;
  if (flags & CLONE.VFORK) [event, option] = [PTRACE_EVENT.VFORK, PTRACE_O.TRACEVFORK];
  else if (exitSignal !== Signal.SIGCHLD) [event, option] = [PTRACE_EVENT.CLONE, PTRACE_O.TRACECLONE];
  else [event, option] = [PTRACE_EVENT.FORK, PTRACE_O.TRACEFORK];
  const reported = (link.options & option) !== 0;
  if (!reported && !(flags & CLONE.PTRACE)) return false;
  const childLink = attach(kernel, link.tracer, child, link.seized, link.options);
  if (reported && event === PTRACE_EVENT.VFORK) {
    // The vfork event comes before the parent waits for its child (which may take as long as the tracer wants).
    link.eventMsg = child.tid;
    enterStop(kernel, parent, 'event', wStopCode(Signal.SIGTRAP, event), Signal.SIGTRAP, trapInfo(Signal.SIGTRAP | (event << 8)), () => go(kernel, parent));
  } else if (reported) link.pendingEvent = { event, msg: child.tid };
  // A new tracee starts in a SIGSTOP signal-delivery-stop (seized: a PTRACE_EVENT_STOP).
  if (childLink.seized)
    enterStop(kernel, child, 'event', wStopCode(Signal.SIGTRAP, PTRACE_EVENT.STOP), Signal.SIGTRAP, trapInfo(Signal.SIGTRAP | (PTRACE_EVENT.STOP << 8)), () =>
      go(kernel, child),
    );
  else signalStop(kernel, child, Signal.SIGSTOP, sigInfoKill(Signal.SIGSTOP, { pid: 0, uid: 0 }, SI.KERNEL));
  return true;
}

/** A vfork parent's child has exec'd or exited: with PTRACE_O_TRACEVFORKDONE, a PTRACE_EVENT_VFORK_DONE stop before vfork returns. */
export function vforkDoneEvent(parent: Task, childPid: number): void {
  const link = parent.ptrace;
  if (link && link.options & PTRACE_O.TRACEVFORKDONE) link.pendingEvent = { event: PTRACE_EVENT.VFORK_DONE, msg: childPid };
}

/** execve succeeded in a traced task: a PTRACE_EVENT_EXEC stop (TRACEEXEC), or SIGTRAP for a tracee not seized. */
export function tracedExec(kernel: Kernel, task: Task, formerTid: number): void {
  const link = task.ptrace;
  if (!link) return;
  if (link.options & PTRACE_O.TRACEEXEC) link.pendingEvent = { event: PTRACE_EVENT.EXEC, msg: formerTid };
  else if (!link.seized)
    sendSignal(kernel, task.group, Signal.SIGTRAP, sigInfoKill(Signal.SIGTRAP, { pid: task.group.pid, uid: task.group.creds.uid }, SI.USER), task);
}

/**
 * exit/exit_group of a tracee with PTRACE_O_TRACEEXIT: a PTRACE_EVENT_EXIT
 * stop first (GETEVENTMSG gives the wait status), and `exit` runs once the
 * tracer resumes it. Returns false (the caller exits now) otherwise.
 */
export function exitEventStop(kernel: Kernel, task: Task, status: number, exit: () => void): boolean {
  const link = task.ptrace;
  if (!link || !(link.options & PTRACE_O.TRACEEXIT)) return false;
  link.eventMsg = status;
  enterStop(kernel, task, 'event', wStopCode(Signal.SIGTRAP, PTRACE_EVENT.EXIT), Signal.SIGTRAP, trapInfo(Signal.SIGTRAP | (PTRACE_EVENT.EXIT << 8)), () => {
    exit();
    kernel.wakeRunLoop();
  });
  return true;
}

/** Holds a tracee whose process is stopped in a group-stop its tracer sees (PTRACE_GETSIGINFO: EINVAL) and may end. */
export function groupStopForTracer(kernel: Kernel, task: Task, sig: number): void {
  const status = task.ptrace!.seized ? wStopCode(sig, PTRACE_EVENT.STOP) : wStopCode(sig);
  enterStop(kernel, task, 'group', status, sig, NO_SIGINFO, () => go(kernel, task));
}

/**
 * PTRACE_ATTACH: the tracee stops for SIGSTOP as if sent to it alone (a
 * thread-directed signal, which a process-wide queue cannot hold): at once if
 * it is stopped already (a group-stop its tracer now sees), else as soon as
 * it leaves application code or its syscall.
 */
export function stopAttached(kernel: Kernel, task: Task): void {
  if (task.jobStopped) {
    task.jobStopped = false;
    kernel.stoppedTasks.delete(task);
    groupStopForTracer(kernel, task, task.group.jobStop.signal || Signal.SIGSTOP);
    return;
  }
  task.ptrace!.attachStopPending = true;
  kernel.interruptTask(task);
}

/** PTRACE_INTERRUPT: a PTRACE_EVENT_STOP as soon as the tracee is out of application code or its syscall. */
export function interruptTracee(kernel: Kernel, task: Task): void {
  const link = task.ptrace!;
  if (link.stop) return;
  link.interruptPending = true;
  kernel.interruptTask(task);
}

/** The hooks the kernel core calls for traced tasks. */
function ptraceHooks(kernel: Kernel): PtraceHooks {
  return {
    syscallEnter(task, serve) {
      const link = task.ptrace!;
      // Whether a syscall-exit-stop follows depends on how the tracer resumes the tracee last (PTRACE_SYSCALL), not on this stop.
      link.exitStopDue = true;
      if (link.mode === 'cont') return false;
      const sig = Signal.SIGTRAP | (link.options & PTRACE_O.TRACESYSGOOD ? 0x80 : 0);
      // At syscall-enter-stop rax reads -ENOSYS, orig_rax the syscall number (as on x86-64 Linux).
      task.regs.setReturn(-Errno.ENOSYS);
      // Under PTRACE_SYSEMU the syscall is never run (the tracer emulates it), however the tracer resumes the stop.
      const emulated = link.mode === 'sysemu';
      enterStop(kernel, task, 'syscall-enter', wStopCode(sig), sig, trapInfo(sig), () => {
        const now = task.ptrace;
        if (emulated) {
          if (now) now.exitStopDue = false;
          go(kernel, task);
          return;
        }
        // The tracer set orig_rax to -1: the syscall is skipped, rax stays as the tracer left it.
        if (task.regs.syscallNumber === -1) go(kernel, task);
        else serve();
      });
      return true;
    },

    beforeReturn(task) {
      const link = task.ptrace!;
      if (link.stop) return true;
      const pending = link.pendingEvent;
      if (pending) {
        link.pendingEvent = undefined;
        link.eventMsg = pending.msg;
        const code = Signal.SIGTRAP | (pending.event << 8);
        enterStop(kernel, task, 'event', wStopCode(Signal.SIGTRAP, pending.event), Signal.SIGTRAP, trapInfo(code), () => go(kernel, task));
        return true;
      }
      if (link.exitStopDue) {
        link.exitStopDue = false;
        // Only if the tracer still asks for syscall stops (it may have resumed an event stop with PTRACE_CONT).
        if (link.mode === 'syscall') {
          const sig = Signal.SIGTRAP | (link.options & PTRACE_O.TRACESYSGOOD ? 0x80 : 0);
          enterStop(kernel, task, 'syscall-exit', wStopCode(sig), sig, trapInfo(sig), () => go(kernel, task));
          return true;
        }
      }
      if (link.attachStopPending) {
        link.attachStopPending = false;
        const tracer = link.tracer.group;
        signalStop(kernel, task, Signal.SIGSTOP, sigInfoKill(Signal.SIGSTOP, { pid: tracer.pid, uid: tracer.creds.uid }, SI.USER));
        return true;
      }
      if (link.interruptPending) {
        link.interruptPending = false;
        const info = trapInfo(Signal.SIGTRAP | (PTRACE_EVENT.STOP << 8));
        enterStop(kernel, task, 'event', wStopCode(Signal.SIGTRAP, PTRACE_EVENT.STOP), Signal.SIGTRAP, info, () => go(kernel, task));
        return true;
      }
      return false;
    },

    signalDelivery(task, sig, info) {
      signalStop(kernel, task, sig, info);
      return true;
    },

    groupStop(task, sig) {
      const g = task.group;
      g.jobStop.state = 'stopped';
      g.jobStop.signal = sig;
      // The parent (when it is not the tracer) sees the group stop as usual.
      if (g.parent && g.parent !== task.ptrace!.tracer.group) {
        g.jobStop.unreportedStop = sig;
        for (const wake of [...g.parent.childWaiters]) wake();
      }
      groupStopForTracer(kernel, task, sig);
    },

    groupContinued(group) {
      for (const task of group.tasks) {
        const stop = task.ptrace?.stop;
        if (!stop?.listening) continue;
        task.ptrace!.stop = undefined;
        const info = trapInfo(Signal.SIGTRAP | (PTRACE_EVENT.STOP << 8));
        enterStop(kernel, task, 'event', wStopCode(Signal.SIGTRAP, PTRACE_EVENT.STOP), Signal.SIGTRAP, info, stop.resume);
      }
    },

    taskExited(task, status) {
      const link = task.ptrace;
      if (link) {
        task.ptrace = undefined;
        const tracer = link.tracer.group;
        tracer.tracees.delete(task);
        // The tracer hears of the exit; a parent that is the tracer reaps it as its child instead.
        const reapedAsChild = task.group.parent === tracer && task.tid === task.group.pid;
        if (reapedAsChild) task.group.exitedTracedByParent = true;
        if (!reapedAsChild && tracer.exitStatus === undefined) {
          tracer.traceeExits.push({ pid: task.tid, status, group: task.group });
          // Its parent reaps it only once the tracer has waited for it (Linux's delay_group_leader).
          if (task.tid === task.group.pid) task.group.exitUnreportedToTracer = true;
        }
        for (const wake of [...tracer.childWaiters]) wake();
      }
      if (task.group.exitStatus !== undefined) {
        // A tracer that is gone no longer holds its tracees' zombies from their parents.
        for (const e of task.group.traceeExits.splice(0)) traceeExitReported(e.group);
      }
      // A tracer's exit detaches its tracees (PTRACE_O_EXITKILL: kills them).
      for (const tracee of [...task.group.tracees]) {
        if (tracee.ptrace?.tracer !== task) continue;
        const exitKill = (tracee.ptrace.options & PTRACE_O.EXITKILL) !== 0;
        detach(tracee, 0);
        if (exitKill) kernel.killGroup(tracee.group, Signal.SIGKILL);
      }
    },
  };
}

/** The tracer has waited for tracee process `g`'s exit: its parent may reap it now. */
export function traceeExitReported(g: ThreadGroup): void {
  if (!g.exitUnreportedToTracer) return;
  g.exitUnreportedToTracer = false;
  if (g.parent) for (const wake of [...g.parent.childWaiters]) wake();
}
