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
  if (!yamaAllowsAttach(t, target)) return false;
  const me = t.creds;
  if (hasCapability(me, CAP.SYS_PTRACE)) return true;
  const c = target.creds;
  const sameUser = me.uid === c.uid && me.uid === c.euid && me.uid === c.suid;
  const sameGroup = me.gid === c.gid && me.gid === c.egid && me.gid === c.sgid;
  return sameUser && sameGroup && target.dumpable !== 0;
}

/** Yama's ptrace_scope values (/proc/sys/kernel/yama/ptrace_scope). */
export const YAMA_SCOPE = { DISABLED: 0, RELATIONAL: 1, CAPABILITY: 2, NO_ATTACH: 3 } as const;

/** Is `g` the process `ancestor` or one of its descendants (following real parents up)? */
function isDescendant(ancestor: ThreadGroup, g: ThreadGroup | undefined): boolean {
  for (let walker = g; walker; walker = walker.parent) if (walker === ancestor) return true;
  return false;
}

/**
 * Did `target` name `t` (or an ancestor of `t`) its tracer with
 * PR_SET_PTRACER, or let anyone trace it? The exception ends when the
 * declared tracer thread exits (Linux frees it with that task).
 */
function ptracerExceptionFound(t: Task, target: ThreadGroup): boolean {
  const exception = target.ptracerException;
  if (!exception) return false;
  if (exception.tracer === undefined) return true;
  return !exception.tracer.exited && isDescendant(exception.tracer.group, t.group);
}

/**
 * Yama's check for an attach (PTRACE_ATTACH/SEIZE and the other
 * PTRACE_MODE_ATTACH accesses): under scope 1 only a descendant, a declared
 * tracer or a holder of CAP_SYS_PTRACE; under 2 only CAP_SYS_PTRACE; under 3
 * nobody.
 */
export function yamaAllowsAttach(t: Task, target: ThreadGroup): boolean {
  switch (t.kernel.ptraceScope) {
    case YAMA_SCOPE.DISABLED:
      return true;
    case YAMA_SCOPE.RELATIONAL:
      return isDescendant(t.group, target) || ptracerExceptionFound(t, target) || hasCapability(t.creds, CAP.SYS_PTRACE);
    case YAMA_SCOPE.CAPABILITY:
      return hasCapability(t.creds, CAP.SYS_PTRACE);
    default:
      return false;
  }
}

/** Yama's check for PTRACE_TRACEME: under scope 2 the parent needs CAP_SYS_PTRACE; under 3 nobody may. */
export function yamaAllowsTraceme(parent: Task): boolean {
  const scope = parent.kernel.ptraceScope;
  if (scope === YAMA_SCOPE.CAPABILITY) return hasCapability(parent.creds, CAP.SYS_PTRACE);
  return scope < YAMA_SCOPE.NO_ATTACH;
}
