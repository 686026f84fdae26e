import type { SyscallTable } from '../syscall-table.js';
import { cpus } from 'node:os';
import { CAP, Errno, SysError } from '@tvisor/abi';
import { copyOutU32 } from '../user-io.js';
import { hasCapability } from '../credentials.js';

/** Scheduling: yield, CPU affinity, policies and priorities, nice, I/O priority. */
export function registerSchedSyscalls(table: SyscallTable): void {
  table.register({
    sched_yield: { args: [], handler: () => 0 },
    sched_getaffinity: {
      args: ['int', 'uint', 'ptr'],
      handler: (t, a) => {
        const n = cpus().length;
        const bytes = Math.ceil(n / 64) * 8;
        if (a.arg(1) < bytes || a.arg(1) % 8 !== 0) throw new SysError(Errno.EINVAL);
        const out = new Uint8Array(bytes);
        for (let i = 0; i < n; i++) out[i >> 3] |= 1 << (i & 7);
        t.mm.copyOut(a.arg(2), out);
        return bytes;
      },
    },
    sched_setaffinity: {
      args: ['int', 'uint', 'ptr'],
      support: 'partial',
      note: 'accepted and not enforced: the host schedules the stubs',
      handler: (t, a) => {
        t.mm.copyIn(a.arg(2), Math.min(a.arg(1), 128));
        return 0;
      },
    },
    getcpu: {
      args: ['ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        if (a.arg(0) !== 0) copyOutU32(t.mm, a.arg(0), 0);
        if (a.arg(1) !== 0) copyOutU32(t.mm, a.arg(1), 0);
        return 0;
      },
    },
    sched_getscheduler: { args: ['int'], handler: () => 0 },
    sched_getparam: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        copyOutU32(t.mm, a.arg(1), 0);
        return 0;
      },
    },
    sched_get_priority_max: { args: ['int'], handler: (_t, a) => (a.argInt(0) === 1 || a.argInt(0) === 2 ? 99 : 0) },
    sched_get_priority_min: { args: ['int'], handler: (_t, a) => (a.argInt(0) === 1 || a.argInt(0) === 2 ? 1 : 0) },
    getpriority: { args: ['int', 'int'], handler: (t) => 20 - t.group.nice },
    setpriority: {
      args: ['int', 'int', 'int'],
      handler: (t, a) => {
        const nice = Math.max(-20, Math.min(19, a.argInt(2)));
        if (nice < t.group.nice && !hasCapability(t.creds, CAP.SYS_NICE)) throw new SysError(Errno.EACCES);
        t.group.nice = nice;
        return 0;
      },
    },
    ioprio_get: { args: ['int', 'int'], handler: () => (2 << 13) | 4 },
    ioprio_set: { args: ['int', 'int', 'int'], handler: () => 0 },
    sched_setparam: { args: ['int', 'ptr'], handler: (t, a) => (t.mm.copyIn(a.arg(1), 4), 0) },
    sched_setscheduler: {
      args: ['int', 'int', 'ptr'],
      support: 'partial',
      note: 'SCHED_OTHER/BATCH/IDLE accepted; real-time policies need privileges the sandbox does not grant',
      handler: (t, a) => {
        const policy = a.argInt(1) & ~0x40000000;
        if (policy === 1 || policy === 2) throw new SysError(Errno.EPERM);
        if (policy !== 0 && policy !== 3 && policy !== 5) throw new SysError(Errno.EINVAL);
        t.mm.copyIn(a.arg(2), 4);
        return 0;
      },
    },
    sched_rr_get_interval: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const out = new Uint8Array(16);
        new DataView(out.buffer).setBigInt64(8, 100_000_000n, true);
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
  });
}
