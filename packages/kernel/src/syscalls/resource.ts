import { Errno, RLIMIT, SysError } from '@tvisor/abi';
import { armCpuLimit } from '../cpu-limit.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

function prlimit(t: Task, pid: number, resource: number, newAddr: number, oldAddr: number): number {
  if (resource < 0 || resource >= RLIMIT.NLIMITS) throw new SysError(Errno.EINVAL);
  let g = t.group;
  if (pid !== 0 && pid !== g.pid) {
    const task = t.kernel.tasks.get(pid);
    if (!task) throw new SysError(Errno.ESRCH);
    g = task.group;
  }
  const cur = g.rlimits[resource];
  if (newAddr !== 0) {
    const b = t.mm.copyIn(newAddr, 16);
    const v = new DataView(b.buffer, b.byteOffset, 16);
    const soft = v.getBigUint64(0, true);
    const hard = v.getBigUint64(8, true);
    if (soft > hard) throw new SysError(Errno.EINVAL);
    if (resource === RLIMIT.NOFILE && hard > 1024n * 1024n) throw new SysError(Errno.EPERM);
    if (oldAddr !== 0) t.mm.copyOut(oldAddr, encode(cur));
    g.rlimits[resource] = [soft, hard];
    if (resource === RLIMIT.NOFILE) g.fds.limit = Number(soft);
    if (resource === RLIMIT.CPU) armCpuLimit(t.kernel, g, g === t.group);
    return 0;
  }
  if (oldAddr !== 0) t.mm.copyOut(oldAddr, encode(cur));
  return 0;
}

function encode([soft, hard]: [bigint, bigint]): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, soft, true);
  v.setBigUint64(8, hard, true);
  return out;
}

/** Resource limits and randomness. */
export function registerResourceSyscalls(table: SyscallTable): void {
  table.register({
    prlimit64: {
      args: ['int', 'int', 'ptr', 'ptr'],
      support: 'partial',
      note: 'limits are recorded and reported; only RLIMIT_NOFILE is enforced',
      handler: (t, a) => prlimit(t, a.argInt(0), a.argInt(1), a.arg(2), a.arg(3)),
    },
    getrlimit: {
      args: ['int', 'ptr'],
      support: 'partial',
      note: 'only RLIMIT_NOFILE is enforced',
      handler: (t, a) => prlimit(t, 0, a.argInt(0), 0, a.arg(1)),
    },
    setrlimit: {
      args: ['int', 'ptr'],
      support: 'partial',
      note: 'only RLIMIT_NOFILE is enforced',
      handler: (t, a) => prlimit(t, 0, a.argInt(0), a.arg(1), 0),
    },
    getrandom: {
      args: ['ptr', 'uint', 'hex'],
      handler: (t, a) => {
        const len = Math.min(a.arg(1), 33554431);
        const buf = new Uint8Array(len);
        for (let off = 0; off < len; off += 65536) globalThis.crypto.getRandomValues(buf.subarray(off, Math.min(len, off + 65536)));
        t.mm.copyOut(a.arg(0), buf);
        return len;
      },
    },
  });
}
