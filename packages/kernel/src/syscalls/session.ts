import type { SyscallTable } from '../syscall-table.js';
import { Errno, SysError } from '@tvisor/abi';
import { findGroup } from '../process-lookup.js';

/** Process groups and sessions: getppid, getpgid, setpgid, getsid, setsid. */
export function registerSessionSyscalls(table: SyscallTable): void {
  table.register({
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
        if (g.sid !== t.group.sid) throw new SysError(Errno.EPERM);
        // A child that has called execve is out of its parent's reach (Linux's PF_FORKNOEXEC).
        if (g !== t.group && g.execed) throw new SysError(Errno.EACCES);
        if (g.pid === g.sid) throw new SysError(Errno.EPERM);
        // Another group's id may only be joined if that group exists in the caller's session.
        if (pgid !== g.pid) {
          const joined = [...t.kernel.tasks.values()].some((x) => x.group.pgid === pgid && x.group.sid === t.group.sid);
          if (!joined) throw new SysError(Errno.EPERM);
        }
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
        g.tty = undefined;
        return g.pid;
      },
    },
  });
}
