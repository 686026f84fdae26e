import { Errno, SEGV, SI, Signal, signalDefaultAction } from '@tvisor/abi';
import type { Kernel } from './kernel.js';
import { continueGroup, discardOnSend, isOrphanedPgrp, isStopSignal, startGroupStop } from './job-control.js';
import { SIG_DFL, SIG_IGN, sigbit, type SignalAction } from './signals.js';
import {
  buildSignalFrame,
  registersAfterSyscallRestart,
  restoreFromSigreturn,
  sigInfoFault,
  sigInfoKill,
  writeGeneralRegisters,
  xsaveLayoutFromPtrace,
  type FpuLayout,
} from './signals/index.js';
import type { Task, ThreadGroup } from './task.js';
import { REG } from '@tvisor/platform';

/** Is `sig`'s current disposition one that does nothing when delivered? */
function ignoredOnDelivery(action: SignalAction, sig: number): boolean {
  if (action.handler === SIG_IGN) return true;
  if (action.handler !== SIG_DFL) return false;
  const def = signalDefaultAction(sig);
  return def === 'ignore' || def === 'continue';
}

/**
 * Linux's SIGNAL_UNKILLABLE (sig_task_ignored): a PID namespace's init drops
 * a signal it has no handler for, unless it is SIGKILL or SIGSTOP from
 * outside the namespace. SIGCONT still continues it (runtime resume).
 */
function initDrops(kernel: Kernel, g: ThreadGroup, sig: number, fromTask: boolean): boolean {
  if (!kernel.namespaceInit || g !== kernel.init || sig === Signal.SIGCONT) return false;
  if (g.signals.actions[sig].handler !== SIG_DFL) return false;
  // Blocked, it stays pending (sigwait may take it); delivery drops it then.
  if ([...g.tasks].some((t) => t.blocked & sigbit(sig))) return false;
  return fromTask || (sig !== Signal.SIGKILL && sig !== Signal.SIGSTOP);
}

/**
 * Sends `sig` to process `g` with `info` (siginfo bytes). SIGKILL acts at
 * once; SIGCONT continues a stopped process whatever its disposition; a
 * signal its disposition ignores is dropped; otherwise it becomes
 * pending and a thread that does not block it is interrupted: parked in a
 * syscall, the syscall ends (-ERESTARTSYS, so SA_RESTART can restart it);
 * running application code, it is stopped to take the signal.
 */
export function sendSignal(kernel: Kernel, g: ThreadGroup, sig: number, info: Uint8Array, target?: Task, fromTask = false, queueAlways = false): void {
  if (sig === 0 || g.exitStatus !== undefined) return;
  if (initDrops(kernel, g, sig, fromTask)) return;
  if (sig === Signal.SIGKILL) {
    kernel.killGroup(g, Signal.SIGKILL);
    return;
  }
  discardOnSend(g, sig);
  const action = g.signals.actions[sig];
  // An ignored signal is dropped, unless a thread blocks it (then it stays
  // pending: sigtimedwait or a later change of disposition may take it).
  // A tracer sees even ignored signals (Linux's sig_ignored).
  const dropped = ignoredOnDelivery(action, sig) && ![...g.tasks].some((t) => t.blocked & sigbit(sig) || t.ptrace);
  if (!dropped) {
    g.signals.enqueue(sig, info, queueAlways);
    for (const wake of [...g.signalWaiters]) wake();
  }
  // Resumed threads take the pending SIGCONT (its handler) first.
  if (sig === Signal.SIGCONT) continueGroup(kernel, g);
  if (dropped || !(g.signals.pending & sigbit(sig))) return;
  const candidates = target ? [target, ...[...g.tasks].filter((t) => t !== target)] : [...g.tasks];
  for (const t of candidates) {
    if (t.blocked & sigbit(sig)) continue;
    kernel.interruptTask(t);
    break;
  }
}

/** A signal with `kill`'s siginfo, from `sender` (undefined: the kernel); tgkill and tkill say SI_TKILL as `code`. */
export function sendKill(kernel: Kernel, g: ThreadGroup, sig: number, sender?: Task, target?: Task, code: number = SI.USER): void {
  const from = sender ? { pid: sender.group.pid, uid: sender.creds.uid } : { pid: 0, uid: 0 };
  sendSignal(kernel, g, sig, sigInfoKill(sig, from, sender ? code : SI.KERNEL), target, sender !== undefined);
}

let fpuLayout: FpuLayout | undefined;
function layoutOf(fpState: Uint8Array): FpuLayout {
  fpuLayout ??= xsaveLayoutFromPtrace(fpState);
  return fpuLayout;
}

/**
 * Before `task` returns to application code: runs the default action of
 * pending signals, or sets up one handler frame on its stack (the handler
 * runs, returns through rt_sigreturn, and the next pending signal is
 * handled then). Afterwards, a syscall still ending with -ERESTART* (its
 * signal was not handled by a handler) is restarted transparently.
 * Returns false if the task's process died or stopped (the task is held).
 */
