// clone(2) as the kernel does it: a new thread or process started where its
// parent's clone returns. The clone/fork/vfork handlers (syscalls/lifecycle.ts)
// only decode arguments.
import { ALTSTACK_INITIAL } from './signals/index.js';
import { inheritSchedState } from './sched-state.js';
import { CLONE, Errno, SysError } from '@tvisor/abi';
import { REG, type PlatformContext } from '@tvisor/platform';
import type { MemoryManager } from '@tvisor/mm';
import { Task, ThreadGroup } from './task.js';
import { SIG_DFL, SIG_IGN } from './signals.js';
import { copyOutU32 } from './user-io.js';
import { armCpuLimit } from './cpu-limit.js';
import { copyCredentials } from './credentials.js';
import { traceNewTask, vforkDoneEvent } from './ptrace/stops.js';
import { credentialsInNewUserNamespace } from './user-namespace.js';
import { namespacesAfter, namespacesOf, setNamespaces } from './namespaces.js';

/** What clone3(2) asks beyond clone(2)'s arguments. */
export interface CloneExtras {
  /** The signal the parent gets at the child's exit (clone3's exit_signal; clone(2) puts it in the flags' low byte). */
  exitSignal?: number;
  /** The pid the child must get (clone3's set_tid); EEXIST if it is in use. */
  tid?: number;
  /** CLONE_CLEAR_SIGHAND: handled signals revert to SIG_DFL in the child (ignored ones stay ignored). */
  clearSighand?: boolean;
  /** Called with the new process before it runs (CLONE_PIDFD installs its pidfd here). */
  onCreated?: (child: ThreadGroup) => void;
}

/** The id for a new task: the one clone3's set_tid asks for (EEXIST when taken), else the next free one. */
function newId(t: Task, extras: CloneExtras | undefined): number {
  if (extras?.tid === undefined) return t.kernel.allocateId();
  const taken = t.kernel.tasks.has(extras.tid) || [...t.kernel.tasks.values()].some((x) => [...x.group.children].some((c) => c.pid === extras.tid));
  if (taken) throw new SysError(Errno.EEXIST);
  return extras.tid;
}

/**
 * A clone child starts where its parent's clone returns: the parent's
 * registers and FP/vector state, with 0 as clone's result, on the stack and
 * TLS the caller asked for.
 */
function startLikeParent(t: Task, context: PlatformContext, flags: number, stack: number, tls: number): void {
  context.setFpState(t.context.getFpState());
  const regs = context.regs;
  regs.copyFrom(t.regs);
  regs.setReturn(0);
  if (stack !== 0) regs.sp = stack;
  if (flags & CLONE.SETTLS) regs.set(REG.fs_base, tls);
}

/**
 * clone with CLONE_THREAD: a new thread of the caller's process, on a new
 * host thread in the same stub, so application threads run in parallel.
 */
/** clone with CLONE_THREAD: a new thread of `t`'s process, on a new platform context in the same address space. */
function cloneThread(t: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number, extras?: CloneExtras): number {
  // A thread shares the signal handlers, which only makes sense with shared memory.
  if (!(flags & CLONE.SIGHAND) || !(flags & CLONE.VM)) throw new SysError(Errno.EINVAL);
  // A thread cannot leave its process's user or PID namespace.
  if (flags & (CLONE.NEWUSER | CLONE.NEWPID)) throw new SysError(Errno.EINVAL);
  const kernel = t.kernel;
  const group = t.group;
  const tid = newId(t, extras);
  const context = kernel.platform.newThread(t.context);
  startLikeParent(t, context, flags, stack, tls);
  const child = new Task(kernel, tid, group, context);
  child.comm = t.comm;
  child.creds = copyCredentials(t.creds);
  child.blocked = t.blocked;
  child.memPolicy = t.memPolicy;
  child.sched = inheritSchedState(t.sched);
  child.seccomp = t.seccomp;
  group.tasks.add(child);
  if (flags & CLONE.PARENT_SETTID) copyOutU32(group.mm, ptid, tid);
  if (flags & CLONE.CHILD_SETTID) copyOutU32(group.mm, ctid, tid);
  if (flags & CLONE.CHILD_CLEARTID) child.clearChildTid = ctid;
  kernel.addTask(child);
  if (!traceNewTask(kernel, t, child, flags, 0)) kernel.startTask(child);
  if (flags & CLONE.VFORK) {
    // The creator waits until the thread is gone (it shares the memory, so its exit is what frees it).
    return kernel.block(
      t,
      (complete) => {
        child.vforkDone = () => complete(tid);
        return () => (child.vforkDone = undefined);
      },
      null,
    );
  }
  return tid;
}

/** fork: the child gets a new address space holding a copy-on-write copy of the parent's memory. */
function copyMemory(t: Task): { mm: MemoryManager; context: PlatformContext } {
  const { addressSpace, context } = t.kernel.platform.newProcess();
  try {
    // Copy-on-write: as fast as an eager copy for bash running ls in a loop (measured), and memory grows only for written pages.
    const mm = t.mm.fork(addressSpace, 'cow');
    // The fork made the parent's pages copy-on-write again: a thread's repeat
    // of a write fault just fixed is a new fault, not a stuck one.
    for (const user of tasksSharingMemory(t)) user.lastFault = -1;
    return { mm, context };
  } catch (e) {
    context.kill();
    throw e;
  }
}

