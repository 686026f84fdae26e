import { CLONE, Errno, O, P, Signal, SysError, WAIT, AT } from '@tvisor/abi';
import { pidFdGroup } from '../events/pidfd.js';
import { copyOutU32, readPath } from '../user-io.js';
import { childTotal, reapChildCpu } from '../cpu-time.js';
import { encodeRusage } from '../rusage.js';
import { cloneProcess } from '../clone.js';
import { waitForChild } from '../child-wait.js';
import { loadImageAndExec } from '../exec.js';
import { exitReport, exitStatus, KEEP_REGISTERS, signalStatus } from '../kernel.js';
import { exitEventStop } from '../ptrace/stops.js';
import type { Task, ThreadGroup } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

function execve(t: Task, pathAddr: number, argvAddr: number, envpAddr: number): number {
  return loadImageAndExec(t, readPath(t, pathAddr), argvAddr, envpAddr);
}

function wait4(t: Task, pid: number, statusAddr: number, options: number, rusageAddr: number): number {
  if (options & ~(WAIT.NOHANG | WAIT.UNTRACED | WAIT.CONTINUED | WAIT.NOTHREAD | WAIT.ALL | WAIT.CLONE)) throw new SysError(Errno.EINVAL);
  // wait4 always waits for exits; WUNTRACED and WCONTINUED add stops and continues.
  return waitForChild(
    t,
    pid,
    options | WAIT.EXITED,
    (child) => {
      if (statusAddr !== 0) copyOutU32(t.mm, statusAddr, child.exitStatus ?? 0);
      writeChildRusage(t, rusageAddr, child);
      reapChildCpu(t.group, child);
      t.group.children.delete(child);
      return child.pid;
    },
    (child, report) => {
      if (statusAddr !== 0) copyOutU32(t.mm, statusAddr, report.status);
      writeChildRusage(t, rusageAddr, child);
      return report.pid;
    },
  );
}

/**
 * The rusage wait4/waitid report for a child (Linux's RUSAGE_BOTH): its
 * time and its reaped children's, and the larger peak RSS (a live child's
 * current one).
 */
function writeChildRusage(t: Task, addr: number, child: ThreadGroup): void {
  if (addr === 0) return;
  const ownRssKb = child.exitStatus === undefined ? Math.floor(child.mm.residentBytes() / 1024) : child.maxRssKb;
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
  let eagainWhenIdle = false;
  switch (idtype) {
    case P.ALL:
      pid = -1;
      break;
    case P.PID:
      pid = id;
      break;
    case P.PGID:
      pid = id === 0 ? 0 : -id;
      break;
    case P.PIDFD: {
      const file = t.group.fds.get(id);
      pid = pidFdGroup(file).pid;
      // A non-blocking pidfd makes the wait non-blocking: EAGAIN when nothing is ready (without WNOHANG).
      if (file.statusFlags & O.NONBLOCK && !(options & WAIT.NOHANG)) {
        options |= WAIT.NOHANG;
        eagainWhenIdle = true;
      }
      break;
    }
    default:
      throw new SysError(Errno.EINVAL);
  }
  return waitForChild(
    t,
    pid,
    options,
    (child) => {
      if (infop !== 0) writeWaitidInfo(t, infop, { signo: Signal.SIGCHLD, ...exitReport(child), pid: child.pid, uid: child.creds.uid });
      writeChildRusage(t, rusageAddr, child);
      if (!(options & WAIT.NOWAIT)) {
        reapChildCpu(t.group, child);
        t.group.children.delete(child);
      }
      return 0;
    },
    (child, report) => {
      if (infop !== 0) writeWaitidInfo(t, infop, { signo: Signal.SIGCHLD, code: report.code, pid: report.pid, uid: child.creds.uid, status: report.signal });
      writeChildRusage(t, rusageAddr, child);
      return 0;
    },
    () => {
      if (eagainWhenIdle) throw new SysError(Errno.EAGAIN);
      // WNOHANG with nothing to report: Linux writes the fields as zeros.
      if (infop !== 0) writeWaitidInfo(t, infop, { signo: 0, code: 0, pid: 0, uid: 0, status: 0 });
    },
  );
}

/** A process's life: clone/fork/vfork, execve/execveat, exit/exit_group, wait4/waitid. */
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
      handler: (t, a) => {
        const code = a.argInt(0);
        if (exitEventStop(t.kernel, t, exitStatus(code), () => t.kernel.exitThread(t, code))) return KEEP_REGISTERS;
        t.kernel.exitThread(t, code);
        return 0;
      },
    },
    exit_group: {
      args: ['int'],
      handler: (t, a) => {
        const status = exitStatus(a.argInt(0));
        if (exitEventStop(t.kernel, t, status, () => t.kernel.exitGroup(t.group, status))) return KEEP_REGISTERS;
        t.kernel.exitGroup(t.group, status);
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
      note: 'rusage has CPU times and peak RSS; its other fields are zero',
      handler: (t, a) => waitid(t, a.argInt(0), a.argInt(1), a.arg(2), a.argInt(3), a.arg(4)),
    },
    execveat: {
      args: ['dirfd', 'str', 'ptr', 'ptr', 'hex'],
      support: 'partial',
      note: 'AT_EMPTY_PATH on an fd runs the file the fd names, by its path',
      handler: (t, a) => {
        const dirfd = a.argInt(0);
        const flags = a.argInt(4);
        if (flags & ~(AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW)) throw new SysError(Errno.EINVAL);
        let path = readPath(t, a.arg(1));
        // An empty path names the fd itself only with AT_EMPTY_PATH.
        if (path === '' && !(flags & AT.EMPTY_PATH)) throw new SysError(Errno.ENOENT);
        // With AT_EMPTY_PATH the fd is the program, already resolved: AT_SYMLINK_NOFOLLOW has no link to refuse.
        const noFollow = path !== '' && (flags & AT.SYMLINK_NOFOLLOW) !== 0;
        if (path === '') {
          const file = t.group.fds.get(dirfd);
          path = t.group.fs.vfs.pathOf(file.vd, t.group.fs.root).path;
        } else if (!path.startsWith('/') && dirfd !== AT.FDCWD) {
          const dir = t.group.fds.get(dirfd);
          path = `${t.group.fs.vfs.pathOf(dir.vd, t.group.fs.root).path}/${path}`;
        }
        return loadImageAndExec(t, path, a.arg(2), a.arg(3), { noFollow });
      },
    },
  });
}

export { signalStatus };
