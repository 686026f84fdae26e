// process_vm_readv(2)/process_vm_writev(2): copies between the caller's
// memory and another process's, straight through both address spaces' views
// of the memory file.
import { Errno, SysError, LIMITS } from '@tvisor/abi';
import type { Iovec, MemoryManager } from '@tvisor/mm';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { mayAccessProcess } from '../ptrace-access.js';

/** Reads an iovec array for process_vm_*: EINVAL past IOV_MAX, EFAULT for an unreadable array. */
function iovecs(t: Task, addr: number, count: number): Iovec[] {
  if (count < 0 || count > LIMITS.IOV_MAX) throw new SysError(Errno.EINVAL);
  return t.mm.readIovecs(addr, count);
}

/**
 * Moves bytes between the local and remote iovecs in order, remote segment
 * by remote segment, until either side runs out. The first fault (on either
 * side) ends the copy: its errno if nothing moved, else the count so far,
 * as Linux reports a partial transfer.
 */
function copyVectors(local: MemoryManager, locals: Iovec[], remote: MemoryManager, remotes: Iovec[], toRemote: boolean): number {
  let done = 0;
  let li = 0;
  let loff = 0;
  const localLeft = (): boolean => {
    while (li < locals.length && loff >= locals[li]!.len) {
      li++;
      loff = 0;
    }
    return li < locals.length;
  };
  try {
    for (const r of remotes) {
      if (r.len === 0) continue;
      if (!localLeft()) break;
      remote.forEachBlock(r.base, r.len, toRemote, (chunk) => {
        let off = 0;
        while (off < chunk.length && localLeft()) {
          const l = locals[li]!;
          const n = Math.min(l.len - loff, chunk.length - off);
          local.forEachBlock(l.base + loff, n, !toRemote, (lchunk) => {
            if (toRemote) chunk.set(lchunk, off);
            else lchunk.set(chunk.subarray(off, off + lchunk.length));
            off += lchunk.length;
            loff += lchunk.length;
            done += lchunk.length;
          });
        }
        return off === chunk.length;
      });
    }
  } catch (e) {
    if (done === 0) throw e;
  }
  return done;
}

function processVm(t: Task, pid: number, lvec: number, lcnt: number, rvec: number, rcnt: number, flags: number, toRemote: boolean): number {
  if (flags !== 0) throw new SysError(Errno.EINVAL);
  const locals = iovecs(t, lvec, lcnt);
  const remotes = iovecs(t, rvec, rcnt);
  // Nothing to move on the local side: Linux returns before looking the process up.
  if (locals.every((v) => v.len === 0)) return 0;
  const target = t.kernel.tasks.get(pid);
  if (!target || target.exited || target.group.exitStatus !== undefined) throw new SysError(Errno.ESRCH);
  if (!mayAccessProcess(t, target.group)) throw new SysError(Errno.EPERM);
  const n = copyVectors(t.mm, locals, target.mm, remotes, toRemote);
  // A thread of the target running application code keeps its old view of
  // a page the write replaced (copy-on-write) until it next stops: stop it
  // now, so that it sees the write as Linux's threads do.
  if (toRemote && target.group !== t.group) {
    const kernel = t.kernel;
    for (const x of target.group.tasks) if (!kernel.blocked.has(x) && !kernel.stoppedTasks.has(x)) kernel.platform.interrupt(x.context);
  }
  return n;
}

/** process_vm_readv and process_vm_writev. */
export function registerProcessVmSyscalls(table: SyscallTable): void {
  table.register({
    process_vm_readv: {
      args: ['int', 'ptr', 'uint', 'ptr', 'uint', 'hex'],
      handler: (t, a) => processVm(t, a.argInt(0), a.arg(1), a.argInt(2), a.arg(3), a.argInt(4), a.arg(5), false),
    },
    process_vm_writev: {
      args: ['int', 'ptr', 'uint', 'ptr', 'uint', 'hex'],
      handler: (t, a) => processVm(t, a.argInt(0), a.arg(1), a.argInt(2), a.arg(3), a.argInt(4), a.arg(5), true),
    },
  });
}
