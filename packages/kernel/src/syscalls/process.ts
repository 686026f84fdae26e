import { ARCH, Errno, SysError } from '@tvisor/abi';
import { REG } from '@tvisor/platform';
import { TASK_SIZE } from '@tvisor/mm';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { namespacesOf } from '../namespaces.js';
import { userNamespaceOf } from '../user-namespace.js';

const UTS_FIELD = 65;
const encoder = new TextEncoder();

function utsname(task: Task): Uint8Array {
  const u = namespacesOf(task.kernel, task.group).uts.names;
  const out = new Uint8Array(UTS_FIELD * 6);
  [u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname].forEach((s, i) => {
    out.set(encoder.encode(s).subarray(0, UTS_FIELD - 1), i * UTS_FIELD);
  });
  return out;
}

/** Identity, exit and per-thread setup syscalls. */
export function registerProcessSyscalls(table: SyscallTable): void {
  table.register({
    getpid: { args: [], handler: (t) => t.group.pid },
    gettid: { args: [], handler: (t) => t.tid },
    // Ids as the caller's user namespace sees them (65534 when unmapped there).
    getuid: { args: [], handler: (t) => userNamespaceOf(t.creds).show('uid', t.creds.uid) },
    geteuid: { args: [], handler: (t) => userNamespaceOf(t.creds).show('uid', t.creds.euid) },
    getgid: { args: [], handler: (t) => userNamespaceOf(t.creds).show('gid', t.creds.gid) },
    getegid: { args: [], handler: (t) => userNamespaceOf(t.creds).show('gid', t.creds.egid) },
    getpgrp: { args: [], handler: (t) => t.group.pgid },
    uname: {
      args: ['ptr'],
      handler: (t, a) => {
        t.mm.copyOut(a.arg(0), utsname(t));
        return 0;
      },
    },
    set_tid_address: {
      args: ['ptr'],
      handler: (t, a) => {
        t.clearChildTid = a.arg(0);
        return t.tid;
      },
    },
    arch_prctl: {
      args: ['hex', 'hex'],
      handler: (t, a) => {
        const code = a.argInt(0);
        const addr = a.arg(1);
        switch (code) {
          case ARCH.SET_FS:
          case ARCH.SET_GS:
            // A base at or above TASK_SIZE_MAX (non-canonical or kernel space) is refused, as Linux's do_arch_prctl_64 does.
            if (addr >= TASK_SIZE) throw new SysError(Errno.EPERM);
            t.regs.set(code === ARCH.SET_FS ? REG.fs_base : REG.gs_base, addr);
            return 0;
          case ARCH.GET_FS:
          case ARCH.GET_GS: {
            const v = t.regs.get(code === ARCH.GET_FS ? REG.fs_base : REG.gs_base);
            const out = new Uint8Array(8);
            new DataView(out.buffer).setBigUint64(0, BigInt(v), true);
            t.mm.copyOut(addr, out);
            return 0;
          }
          default:
            throw new SysError(Errno.EINVAL);
        }
      },
      support: 'partial',
      note: 'FS/GS base only; CPUID faulting is not offered',
    },
    personality: {
      args: ['hex'],
      handler: (t, a) => {
        const old = t.group.personality;
        if (a.argUint(0) !== 0xffffffff) t.group.personality = a.argUint(0);
        return old;
      },
    },
  });
}
