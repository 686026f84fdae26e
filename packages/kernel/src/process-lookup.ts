// Which processes a pid argument names (kill, tgkill, getpgid, setpgid...).
import { Errno, Signal, SysError } from '@tvisor/abi';
import { mayKill } from './credentials.js';
import type { Task, ThreadGroup } from './task.js';

/** The processes kill(2)'s `pid` names for caller `t`: one pid, the caller's group (0), every other process but init (-1), or group -pid. Zombies included. */
export function groupsMatching(t: Task, pid: number): ThreadGroup[] {
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

/** Whether `t` may send `sig` to `target`: its own process, the rule of mayKill, or SIGCONT within its session. */
export function maySignal(t: Task, target: ThreadGroup, sig: number): boolean {
  return target === t.group || (sig === Signal.SIGCONT && target.sid === t.group.sid) || mayKill(t.creds, target.creds);
}

/** The process `pid` names (0: the caller's), or ESRCH. */
export function findGroup(t: Task, pid: number): ThreadGroup {
  if (pid === 0) return t.group;
  const task = t.kernel.tasks.get(pid);
  if (!task || task.group.pid !== pid) throw new SysError(Errno.ESRCH);
  return task.group;
}
