import { Errno, NSIG, SI, SIG_HOW, SS, Signal, SysError } from '@tvisor/abi';
import { clockNow, decodeTimespec } from '../clock.js';
import { KEEP_REGISTERS } from '../kernel.js';
import { sendSignal, sigreturn, sendKill } from '../signal-delivery.js';
import { SIG_DFL, SIG_IGN, UNBLOCKABLE_MASK } from '../signals.js';
import { reportedAltStackFlags, spInAltStack } from '../signals/index.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { findGroup, groupsMatching, maySignal } from '../process-lookup.js';

const SIGSET_SIZE = 8;
const SIGACTION_SIZE = 32;
const STACK_T_SIZE = 24;
/** MINSIGSTKSZ on x86-64 (signal.h). */
const MINSIGSTKSZ = 2048;

/**
 * The siginfo rt_sigqueueinfo/rt_tgsigqueueinfo deliver: the caller's own,
 * every field as given (si_errno, si_pid, the union), with only si_signo set
 * to the signal sent, as Linux does.
 */
function queuedSigInfo(info: Uint8Array, sig: number): Uint8Array {
  const out = new Uint8Array(info);
  new DataView(out.buffer).setInt32(0, sig, true);
  return out;
}

function readSigset(t: Task, addr: number): bigint {
  const b = t.mm.copyIn(addr, SIGSET_SIZE);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

function writeSigset(t: Task, addr: number, set: bigint): void {
  const out = new Uint8Array(SIGSET_SIZE);
  new DataView(out.buffer).setBigUint64(0, set, true);
  t.mm.copyOut(addr, out);
}

function checkSigsetSize(size: number): void {
  if (size !== SIGSET_SIZE) throw new SysError(Errno.EINVAL);
}

function rtSigaction(t: Task, sig: number, act: number, oldact: number, size: number): number {
  checkSigsetSize(size);
  if (sig < 1 || sig > NSIG) throw new SysError(Errno.EINVAL);
  const actions = t.group.signals.actions;
  const old = actions[sig];
  if (act !== 0 && (sig === Signal.SIGKILL || sig === Signal.SIGSTOP)) throw new SysError(Errno.EINVAL);
  let next = old;
  if (act !== 0) {
    const b = t.mm.copyIn(act, SIGACTION_SIZE);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    next = {
      handler: v.getBigUint64(0, true),
      flags: v.getBigUint64(8, true),
      restorer: v.getBigUint64(16, true),
      mask: v.getBigUint64(24, true) & ~UNBLOCKABLE_MASK,
    };
  }
  if (oldact !== 0) {
    const out = new DataView(new ArrayBuffer(SIGACTION_SIZE));
    out.setBigUint64(0, old.handler, true);
    out.setBigUint64(8, old.flags, true);
    out.setBigUint64(16, old.restorer, true);
    out.setBigUint64(24, old.mask, true);
    t.mm.copyOut(oldact, new Uint8Array(out.buffer));
  }
  if (act !== 0) {
    actions[sig] = next;
    // Setting a pending signal's action to ignore discards it (POSIX); so
    // does SIG_DFL where the default does nothing (SIGCONT's continues at send).
    if (
      next.handler === SIG_IGN ||
      (next.handler === SIG_DFL && ([Signal.SIGCHLD, Signal.SIGURG, Signal.SIGWINCH, Signal.SIGCONT] as number[]).includes(sig))
    ) {
      t.group.signals.discard(sig);
    }
  }
  return 0;
}

function sigaltstack(t: Task, ss: number, oldSs: number): number {
  const sp = t.regs.sp;
  const on = spInAltStack(t.altStack, sp);
  if (oldSs !== 0) {
    const out = new DataView(new ArrayBuffer(STACK_T_SIZE));
    out.setBigUint64(0, BigInt(t.altStack.sp), true);
    out.setInt32(8, reportedAltStackFlags(t.altStack, sp), true);
    out.setBigUint64(16, BigInt(t.altStack.size), true);
    t.mm.copyOut(oldSs, new Uint8Array(out.buffer));
  }
  if (ss !== 0) {
    const b = t.mm.copyIn(ss, STACK_T_SIZE);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const newSp = Number(v.getBigUint64(0, true));
    const flags = v.getInt32(8, true) >>> 0;
    const size = Number(v.getBigUint64(16, true));
    if (on) throw new SysError(Errno.EPERM);
    const mode = flags & ~SS.AUTODISARM;
    if (mode !== 0 && mode !== SS.DISABLE && mode !== SS.ONSTACK) throw new SysError(Errno.EINVAL);
    if (mode === SS.DISABLE) {
      t.altStack = { sp: 0, flags: SS.DISABLE, size: 0 };
    } else {
      if (size < MINSIGSTKSZ) throw new SysError(Errno.ENOMEM);
      t.altStack = { sp: newSp, flags: flags & SS.AUTODISARM, size };
    }
  }
  return 0;
}

/** Parks until a signal is delivered; the syscall then fails with EINTR (via ERESTARTNOHAND), as pause/sigsuspend do. */
function waitForSignal(t: Task): number {
  return t.kernel.block(t, () => () => {}, -Errno.ERESTARTNOHAND);
}

function rtSigtimedwait(t: Task, setAddr: number, infoAddr: number, timeoutAddr: number, size: number): number {
  checkSigsetSize(size);
  const set = readSigset(t, setAddr) & ~UNBLOCKABLE_MASK;
  const take = (): number => {
    const sig = t.group.signals.next(~set);
    if (sig === 0) return 0;
    const info = t.group.signals.dequeue(sig)!;
    if (infoAddr !== 0) t.mm.copyOut(infoAddr, info);
    return sig;
  };
  const now = take();
  if (now) return now;
  let deadline: bigint | undefined;
  if (timeoutAddr !== 0) {
    const d = decodeTimespec(t.mm.copyIn(timeoutAddr, 16));
    if (d === 0n) throw new SysError(Errno.EAGAIN);
    deadline = clockNow(1) + d;
  }
  // Signals in `set` are blocked by the caller (sigtimedwait's contract), so
  // they stay pending: poll for them whenever one arrives for this process.
  return t.kernel.block(
    t,
    (complete) => {
      // Ended by a signal or the timeout, the waiter leaves the process's list at once:
      // a stale one would take (and lose) the next signal of its set.
      const finish = (result: number) => {
        stop();
        complete(result);
      };
      const onSignal = () => {
        const sig = take();
        if (sig) finish(sig);
      };
      t.group.signalWaiters.add(onSignal);
      const cancelTimer = deadline === undefined ? undefined : t.kernel.setDeadline(1, deadline, () => finish(-Errno.EAGAIN));
      function stop() {
        t.group.signalWaiters.delete(onSignal);
        cancelTimer?.();
      }
      return stop;
    },
    -Errno.EINTR,
  );
}

function kill(t: Task, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) throw new SysError(Errno.EINVAL);
  const all = groupsMatching(t, pid);
  // A thread's id names its process (Linux finds the thread, then signals its group).
  const thread = pid > 0 && all.length === 0 ? t.kernel.tasks.get(pid) : undefined;
  if (thread) all.push(thread.group);
  if (all.length === 0) throw new SysError(Errno.ESRCH);
  const targets = all.filter((g) => maySignal(t, g, sig));
  // Refused everywhere: EPERM, except for kill(-1), which reports success regardless.
  if (targets.length === 0 && pid !== -1) throw new SysError(Errno.EPERM);
  // Signal the caller last: it may be among the targets and die of it.
  for (const g of targets.filter((g) => g !== t.group)) sendKill(t.kernel, g, sig, t);
  if (targets.includes(t.group)) sendKill(t.kernel, t.group, sig, t);
  return 0;
}

