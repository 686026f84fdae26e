// pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2): handles on processes
// (the pidfd file itself is events/pidfd.ts).
import { Errno, NSIG, O, SI, SysError } from '@tvisor/abi';
import { createPidFd, pidFdGroup } from '../events/pidfd.js';
import { sendKill, sendSignal } from '../signal-delivery.js';
import { mayAccessProcess } from '../ptrace-access.js';
import type { Task, ThreadGroup } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { maySignal } from '../process-lookup.js';

/** PIDFD_NONBLOCK is O_NONBLOCK; PIDFD_THREAD (O_EXCL) is not offered (EINVAL, as before Linux 6.9). */
const PIDFD_NONBLOCK = O.NONBLOCK;
/** pidfd_send_signal's scope flags (PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP). */
const PIDFD_SIGNAL_SCOPES = 0x7;

/** A pidfd for `group` in `t`'s fd table, close-on-exec as Linux always makes it. */
export function installPidFd(t: Task, group: ThreadGroup, statusFlags = 0): number {
  return t.group.fds.add(createPidFd(group, statusFlags), true);
}

function pidfdOpen(t: Task, pid: number, flags: number): number {
  if (flags & ~PIDFD_NONBLOCK || pid <= 0) throw new SysError(Errno.EINVAL);
  const task = t.kernel.tasks.get(pid);
  if (!task) throw new SysError(Errno.ESRCH);
  // A thread that is not its process's leader has no pidfd without PIDFD_THREAD.
  if (task.group.pid !== pid) throw new SysError(Errno.ENOENT);
  return installPidFd(t, task.group, flags & PIDFD_NONBLOCK);
}

function pidfdSendSignal(t: Task, fd: number, sig: number, infoAddr: number, flags: number): number {
  if (flags & ~PIDFD_SIGNAL_SCOPES || (flags & (flags - 1)) !== 0) throw new SysError(Errno.EINVAL);
  const group = pidFdGroup(t.group.fds.get(fd));
  if (sig < 0 || sig > NSIG) throw new SysError(Errno.EINVAL);
  const reaped = group.exitStatus !== undefined && !(group.parent?.children.has(group) ?? false);
  if (reaped) throw new SysError(Errno.ESRCH);
  let info: Uint8Array | undefined;
  if (infoAddr !== 0) {
    info = t.mm.copyIn(infoAddr, 128);
    const view = new DataView(info.buffer, info.byteOffset, info.byteLength);
    if (view.getInt32(0, true) !== sig) throw new SysError(Errno.EINVAL);
    const code = view.getInt32(8, true);
    // Only the kernel sends si_code >= 0 or SI_TKILL: another process may not be fooled.
    if ((code >= 0 || code === SI.TKILL) && group !== t.group) throw new SysError(Errno.EPERM);
  }
  if (!maySignal(t, group, sig)) throw new SysError(Errno.EPERM);
  if (sig === 0) return 0;
  if (info) sendSignal(t.kernel, group, sig, info);
  else sendKill(t.kernel, group, sig, t);
  return 0;
}

function pidfdGetfd(t: Task, pidfd: number, targetFd: number, flags: number): number {
  if (flags !== 0) throw new SysError(Errno.EINVAL);
  const group = pidFdGroup(t.group.fds.get(pidfd));
  if (group.exitStatus !== undefined) throw new SysError(Errno.ESRCH);
  if (!mayAccessProcess(t, group)) throw new SysError(Errno.EPERM);
  const file = group.fds.get(targetFd);
  file.incRef();
  return t.group.fds.add(file, true);
}

/** pidfd_open, pidfd_send_signal and pidfd_getfd (CLONE_PIDFD is clone3's; waitid(P_PIDFD) is lifecycle's). */
export function registerPidfdSyscalls(table: SyscallTable): void {
  table.register({
    pidfd_open: {
      args: ['int', 'hex'],
      support: 'partial',
      note: 'PIDFD_THREAD is refused (EINVAL)',
      handler: (t, a) => pidfdOpen(t, a.argInt(0), a.argUint(1)),
    },
    pidfd_send_signal: {
      args: ['fd', 'int', 'ptr', 'hex'],
      handler: (t, a) => pidfdSendSignal(t, a.argInt(0), a.argInt(1), a.arg(2), a.argUint(3)),
    },
    pidfd_getfd: {
      args: ['fd', 'int', 'hex'],
      handler: (t, a) => pidfdGetfd(t, a.argInt(0), a.argInt(1), a.argUint(2)),
    },
  });
}