export function deliverPending(kernel: Kernel, task: Task): boolean {
  const g = task.group;
  for (;;) {
    let sig: number;
    let info: Uint8Array;
    const injected = task.ptrace?.injected;
    if (injected) {
      // The signal a tracer chose at a signal-delivery-stop: no second stop; blocked, it waits in the queue.
      task.ptrace!.injected = undefined;
      ({ sig, info } = injected);
      if (task.blocked & sigbit(sig)) {
        g.signals.enqueue(sig, info);
        continue;
      }
    } else {
      sig = g.signals.next(task.blocked);
      if (sig === 0) break;
      info = g.signals.dequeue(sig)!;
      if (task.ptrace && kernel.ptraceHooks?.signalDelivery(task, sig, info)) return false;
    }
    const action = g.signals.actions[sig];
    if (ignoredOnDelivery(action, sig)) continue;
    // Pending since before its handler went back to SIG_DFL: a namespace's init still drops it (get_signal).
    if (action.handler === SIG_DFL && kernel.namespaceInit && g === kernel.init && sig !== Signal.SIGKILL && sig !== Signal.SIGSTOP) continue;
    if (action.handler === SIG_DFL && isStopSignal(sig)) {
      // A terminal stop signal cannot stop a process group no job control
      // shell could continue (an orphaned one); SIGSTOP always stops.
      if (sig !== Signal.SIGSTOP && isOrphanedPgrp(kernel, g.pgid)) continue;
      if (task.ptrace && kernel.ptraceHooks) {
        kernel.ptraceHooks.groupStop(task, sig);
        return false;
      }
      startGroupStop(kernel, task, sig);
      return false;
    }
    if (action.handler === SIG_DFL) {
      kernel.killGroup(g, sig);
      return false;
    }
    return setUpHandler(kernel, task, sig, info, action);
  }
  // No handler ran: a mask that sigsuspend/ppoll/pselect installed for the
  // wait is put back (with a handler, the signal frame carries it instead).
  if (task.savedMask !== undefined && !task.kernel.blocked.has(task)) {
    task.blocked = task.savedMask;
    task.savedMask = undefined;
  }
  // A syscall interrupted for nothing resumes as if never interrupted.
  const rax = task.regs.getSigned(REG.rax);
  if (rax <= -Errno.ERESTARTSYS && rax >= -Errno.ERESTART_RESTARTBLOCK) {
    const { regs } = registersAfterSyscallRestart(task.regs, null);
    writeGeneralRegisters(task.regs, regs);
  }
  return true;
}

function setUpHandler(kernel: Kernel, task: Task, sig: number, info: Uint8Array, action: SignalAction): boolean {
  const { regs } = registersAfterSyscallRestart(task.regs, Number(action.flags));
  const fpState = task.context.getFpState();
  const frame = buildSignalFrame({
    regs,
    fpState,
    fpu: layoutOf(fpState),
    signo: sig,
    siginfo: info,
    savedMask: task.savedMask ?? task.blocked,
    blocked: task.blocked,
    altStack: task.altStack,
    action: { sa_handler: Number(action.handler), sa_flags: Number(action.flags), sa_restorer: Number(action.restorer), sa_mask: action.mask },
  });
  task.savedMask = undefined;
  if (frame.ok) {
    try {
      task.mm.copyOut(frame.sp, frame.bytes);
    } catch {
      return forceSegv(kernel, task, sig);
    }
    writeGeneralRegisters(task.regs, frame.newRegs);
    task.context.setFpState(frame.handlerFpState);
    task.blocked = frame.blockedAfter;
    task.altStack = frame.altStackAfter;
    if (frame.resetHandler) Object.assign(action, { handler: SIG_DFL, flags: 0n, restorer: 0n, mask: 0n });
    return true;
  }
  return forceSegv(kernel, task, sig);
}

/** Linux's force_sigsegv: a frame that cannot be written kills the process with SIGSEGV. */
function forceSegv(kernel: Kernel, task: Task, sig: number): boolean {
  if (sig === Signal.SIGSEGV) task.group.signals.actions[Signal.SIGSEGV].handler = SIG_DFL;
  kernel.killGroup(task.group, Signal.SIGSEGV);
  return false;
}

/** rt_sigreturn: the registers, FP state, mask and altstack saved in the frame at rsp. */
export function sigreturn(kernel: Kernel, task: Task): void {
  const fpState = task.context.getFpState();
  const r = restoreFromSigreturn({
    regs: task.regs,
    memory: {
      read: (addr, length) => {
        try {
          return task.mm.copyIn(addr, length);
        } catch {
          return null;
        }
      },
    },
    fpu: layoutOf(fpState),
    fpState,
    altStack: task.altStack,
  });
  if (!r.ok) {
    forceSegv(kernel, task, Signal.SIGSEGV);
    return;
  }
  writeGeneralRegisters(task.regs, r.regs);
  task.context.setFpState(r.fpState);
  task.blocked = r.blocked;
  task.altStack = r.altStack;
}

/**
 * A synchronous fault in application code: SIGSEGV/SIGBUS/SIGFPE/SIGILL/
 * SIGTRAP with the fault's siginfo. Blocked or ignored, it kills, as Linux's
 * force_sig_fault does.
 */
export function deliverFault(kernel: Kernel, task: Task, sig: number, code: number, addr: number): void {
  const g = task.group;
  const action = g.signals.actions[sig];
  if (task.ptrace) {
    // Linux's force_sig_fault: blocked or ignored, it is unblocked and its action reset; the tracer sees it first.
    if (task.blocked & sigbit(sig) || action.handler === SIG_IGN) {
      task.blocked &= ~sigbit(sig);
      Object.assign(action, { handler: SIG_DFL, flags: 0n, restorer: 0n, mask: 0n });
    }
  } else if (task.blocked & sigbit(sig) || action.handler === SIG_IGN || action.handler === SIG_DFL) {
    kernel.killGroup(g, sig);
    return;
  }
  g.signals.enqueue(sig, sigInfoFault(sig, code || SEGV.MAPERR, addr));
}
