import type { SyscallTable } from '../syscall-table.js';
import { CAP, Errno, PR, PR_SET_PTRACER_ANY, SECURE, SysError } from '@tvisor/abi';
import { capMask, dropBounding, hasCapability, isValidCapability, raiseAmbient, setKeepCaps, setSecurebits, type Credentials } from '../credentials.js';
import type { Task } from '../task.js';
import { copyOutU32 } from '../user-io.js';
import { prctlGetSeccomp, prctlSetSeccomp } from './seccomp.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TASK_COMM_LEN = 16;

/** prctl(2): process attributes (name, dumpable, no_new_privs, child subreaper...). */
export function registerPrctlSyscalls(table: SyscallTable): void {
  table.register({
    prctl: {
      args: ['int', 'hex', 'hex', 'hex', 'hex'],
      support: 'partial',
      note: 'names, pdeath signal (recorded), no_new_privs, dumpable, subreaper, seccomp, keepcaps, securebits, bounding and ambient capability sets',
      handler: (t, a) => prctl(t, a.argInt(0), a.arg(1), a.arg(2), a.arg(3), a.arg(4)),
    },
  });
}

/** Stores new credentials in place (the FsContext shares the object). */
function commit(t: Task, next: Credentials): number {
  Object.assign(t.creds, next);
  return 0;
}

/** PR_CAP_AMBIENT's operations; unused arguments must be zero. */
function ambient(t: Task, op: number, cap: number, arg4: number, arg5: number): number {
  const c = t.creds;
  if (arg4 !== 0 || arg5 !== 0) throw new SysError(Errno.EINVAL);
  if (op === PR.CAP_AMBIENT_CLEAR_ALL) {
    if (cap !== 0) throw new SysError(Errno.EINVAL);
    c.ambient = 0n;
    return 0;
  }
  if (!isValidCapability(cap)) throw new SysError(Errno.EINVAL);
  switch (op) {
    case PR.CAP_AMBIENT_IS_SET:
      return (c.ambient & capMask(cap)) !== 0n ? 1 : 0;
    case PR.CAP_AMBIENT_RAISE:
      return commit(t, raiseAmbient(c, cap));
    case PR.CAP_AMBIENT_LOWER:
      c.ambient &= ~capMask(cap);
      return 0;
    default:
      throw new SysError(Errno.EINVAL);
  }
}

function prctl(t: Task, option: number, arg2: number, arg3: number, arg4: number, arg5: number): number {
  const g = t.group;
  switch (option) {
    case PR.SET_PTRACER: {
      // Yama: the whole process names its tracer; 0 withdraws, PR_SET_PTRACER_ANY allows anyone.
      // The argument is read as a pid_t, as Yama does: an int -1 passed unextended is ANY too.
      const pid = t.regs.argInt(1);
      if (pid === 0) g.ptracerException = undefined;
      else if (pid === PR_SET_PTRACER_ANY) g.ptracerException = { tracer: undefined };
      else {
        const tracer = t.kernel.tasks.get(pid);
        if (!tracer || tracer.exited) throw new SysError(Errno.EINVAL);
        g.ptracerException = { tracer };
      }
      return 0;
    }
    case PR.SET_NAME: {
      const name = t.mm.readCStringBytes(arg2, TASK_COMM_LEN);
      t.setComm(decoder.decode(name.subarray(0, TASK_COMM_LEN - 1)));
      return 0;
    }
    case PR.GET_NAME: {
      const out = new Uint8Array(TASK_COMM_LEN);
      out.set(encoder.encode(t.comm).subarray(0, TASK_COMM_LEN - 1));
      t.mm.copyOut(arg2, out);
      return 0;
    }
    case PR.SET_PDEATHSIG:
      if (arg2 < 0 || arg2 > 64) throw new SysError(Errno.EINVAL);
      g.parentDeathSignal = arg2;
      return 0;
    case PR.GET_PDEATHSIG:
      copyOutU32(t.mm, arg2, g.parentDeathSignal);
      return 0;
    case PR.SET_NO_NEW_PRIVS:
      if (arg2 !== 1) throw new SysError(Errno.EINVAL);
      g.noNewPrivs = true;
      return 0;
    case PR.GET_NO_NEW_PRIVS:
      return g.noNewPrivs ? 1 : 0;
    case PR.SET_DUMPABLE:
      if (arg2 !== 0 && arg2 !== 1) throw new SysError(Errno.EINVAL);
      g.dumpable = arg2;
      return 0;
    case PR.GET_DUMPABLE:
      return g.dumpable;
    case PR.SET_CHILD_SUBREAPER:
      g.childSubreaper = arg2 !== 0;
      return 0;
    case PR.GET_CHILD_SUBREAPER:
      copyOutU32(t.mm, arg2, g.childSubreaper ? 1 : 0);
      return 0;
    case PR.SET_SECCOMP:
      return prctlSetSeccomp(t, arg2, arg3);
    case PR.GET_SECCOMP:
      return prctlGetSeccomp(t);
    case PR.SET_KEEPCAPS:
      return commit(t, setKeepCaps(t.creds, arg2));
    case PR.GET_KEEPCAPS:
      return (t.creds.securebits >> SECURE.KEEP_CAPS) & 1;
    case PR.GET_SECUREBITS:
      return t.creds.securebits;
    case PR.SET_SECUREBITS:
      return commit(t, setSecurebits(t.creds, arg2));
    case PR.CAPBSET_READ:
      if (!isValidCapability(arg2)) throw new SysError(Errno.EINVAL);
      return (t.creds.bounding & capMask(arg2)) !== 0n ? 1 : 0;
    case PR.CAPBSET_DROP:
      return commit(t, dropBounding(t.creds, arg2));
    case PR.CAP_AMBIENT:
      return ambient(t, arg2, arg3, arg4, arg5);
    case PR.SET_MM:
      // prctl_set_mm: CAP_SYS_RESOURCE over the whole system (one gained in a user namespace is not enough);
      // rewriting the mm's boundaries is not offered, so a permitted caller gets EINVAL.
      if (arg5 !== 0) throw new SysError(Errno.EINVAL);
      if (!hasCapability(t.creds, CAP.SYS_RESOURCE)) throw new SysError(Errno.EPERM);
      throw new SysError(Errno.EINVAL);
    default:
      throw new SysError(Errno.EINVAL);
  }
}