/**
 * Dispositions, masks, delivery to handlers through signal frames on the
 * application stack, rt_sigreturn, sigaltstack, and waiting for signals.
 */
export function registerSignalSyscalls(table: SyscallTable): void {
  table.register({
    rt_sigaction: { args: ['int', 'ptr', 'ptr', 'uint'], handler: (t, a) => rtSigaction(t, a.argInt(0), a.arg(1), a.arg(2), a.arg(3)) },
    rt_sigprocmask: {
      args: ['int', 'ptr', 'ptr', 'uint'],
      handler: (t, a) => {
        checkSigsetSize(a.arg(3));
        const old = t.blocked;
        if (a.arg(1) !== 0) {
          const set = readSigset(t, a.arg(1)) & ~UNBLOCKABLE_MASK;
          switch (a.argInt(0)) {
            case SIG_HOW.BLOCK:
              t.blocked = old | set;
              break;
            case SIG_HOW.UNBLOCK:
              t.blocked = old & ~set;
              break;
            case SIG_HOW.SETMASK:
              t.blocked = set;
              break;
            default:
              throw new SysError(Errno.EINVAL);
          }
        }
        if (a.arg(2) !== 0) writeSigset(t, a.arg(2), old);
        return 0;
      },
    },
    rt_sigreturn: {
      args: [],
      handler: (t) => {
        sigreturn(t.kernel, t);
        return KEEP_REGISTERS;
      },
    },
    sigaltstack: { args: ['ptr', 'ptr'], handler: (t, a) => sigaltstack(t, a.arg(0), a.arg(1)) },
    rt_sigpending: {
      args: ['ptr', 'uint'],
      handler: (t, a) => {
        if (a.arg(1) > SIGSET_SIZE) throw new SysError(Errno.EINVAL);
        writeSigset(t, a.arg(0), t.group.signals.pending & t.blocked);
        return 0;
      },
    },
    rt_sigsuspend: {
      args: ['ptr', 'uint'],
      handler: (t, a) => {
        checkSigsetSize(a.arg(1));
        const mask = readSigset(t, a.arg(0)) & ~UNBLOCKABLE_MASK;
        t.savedMask = t.blocked;
        t.blocked = mask;
        // A signal the new mask unblocks may be pending already (sent while it
        // was blocked): Kernel.block then ends the wait before it parks.
        return waitForSignal(t);
      },
    },
    pause: { args: [], handler: (t) => waitForSignal(t) },
    rt_sigtimedwait: {
      args: ['ptr', 'ptr', 'ptr', 'uint'],
      handler: (t, a) => rtSigtimedwait(t, a.arg(0), a.arg(1), a.arg(2), a.arg(3)),
    },
    rt_sigqueueinfo: {
      args: ['int', 'int', 'ptr'],
      handler: (t, a) => {
        const target = t.kernel.tasks.get(a.argInt(0));
        if (!target || target.group.pid !== a.argInt(0)) throw new SysError(Errno.ESRCH);
        const sig = a.argInt(1);
        if (sig < 1 || sig > NSIG) throw new SysError(Errno.EINVAL);
        const info = t.mm.copyIn(a.arg(2), 128);
        const code = new DataView(info.buffer, info.byteOffset).getInt32(8, true);
        // Only the kernel may send si_code >= 0 (other than SI_USER) or SI_TKILL on another's behalf.
        if ((code >= 0 || code === -6) && target.group !== t.group) throw new SysError(Errno.EPERM);
        if (!maySignal(t, target.group, sig)) throw new SysError(Errno.EPERM);
        sendSignal(t.kernel, target.group, sig, queuedSigInfo(info, sig), undefined, true);
        return 0;
      },
    },
    rt_tgsigqueueinfo: {
      args: ['int', 'int', 'int', 'ptr'],
      handler: (t, a) => {
        if (a.argInt(0) <= 0 || a.argInt(1) <= 0) throw new SysError(Errno.EINVAL);
        const sig = a.argInt(2);
        if (sig < 0 || sig > NSIG) throw new SysError(Errno.EINVAL);
        const info = t.mm.copyIn(a.arg(3), 128);
        const view = new DataView(info.buffer, info.byteOffset);
        const code = view.getInt32(8, true);
        const target = t.kernel.tasks.get(a.argInt(1));
        if (!target || target.group.pid !== a.argInt(0)) throw new SysError(Errno.ESRCH);
        // Only the kernel may send si_code >= 0 or SI_TKILL to another process.
        if ((code >= 0 || code === -6) && target.group !== t.group) throw new SysError(Errno.EPERM);
        if (!maySignal(t, target.group, sig)) throw new SysError(Errno.EPERM);
        sendSignal(t.kernel, target.group, sig, queuedSigInfo(info, sig), target, true);
        return 0;
      },
    },
    restart_syscall: {
      args: [],
      note: 'resumes nanosleep/clock_nanosleep to their original deadline',
      handler: (t) => {
        const resume = t.restartBlock;
        t.restartBlock = undefined;
        if (!resume) throw new SysError(Errno.EINTR);
        return resume();
      },
    },
    kill: {
      args: ['int', 'int'],
      handler: (t, a) => kill(t, a.argInt(0), a.argInt(1)),
    },
    tgkill: {
      args: ['int', 'int', 'int'],
      support: 'partial',
      note: 'the signal is pending for the process and the target thread is woken for it',
      handler: (t, a) => {
        if (a.argInt(0) <= 0 || a.argInt(1) <= 0) throw new SysError(Errno.EINVAL);
        const g = findGroup(t, a.argInt(0));
        const target = t.kernel.tasks.get(a.argInt(1));
        if (!target || target.group !== g) throw new SysError(Errno.ESRCH);
        if (!maySignal(t, g, a.argInt(2))) throw new SysError(Errno.EPERM);
        sendKill(t.kernel, g, a.argInt(2), t, target, SI.TKILL);
        return 0;
      },
    },
    tkill: {
      args: ['int', 'int'],
      support: 'partial',
      note: 'the signal is pending for the process and the target thread is woken for it',
      handler: (t, a) => {
        if (a.argInt(0) <= 0) throw new SysError(Errno.EINVAL);
        const task = t.kernel.tasks.get(a.argInt(0));
        if (!task) throw new SysError(Errno.ESRCH);
        if (!maySignal(t, task.group, a.argInt(1))) throw new SysError(Errno.EPERM);
        sendKill(t.kernel, task.group, a.argInt(1), t, task, SI.TKILL);
        return 0;
      },
    },
  });
}
