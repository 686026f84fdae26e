import { CLD, CLONE, Errno, P, Signal, SysError, W_CONTINUED, WAIT, wStopCode } from '@tvisor/abi';
import { sendKill } from '../signal-delivery.js';
import { copyOutU32, readPath } from '../user-io.js';
import { REG } from '@tvisor/platform';
import { childTotal, reapChildCpu } from '../cpu-time.js';
import { encodeRusage } from './system.js';
import type { PlatformContext } from '@tvisor/platform';
import { loadImage, replaceImage } from '../exec.js';
import { exitReport, exitStatus, signalStatus } from '../kernel.js';
import { Task, ThreadGroup } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** Most argv/envp entries execve reads before giving up with E2BIG. */
const MAX_ARG_POINTERS = 0x20000;


/**
 * clone/fork/vfork for new processes. The child gets its own stub and a
 * copy of the parent's memory (mm.fork), so the parent's memory is never
 * shared with it — CLONE_VM without CLONE_THREAD (vfork, posix_spawn) is
 * served as a copy, with CLONE_VFORK's wait kept.
 */
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
function cloneThread(t: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number): number {
  // A thread shares the signal handlers, which only makes sense with shared memory.
  if (!(flags & CLONE.SIGHAND) || !(flags & CLONE.VM)) throw new SysError(Errno.EINVAL);
  const kernel = t.kernel;
  const group = t.group;
  const context = kernel.platform.newThread(t.context);
  startLikeParent(t, context, flags, stack, tls);
  const tid = kernel.allocateId();
  const child = new Task(kernel, tid, group, context);
  child.blocked = t.blocked;
  group.tasks.add(child);
  if (flags & CLONE.PARENT_SETTID) copyOutU32(group.mm, ptid, tid);
  if (flags & CLONE.CHILD_SETTID) copyOutU32(group.mm, ctid, tid);
  if (flags & CLONE.CHILD_CLEARTID) child.clearChildTid = ctid;
  kernel.addTask(child);
  kernel.startTask(child);
  return tid;
}

function cloneProcess(t: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number): number {
  if (flags & CLONE.THREAD) return cloneThread(t, flags, stack, ptid, ctid, tls);
  if (flags & (CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWUSER | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWCGROUP)) {
    throw new SysError(Errno.EINVAL, 'namespaces are not supported');
  }
  const kernel = t.kernel;
  const parent = t.group;
  const { addressSpace, context } = kernel.platform.newProcess();
  let mm;
  try {
    // Copy-on-write: as fast as an eager copy for bash running ls in a loop (measured), and memory grows only for written pages.
    mm = parent.mm.fork(addressSpace, 'cow');
  } catch (e) {
    context.kill();
    throw e;
  }
  startLikeParent(t, context, flags, stack, tls);

  const pid = kernel.allocateId();
  const creds = { ...parent.creds, groups: [...parent.creds.groups] };
  const group = new ThreadGroup(
    pid,
    flags & CLONE.PARENT ? parent.parent : parent,
    mm,
    flags & CLONE.FILES ? parent.fds.share() : parent.fds.fork(),
    flags & CLONE.FS ? parent.fs : parent.fs.fork(creds),
    creds,
    parent.name,
  );
  group.pgid = parent.pgid;
  group.sid = parent.sid;
  group.signals = flags & CLONE.SIGHAND ? parent.signals : parent.signals.fork();
  group.exitSignal = flags & 0xff;
  group.mmInfo = { ...parent.mmInfo };
  group.rlimits = parent.rlimits.map(([s, h]) => [s, h]);
  const child = new Task(kernel, pid, group, context);
  child.blocked = t.blocked;
  child.altStack = { ...t.altStack };
  group.tasks.add(child);
  (group.parent ?? parent).children.add(group);

  if (flags & CLONE.PARENT_SETTID) {
    copyOutU32(parent.mm, ptid, pid);
    copyOutU32(mm, ptid, pid);
  }
  if (flags & CLONE.CHILD_SETTID) copyOutU32(mm, ctid, pid);
  if (flags & CLONE.CHILD_CLEARTID) child.clearChildTid = ctid;
  addressSpace.flush();
  kernel.addTask(child);
  kernel.platform.resume(context);

  if (flags & CLONE.VFORK) {
    // Only a fatal signal ends a vfork parent's wait (Linux waits killable):
    // an interrupted and restarted vfork would start a second child.
    return kernel.block(
      t,
      (complete) => {
        group.vforkDone = () => complete(pid);
        return () => (group.vforkDone = undefined);
      },
      null,
    );
  }
  return pid;
}

