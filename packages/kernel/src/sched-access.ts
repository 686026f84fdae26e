import { CAP, Errno, RLIMIT, SysError } from '@tvisor/abi';
import { hasCapability } from './credentials.js';
import { groupsMatching } from './process-lookup.js';
import type { Task } from './task.js';

// Which thread a scheduling call names, and whether the caller may change it.

/**
 * The thread a scheduling call's `pid` names: 0 the caller, else any thread by
 * its tid (Linux's find_task_by_vpid). Negative pids are EINVAL, unknown ESRCH.
 */
export function schedTarget(t: Task, pid: number): Task {
  if (pid < 0) throw new SysError(Errno.EINVAL);
  if (pid === 0) return t;
  const target = threadById(t, pid);
  if (!target) throw new SysError(Errno.ESRCH);
  return target;
}

/** The thread with id `tid`, a zombie process's leader included (Linux finds it until it is reaped). */
export function threadById(t: Task, tid: number): Task | undefined {
  const live = t.kernel.tasks.get(tid);
  if (live) return live;
  const zombie = groupsMatching(t, tid).find((g) => g.exitStatus !== undefined);
  return zombie ? [...zombie.tasks].find((x) => x.tid === tid) : undefined;
}

/** Linux's check_same_owner (or CAP_SYS_NICE): whether `t` may change `target`'s scheduling. */
export function maySetScheduling(t: Task, target: Task): boolean {
  if (target === t) return true;
  const c = t.creds;
  const tc = target.creds;
  return c.euid === tc.euid || c.euid === tc.uid || hasCapability(c, CAP.SYS_NICE);
}

/** Linux's can_nice without the capability: RLIMIT_NICE allows nice values down to 20 - rlimit. */
export function niceAllowed(target: Task, nice: number): boolean {
  return Number(target.group.rlimits[RLIMIT.NICE][0]) >= 20 - nice;
}
