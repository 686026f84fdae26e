// seccomp(2) and prctl(PR_SET_SECCOMP/PR_GET_SECCOMP): installing filters.
// Applying them to each syscall is the kernel's (seccomp.ts).
import { CAP, BPF, Errno, SECCOMP, SECCOMP_FILTER_FLAG, SECCOMP_RET, SysError } from '@tvisor/abi';
import { decodeBpfProgram, validateSeccompProgram } from '../bpf.js';
import { SECCOMP_DATA_SIZE, filterCount, isAncestor, type SeccompFilter } from '../seccomp.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { hasCapability } from '../credentials.js';

/** The filter flags Linux accepts with SECCOMP_SET_MODE_FILTER (NEW_LISTENER needs user notification, not offered). */
const SUPPORTED_FLAGS = SECCOMP_FILTER_FLAG.TSYNC | SECCOMP_FILTER_FLAG.LOG | SECCOMP_FILTER_FLAG.SPEC_ALLOW | SECCOMP_FILTER_FLAG.TSYNC_ESRCH;
/** Linux caps a task's filters at 256K instructions in all (MAX_INSNS_PER_PATH), counting 4 per filter as overhead. */
const MAX_INSNS_PER_PATH = 32768;
/** The actions SECCOMP_GET_ACTION_AVAIL reports as known. */
const KNOWN_ACTIONS = new Set<number>([
  SECCOMP_RET.KILL_PROCESS,
  SECCOMP_RET.KILL_THREAD,
  SECCOMP_RET.TRAP,
  SECCOMP_RET.ERRNO,
  SECCOMP_RET.USER_NOTIF,
  SECCOMP_RET.TRACE,
  SECCOMP_RET.LOG,
  SECCOMP_RET.ALLOW,
]);
/** struct seccomp_notif_sizes: seccomp_notif (80), seccomp_notif_resp (24), seccomp_data (64), u16 each. */
const NOTIF_SIZES = [80, 24, SECCOMP_DATA_SIZE];

/** Reads struct sock_fprog {u16 len; struct sock_filter *filter} and its program. */
function readProgram(t: Task, addr: number): ReturnType<typeof decodeBpfProgram> {
  const head = new DataView(t.mm.copyIn(addr, 16).buffer);
  const len = head.getUint16(0, true);
  const filterAddr = Number(head.getBigUint64(8, true));
  if (len === 0 || len > BPF.MAXINSNS) throw new SysError(Errno.EINVAL);
  return decodeBpfProgram(t.mm.copyIn(filterAddr, len * 8));
}

/** Strict mode: from now on only read, write, _exit and rt_sigreturn (anything else is SIGKILL). */
function setStrict(t: Task): number {
  if (t.seccomp && t.seccomp.mode !== SECCOMP.MODE_STRICT) throw new SysError(Errno.EINVAL);
  t.seccomp = { mode: SECCOMP.MODE_STRICT, filter: undefined };
  return 0;
}

/**
 * Installs a filter on top of the caller's (with TSYNC, on every thread of
 * its process, which must all have the caller's filters or ones it
 * extends: otherwise the first other thread's tid, or ESRCH with
 * TSYNC_ESRCH). Without no_new_privs, only root may (EACCES).
 */
function setFilter(t: Task, flags: number, progAddr: number): number {
  if (flags & ~SUPPORTED_FLAGS) throw new SysError(Errno.EINVAL);
  const program = readProgram(t, progAddr);
  if (!t.group.noNewPrivs && !hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EACCES);
  validateSeccompProgram(program, SECCOMP_DATA_SIZE);
  const current = t.seccomp;
  if (current?.mode === SECCOMP.MODE_STRICT) throw new SysError(Errno.EINVAL);
  let total = program.length;
  for (let f = current?.filter; f; f = f.previous) total += f.program.length + 4;
  if (total > MAX_INSNS_PER_PATH) throw new SysError(Errno.ENOMEM);
  const filter: SeccompFilter = { program, log: (flags & SECCOMP_FILTER_FLAG.LOG) !== 0, previous: current?.filter };
  const state = { mode: SECCOMP.MODE_FILTER, filter };
  if (flags & SECCOMP_FILTER_FLAG.TSYNC) {
    for (const other of t.group.tasks) {
      if (other === t || isAncestor(other.seccomp?.filter, current?.filter)) continue;
      if (flags & SECCOMP_FILTER_FLAG.TSYNC_ESRCH) throw new SysError(Errno.ESRCH);
      return other.tid;
    }
    for (const other of t.group.tasks) other.seccomp = state;
    // A thread's filter reaches every thread, so no_new_privs must too (Linux forces it on them).
    t.group.noNewPrivs = true;
  } else {
    t.seccomp = state;
  }
  return 0;
}

function getActionAvail(t: Task, flags: number, addr: number): number {
  if (flags !== 0) throw new SysError(Errno.EINVAL);
  const action = new DataView(t.mm.copyIn(addr, 4).buffer).getUint32(0, true);
  if (!KNOWN_ACTIONS.has(action)) throw new SysError(Errno.EOPNOTSUPP);
  return 0;
}

function getNotifSizes(t: Task, flags: number, addr: number): number {
  if (flags !== 0) throw new SysError(Errno.EINVAL);
  const out = new Uint8Array(6);
  const view = new DataView(out.buffer);
  NOTIF_SIZES.forEach((n, i) => view.setUint16(i * 2, n, true));
  t.mm.copyOut(addr, out);
  return 0;
}

function seccomp(t: Task, op: number, flags: number, args: number): number {
  switch (op) {
    case SECCOMP.SET_MODE_STRICT:
      if (flags !== 0 || args !== 0) throw new SysError(Errno.EINVAL);
      return setStrict(t);
    case SECCOMP.SET_MODE_FILTER:
      return setFilter(t, flags, args);
    case SECCOMP.GET_ACTION_AVAIL:
      return getActionAvail(t, flags, args);
    case SECCOMP.GET_NOTIF_SIZES:
      return getNotifSizes(t, flags, args);
    default:
      throw new SysError(Errno.EINVAL);
  }
}

/** prctl(PR_SET_SECCOMP, mode, prog): the older spelling of seccomp(2)'s SET_MODE_* without flags. */
export function prctlSetSeccomp(t: Task, mode: number, progAddr: number): number {
  if (mode === SECCOMP.MODE_STRICT) return setStrict(t);
  if (mode === SECCOMP.MODE_FILTER) return setFilter(t, 0, progAddr);
  throw new SysError(Errno.EINVAL);
}

/** prctl(PR_GET_SECCOMP): the caller's mode (a strict-mode caller never gets here: prctl kills it). */
export function prctlGetSeccomp(t: Task): number {
  return t.seccomp?.mode ?? SECCOMP.MODE_DISABLED;
}

/** The number of filters on `t`, for /proc/PID/status's Seccomp_filters. */
export function seccompFilterCount(t: Task): number {
  return filterCount(t.seccomp?.filter);
}

/** seccomp(2). */
export function registerSeccompSyscalls(table: SyscallTable): void {
  table.register({
    seccomp: {
      args: ['int', 'hex', 'ptr'],
      support: 'partial',
      note: 'no user notification listener (SECCOMP_RET_USER_NOTIF and TRACE without a tracer fail the call with ENOSYS)',
      handler: (t, a) => seccomp(t, a.argUint(0), a.argUint(1), a.arg(2)),
    },
  });
}