/**
 * clone(CLONE_VM) without CLONE_THREAD (vfork, posix_spawn): the child is
 * another process in the same memory. Its context is a thread of the
 * parent's address space for the platform; to the kernel it is a process of
 * its own that holds a reference to the shared MemoryManager.
 */
function shareMemory(t: Task): { mm: MemoryManager; context: PlatformContext } {
  const context = t.kernel.platform.newThread(t.context);
  return { mm: t.mm.share(), context };
}

/** Every task whose process runs in `t`'s memory: its threads and, after clone(CLONE_VM), other processes'. */
export function tasksSharingMemory(t: Task): Iterable<Task> {
  return t.mm.shared ? [...t.kernel.tasks.values()].filter((other) => other.mm === t.mm) : t.group.tasks;
}

/**
 * clone/fork/vfork: a new thread (CLONE_THREAD) or a new process. A new
 * process gets a copy of the parent's memory (mm.fork) in a new address
 * space, or with CLONE_VM the parent's memory itself; CLONE_VFORK makes the
 * parent wait until the child execs or exits.
 */
export function cloneProcess(t: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number, extras?: CloneExtras): number {
  if (flags & CLONE.THREAD) return cloneThread(t, flags, stack, ptid, ctid, tls, extras);
  // A new user namespace first: the other new namespaces are owned by it (and need CAP_SYS_ADMIN there).
  if (flags & CLONE.NEWUSER && flags & CLONE.FS) throw new SysError(Errno.EINVAL);
  const childCreds = flags & CLONE.NEWUSER ? credentialsInNewUserNamespace(t.creds) : copyCredentials(t.creds);
  const namespaces = namespacesAfter(t, flags, childCreds);
  const kernel = t.kernel;
  const parent = t.group;
  const pid = newId(t, extras);
  const { mm, context } = flags & CLONE.VM ? shareMemory(t) : copyMemory(t);
  startLikeParent(t, context, flags, stack, tls);

  // The child process inherits the calling thread's credentials (in its new user namespace with CLONE_NEWUSER).
  const creds = childCreds;
  const group = new ThreadGroup(
    pid,
    flags & CLONE.PARENT ? parent.parent : parent,
    mm,
    flags & CLONE.FILES ? parent.fds.share() : parent.fds.fork(),
    flags & CLONE.FS ? parent.fs : parent.fs.fork(creds),
    creds,
    t.comm,
  );
  setNamespaces(group, namespaces ?? namespacesOf(kernel, parent));
  group.pgid = parent.pgid;
  group.sid = parent.sid;
  group.signals = flags & CLONE.SIGHAND ? parent.signals : parent.signals.fork();
  group.exitSignal = extras?.exitSignal ?? flags & 0xff;
  if (extras?.clearSighand) {
    for (const a of group.signals.actions) if (a.handler !== SIG_IGN) Object.assign(a, { handler: SIG_DFL, flags: 0n, restorer: 0n, mask: 0n });
  }
  group.mmInfo = { ...parent.mmInfo };
  group.parentThread = flags & CLONE.PARENT ? parent.parentThread : t;
  group.oomScoreAdj = parent.oomScoreAdj;
  // prctl(2): no_new_privs is inherited by fork and clone children.
  group.noNewPrivs = parent.noNewPrivs;
  group.rlimits = parent.rlimits.map(([s, h]) => [s, h]);
  const child = new Task(kernel, pid, group, context);
  child.blocked = t.blocked;
  child.memPolicy = t.memPolicy;
  child.sched = inheritSchedState(t.sched);
  child.seccomp = t.seccomp;
  // A child sharing the address space but not suspending the parent (CLONE_VM without CLONE_VFORK) must not share its alternate signal stack: Linux disables it.
  child.altStack = (flags & (CLONE.VM | CLONE.VFORK)) === CLONE.VM ? { ...ALTSTACK_INITIAL } : { ...t.altStack };
  group.tasks.add(child);
  armCpuLimit(kernel, group);
  (group.parent ?? parent).children.add(group);

  if (flags & CLONE.PARENT_SETTID) {
    copyOutU32(parent.mm, ptid, pid);
    if (mm !== parent.mm) copyOutU32(mm, ptid, pid);
  }
  if (flags & CLONE.CHILD_SETTID) copyOutU32(mm, ctid, pid);
  if (flags & CLONE.CHILD_CLEARTID) child.clearChildTid = ctid;
  extras?.onCreated?.(group);
  mm.addressSpace.flush();
  kernel.addTask(child);
  if (!traceNewTask(kernel, t, child, flags, group.exitSignal)) kernel.platform.resume(context);

  if (flags & CLONE.VFORK) {
    // Only a fatal signal ends a vfork parent's wait (Linux waits killable):
    // an interrupted and restarted vfork would start a second child.
    return kernel.block(
      t,
      (complete) => {
        group.vforkDone = () => {
          vforkDoneEvent(t, pid);
          complete(pid);
        };
        return () => (group.vforkDone = undefined);
      },
      null,
    );
  }
  return pid;
}
