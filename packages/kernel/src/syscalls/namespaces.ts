import { CLONE, Errno, SysError } from '@tvisor/abi';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** Namespace flags: none is served yet, so asking for one is EINVAL (as a kernel built without it answers). */
const NAMESPACE_FLAGS = CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET | CLONE.NEWPID | CLONE.NEWUSER | CLONE.NEWCGROUP | CLONE.NEWTIME;
/** What unshare(2) accepts. */
const UNSHARE_FLAGS = CLONE.THREAD | CLONE.SIGHAND | CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SYSVSEM | NAMESPACE_FLAGS;

/**
 * unshare(2): the calling process stops sharing its file descriptor table
 * (CLONE_FILES) or filesystem context (CLONE_FS) with others. CLONE_THREAD,
 * CLONE_SIGHAND and CLONE_VM only succeed for a single-threaded process, for
 * which they change nothing; CLONE_SYSVSEM has no undo list to detach yet.
 */
export function unshare(t: Task, flags: number): number {
  if (flags & ~UNSHARE_FLAGS) throw new SysError(Errno.EINVAL);
  if (flags & NAMESPACE_FLAGS) throw new SysError(Errno.EINVAL, 'namespaces are not supported');
  const group = t.group;
  if (flags & (CLONE.THREAD | CLONE.SIGHAND | CLONE.VM) && group.tasks.size > 1) throw new SysError(Errno.EINVAL);
  if (flags & CLONE.FILES) group.fds = group.fds.unshare();
  if (flags & CLONE.FS) group.fs = group.fs.fork(group.fs.creds);
  return 0;
}

/** Namespaces: unshare. */
export function registerNamespaceSyscalls(table: SyscallTable): void {
  table.register({
    unshare: {
      args: ['hex'],
      support: 'partial',
      note: 'CLONE_FILES, CLONE_FS and the single-thread checks; namespace flags are EINVAL',
      handler: (t, a) => unshare(t, a.argInt(0)),
    },
  });
}
