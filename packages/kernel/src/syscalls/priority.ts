import type { SyscallTable } from '../syscall-table.js';
import { CAP, Errno, IOPRIO_CLASS, IOPRIO_CLASS_SHIFT, IOPRIO_NR_LEVELS, IOPRIO_WHO, PRIO, SysError } from '@tvisor/abi';
import { hasCapability } from '../credentials.js';
import type { Task } from '../task.js';
import { MAX_NICE, MIN_NICE } from '../sched-state.js';
import { niceAllowed, threadById } from '../sched-access.js';

/** The live threads `which`/`who` name (PRIO_* and IOPRIO_WHO_* name the same three sets); ESRCH when none. */
function threadsNamed(t: Task, kind: 'process' | 'pgrp' | 'user', who: number): Task[] {
  const live = [...t.kernel.tasks.values()].filter((x) => !x.exited);
  let found: Task[];
  if (kind === 'process') {
    const target = who === 0 ? t : who > 0 ? threadById(t, who) : undefined;
    found = target ? [target] : [];
  } else if (kind === 'pgrp') {
    const pgid = who === 0 ? t.group.pgid : who;
    found = live.filter((x) => x.group.pgid === pgid && x.group.exitStatus === undefined);
  } else {
    const uid = who === 0 ? t.creds.uid : who >>> 0;
    found = live.filter((x) => x.creds.uid === uid);
  }
  if (found.length === 0) throw new SysError(Errno.ESRCH);
  return found;
}

/** Linux's set_one_prio_perm: the target is the caller's (by real or effective uid), or the caller has CAP_SYS_NICE. */
function mayRenice(t: Task, target: Task): boolean {
  const c = t.creds;
  return target.creds.uid === c.euid || target.creds.euid === c.euid || hasCapability(c, CAP.SYS_NICE);
}

function prioKind(which: number): 'process' | 'pgrp' | 'user' {
  if (which === PRIO.PROCESS) return 'process';
  if (which === PRIO.PGRP) return 'pgrp';
  if (which === PRIO.USER) return 'user';
  throw new SysError(Errno.EINVAL);
}

function ioprioKind(which: number): 'process' | 'pgrp' | 'user' {
  if (which === IOPRIO_WHO.PROCESS) return 'process';
  if (which === IOPRIO_WHO.PGRP) return 'pgrp';
  if (which === IOPRIO_WHO.USER) return 'user';
  throw new SysError(Errno.EINVAL);
}

/** Linux's ioprio_check_cap: a known class, NONE without data, RT only with CAP_SYS_NICE or CAP_SYS_ADMIN; the hint bits above the level must name a known hint. */
function checkIoprio(t: Task, ioprio: number): void {
  const klass = (ioprio >> IOPRIO_CLASS_SHIFT) & 0x7;
  const data = ioprio & ((1 << IOPRIO_CLASS_SHIFT) - 1);
  const level = data & (IOPRIO_NR_LEVELS - 1);
  const hint = data >> 3;
  if (ioprio < 0 || ioprio >> IOPRIO_CLASS_SHIFT > 0x7) throw new SysError(Errno.EINVAL);
  switch (klass) {
    case IOPRIO_CLASS.RT:
      if (!hasCapability(t.creds, CAP.SYS_NICE) && !hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
      break;
    case IOPRIO_CLASS.BE:
    case IOPRIO_CLASS.IDLE:
      break;
    case IOPRIO_CLASS.NONE:
      if (level !== 0) throw new SysError(Errno.EINVAL);
      break;
    default:
      throw new SysError(Errno.EINVAL);
  }
  // IOPRIO_HINT_DEV_DURATION_LIMIT_1..7 are the hints Linux knows.
  if (hint > 7) throw new SysError(Errno.EINVAL);
}

/** Nice (getpriority/setpriority, per thread as in Linux) and I/O priority (ioprio_get/ioprio_set). */
export function registerPrioritySyscalls(table: SyscallTable): void {
  table.register({
    getpriority: {
      args: ['int', 'int'],
      // The raw call returns 20 - nice (1..40) so that no result looks like an error; glibc converts.
      handler: (t, a) => Math.max(...threadsNamed(t, prioKind(a.argInt(0)), a.argInt(1)).map((x) => 20 - x.sched.nice)),
    },
    setpriority: {
      args: ['int', 'int', 'int'],
      handler: (t, a) => {
        const targets = threadsNamed(t, prioKind(a.argInt(0)), a.argInt(1));
        const nice = Math.max(MIN_NICE, Math.min(MAX_NICE, a.argInt(2)));
        // Every named thread is tried; the last error is returned if any failed (Linux's set_one_prio).
        let error: SysError | undefined;
        for (const target of targets) {
          if (!mayRenice(t, target)) error = new SysError(Errno.EPERM);
          else if (nice < target.sched.nice && !niceAllowed(target, nice) && !hasCapability(t.creds, CAP.SYS_NICE)) error = new SysError(Errno.EACCES);
          else target.sched.nice = nice;
        }
        if (error) throw error;
        return 0;
      },
    },
    ioprio_get: {
      args: ['int', 'int'],
      // Several threads: the best of their priorities (the lowest class, then the lowest level), as Linux's ioprio_best.
      handler: (t, a) => Math.min(...threadsNamed(t, ioprioKind(a.argInt(0)), a.argInt(1)).map((x) => x.sched.ioprio)),
    },
    ioprio_set: {
      args: ['int', 'int', 'int'],
      support: 'partial',
      note: 'recorded per thread and reported; the host schedules the I/O',
      handler: (t, a) => {
        const ioprio = a.argInt(2);
        checkIoprio(t, ioprio);
        const targets = threadsNamed(t, ioprioKind(a.argInt(0)), a.argInt(1));
        let error: SysError | undefined;
        for (const target of targets) {
          const c = t.creds;
          if (target.creds.uid !== c.euid && target.creds.uid !== c.uid && !hasCapability(c, CAP.SYS_NICE)) error = new SysError(Errno.EPERM);
          else target.sched.ioprio = ioprio;
        }
        if (error) throw error;
        return 0;
      },
    },
  });
}
