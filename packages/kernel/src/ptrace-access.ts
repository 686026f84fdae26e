// Who may inspect or change another process (ptrace(2)'s "ptrace access
// mode" check), shared by ptrace, process_vm_readv/writev and pidfd_getfd.
import { CAP } from '@tvisor/abi';
import { hasCapability } from './credentials.js';
import type { Task, ThreadGroup } from './task.js';

/**
 * Whether `t` may access `target` as PTRACE_MODE_ATTACH_REALCREDS allows:
 * its own process always; otherwise root (who holds CAP_SYS_PTRACE here),
 * or a caller whose real uid and gid match all of the target's uids and
 * gids, with the target dumpable.
 */
export function mayAccessProcess(t: Task, target: ThreadGroup): boolean {
  if (target === t.group) return true;
  const me = t.creds;
  if (hasCapability(me, CAP.SYS_PTRACE)) return true;
  const c = target.creds;
  const sameUser = me.uid === c.uid && me.uid === c.euid && me.uid === c.suid;
  const sameGroup = me.gid === c.gid && me.gid === c.egid && me.gid === c.sgid;
  return sameUser && sameGroup && target.dumpable !== 0;
}