/** A NULL-terminated array of C strings (argv, envp) from app memory. */
function readStringArray(t: Task, addr: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (addr === 0) return out;
  for (let i = 0; ; i++) {
    if (i >= MAX_ARG_POINTERS) throw new SysError(Errno.E2BIG);
    const p = new DataView(t.mm.copyIn(addr + i * 8, 8).buffer).getBigUint64(0, true);
    if (p === 0n) return out;
    out.push(t.mm.readCStringBytes(Number(p), 32 * 4096));
  }
}

function execve(t: Task, pathAddr: number, argvAddr: number, envpAddr: number): number {
  return loadImageAndExec(t, readPath(t, pathAddr), argvAddr, envpAddr);
}

/** execve of `path` with argv and envp read from app memory (execve and execveat). */
export function loadImageAndExec(t: Task, path: string, argvAddr: number, envpAddr: number): number {
  const argv = readStringArray(t, argvAddr);
  const envp = readStringArray(t, envpAddr);
  const image = loadImage(t.kernel, t.group.fs, t.group.creds, { path, argv, envp }, t.group.tasks.size === 1 ? t.context : undefined);
  deThread(t);
  replaceImage(t.kernel, t, image);
  return 0;
}

/**
 * execve past its point of no return (Linux's de_thread): every other
 * thread exits as with exit(2) (clear_child_tid and robust futexes handled
 * in the old memory), and a thread other than the leader becomes the leader,
 * taking the pid as its tid, so the parent's wait still finds the process.
 */
function deThread(t: Task): void {
  const kernel = t.kernel;
  const g = t.group;
  const others = [...g.tasks].filter((other) => other !== t);
  // Their host threads die with the old stub (killed here, so the platform
  // neither ends them one by one nor reports them gone), then each exits.
  for (const other of others) other.context.kill();
  for (const other of others) kernel.exitThread(other, 0);
  if (t.tid !== g.pid) {
    kernel.tasks.delete(t.tid);
    t.tid = g.pid;
    kernel.tasks.set(t.tid, t);
  }
}

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
interface JobReport {
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
function waitForChild(
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
      any = true;
      const stop = c.jobStop;
      if (c.exitStatus !== undefined) {
        if (options & WAIT.EXITED) return reap(c);
      } else if (options & WAIT.STOPPED && stop.unreportedStop !== 0) {
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

function wait4(t: Task, pid: number, statusAddr: number, options: number, rusageAddr: number): number {
  if (options & ~(WAIT.NOHANG | WAIT.UNTRACED | WAIT.CONTINUED | WAIT.NOTHREAD | WAIT.ALL | WAIT.CLONE)) throw new SysError(Errno.EINVAL);
  // wait4 always waits for exits; WUNTRACED and WCONTINUED add stops and continues.
  return waitForChild(t, pid, options | WAIT.EXITED, (child) => {
    if (statusAddr !== 0) copyOutU32(t.mm, statusAddr, child.exitStatus ?? 0);
    writeChildRusage(t, rusageAddr, child);
    reapChildCpu(t.group, child);
    t.group.children.delete(child);
    return child.pid;
  }, (child, report) => {
    if (statusAddr !== 0) copyOutU32(t.mm, statusAddr, report.status);
    writeChildRusage(t, rusageAddr, child);
    return child.pid;
  });
}

/**
 * The rusage wait4/waitid report for a child (Linux's RUSAGE_BOTH): its
 * time and its reaped children's, and the larger peak RSS (a live child's
 * current one).
 */
function writeChildRusage(t: Task, addr: number, child: ThreadGroup): void {
  if (addr === 0) return;
  const ownRssKb = child.exitStatus === undefined ? Math.floor(child.mm.stats().rss / 1024) : child.maxRssKb;
  t.mm.copyOut(addr, encodeRusage(childTotal(child), Math.max(ownRssKb, child.childrenMaxRssKb)));
}

/**
 * The siginfo fields waitid(2) writes (the rest of *infop is left alone, as
 * Linux does): si_signo, si_errno, si_code, si_pid, si_uid, si_status.
 */
function writeWaitidInfo(t: Task, infop: number, info: { signo: number; code: number; pid: number; uid: number; status: number }): void {
  const head = new DataView(new ArrayBuffer(12));
  head.setInt32(0, info.signo, true);
  head.setInt32(8, info.code, true);
  const ids = new DataView(new ArrayBuffer(12));
  ids.setInt32(0, info.pid, true);
  ids.setUint32(4, info.uid, true);
  ids.setInt32(8, info.status, true);
  t.mm.copyOut(infop, new Uint8Array(head.buffer));
  t.mm.copyOut(infop + 16, new Uint8Array(ids.buffer));
}

function waitid(t: Task, idtype: number, id: number, infop: number, options: number, rusageAddr: number): number {
  const known = WAIT.NOHANG | WAIT.NOWAIT | WAIT.EXITED | WAIT.STOPPED | WAIT.CONTINUED | WAIT.NOTHREAD | WAIT.CLONE | WAIT.ALL;
  if (options & ~known) throw new SysError(Errno.EINVAL);
  if (!(options & (WAIT.EXITED | WAIT.STOPPED | WAIT.CONTINUED))) throw new SysError(Errno.EINVAL);
  let pid: number;
  switch (idtype) {
    case P.ALL: pid = -1; break;
    case P.PID: pid = id; break;
    case P.PGID: pid = id === 0 ? 0 : -id; break;
    default: throw new SysError(Errno.EINVAL);
  }
  return waitForChild(t, pid, options, (child) => {
    if (infop !== 0) writeWaitidInfo(t, infop, { signo: Signal.SIGCHLD, ...exitReport(child), pid: child.pid, uid: child.creds.uid });
    writeChildRusage(t, rusageAddr, child);
    if (!(options & WAIT.NOWAIT)) {
      reapChildCpu(t.group, child);
      t.group.children.delete(child);
    }
    return 0;
  }, (child, report) => {
    if (infop !== 0) writeWaitidInfo(t, infop, { signo: Signal.SIGCHLD, code: report.code, pid: child.pid, uid: child.creds.uid, status: report.signal });
    writeChildRusage(t, rusageAddr, child);
    return 0;
  }, () => {
    // WNOHANG with nothing to report: Linux writes the fields as zeros.
    if (infop !== 0) writeWaitidInfo(t, infop, { signo: 0, code: 0, pid: 0, uid: 0, status: 0 });
  });
}

function groupsMatching(t: Task, pid: number): ThreadGroup[] {
  const groups = new Set<ThreadGroup>();
  for (const task of t.kernel.tasks.values()) groups.add(task.group);
  // A zombie keeps its pid until reaped (kill finds it and does nothing);
  // every zombie is a child of a live process.
  for (const g of [...groups]) for (const c of g.children) groups.add(c);
  const all = [...groups];
  if (pid > 0) return all.filter((g) => g.pid === pid);
  if (pid === 0) return all.filter((g) => g.pgid === t.group.pgid);
  if (pid === -1) return all.filter((g) => g !== t.group && g !== t.kernel.init);
  return all.filter((g) => g.pgid === -pid);
}

function kill(t: Task, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) throw new SysError(Errno.EINVAL);
  const targets = groupsMatching(t, pid);
  if (targets.length === 0) throw new SysError(Errno.ESRCH);
  // Signal the caller last: it may be among the targets and die of it.
  for (const g of targets.filter((g) => g !== t.group)) sendKill(t.kernel, g, sig, t);
  if (targets.includes(t.group)) sendKill(t.kernel, t.group, sig, t);
  return 0;
}

function findGroup(t: Task, pid: number): ThreadGroup {
  if (pid === 0) return t.group;
  const task = t.kernel.tasks.get(pid);
  if (!task || task.group.pid !== pid) throw new SysError(Errno.ESRCH);
  return task.group;
}

/** Process creation, execve, exit and wait, kill, process groups and sessions. */
export function registerLifecycleSyscalls(table: SyscallTable): void {
  table.register({
    clone: {
      args: ['hex', 'ptr', 'ptr', 'ptr', 'hex'],
      support: 'partial',
      note: 'CLONE_VM without CLONE_THREAD (vfork, posix_spawn) copies memory; no namespaces',
      handler: (t, a) => cloneProcess(t, a.arg(0), a.arg(1), a.arg(2), a.arg(3), a.arg(4)),
    },
    fork: { args: [], handler: (t) => cloneProcess(t, Signal.SIGCHLD, 0, 0, 0, 0) },
    vfork: {
      args: [],
      support: 'partial',
      note: 'the child gets a copy of memory; the parent waits for its exec or exit',
      handler: (t) => cloneProcess(t, CLONE.VM | CLONE.VFORK | Signal.SIGCHLD, 0, 0, 0, 0),
    },
    execve: { args: ['str', 'ptr', 'ptr'], handler: (t, a) => execve(t, a.arg(0), a.arg(1), a.arg(2)) },
    exit: {
      args: ['int'],
      support: 'partial',
      note: 'robust futex lists are not walked at thread exit',
      handler: (t, a) => {
        t.kernel.exitThread(t, a.argInt(0));
        return 0;
      },
    },
    exit_group: {
      args: ['int'],
      handler: (t, a) => {
        t.kernel.exitGroup(t.group, exitStatus(a.argInt(0)));
        return 0;
      },
    },
    wait4: {
      args: ['int', 'ptr', 'hex', 'ptr'],
      support: 'partial',
      note: 'rusage has CPU times and peak RSS; its other fields are zero',
      handler: (t, a) => wait4(t, a.argInt(0), a.arg(1), a.argInt(2), a.arg(3)),
    },
    waitid: {
      args: ['int', 'int', 'ptr', 'hex', 'ptr'],
      support: 'partial',
      note: 'no P_PIDFD',
      handler: (t, a) => waitid(t, a.argInt(0), a.argInt(1), a.arg(2), a.argInt(3), a.arg(4)),
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
        const g = findGroup(t, a.argInt(0));
        const target = t.kernel.tasks.get(a.argInt(1));
        if (!target || target.group !== g) throw new SysError(Errno.ESRCH);
        sendKill(t.kernel, g, a.argInt(2), t, target);
        return 0;
      },
    },
    tkill: {
      args: ['int', 'int'],
      support: 'partial',
      note: 'the signal is pending for the process and the target thread is woken for it',
      handler: (t, a) => {
        const task = t.kernel.tasks.get(a.argInt(0));
        if (!task) throw new SysError(Errno.ESRCH);
        sendKill(t.kernel, task.group, a.argInt(1), t, task);
        return 0;
      },
    },
    getppid: { args: [], handler: (t) => t.group.parent?.pid ?? 0 },
    getpgid: { args: ['int'], handler: (t, a) => findGroup(t, a.argInt(0)).pgid },
    getsid: { args: ['int'], handler: (t, a) => findGroup(t, a.argInt(0)).sid },
    setpgid: {
      args: ['int', 'int'],
      handler: (t, a) => {
        const g = findGroup(t, a.argInt(0));
        const pgid = a.argInt(1) === 0 ? g.pid : a.argInt(1);
        if (pgid < 0) throw new SysError(Errno.EINVAL);
        if (g !== t.group && g.parent !== t.group) throw new SysError(Errno.ESRCH);
        if (g.sid !== t.group.sid || g.pid === g.sid) throw new SysError(Errno.EPERM);
        g.pgid = pgid;
        return 0;
      },
    },
    setsid: {
      args: [],
      handler: (t) => {
        const g = t.group;
        for (const task of t.kernel.tasks.values()) {
          if (task.group !== g && task.group.pgid === g.pid) throw new SysError(Errno.EPERM);
        }
        if (g.pgid === g.pid) throw new SysError(Errno.EPERM);
        g.sid = g.pid;
        g.pgid = g.pid;
        return g.pid;
      },
    },
  });
}

export { signalStatus };
