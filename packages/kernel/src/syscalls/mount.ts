import { CAP, AT, Errno, MOUNT, SysError } from '@tvisor/abi';
import { TmpfsFilesystem } from '@tvisor/vfs';
import { mqueueFilesystem } from '../fs/mqueue/mqueue-fs.js';
import type { Task } from '../task.js';
import { readPath } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';
import { hasCapability } from '../credentials.js';

/** mount(2) of what a sandbox may mount: tmpfs instances, bind mounts and remounts. */
function mount(t: Task, sourceAddr: number, targetAddr: number, typeAddr: number, flags: number): number {
  if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
  const fs = t.group.fs;
  const target = readPath(t, targetAddr);
  const ctx = fs.context(t, AT.FDCWD, target);
  const readOnly = (flags & MOUNT.RDONLY) !== 0;
  if (flags & MOUNT.REMOUNT) {
    fs.vfs.remount(ctx, target, { readOnly });
    return 0;
  }
  if (flags & MOUNT.BIND) {
    const source = readPath(t, sourceAddr);
    fs.vfs.bindMount(fs.context(t, AT.FDCWD, source), source, ctx, target, { readOnly, recursive: (flags & MOUNT.REC) !== 0 });
    return 0;
  }
  const type = typeAddr === 0 ? '' : t.mm.readCString(typeAddr, 64);
  if (type === 'mqueue') {
    // Every mount shows the IPC namespace's one set of queues.
    fs.vfs.mount(ctx, target, mqueueFilesystem(t.kernel).fs, { readOnly, noExec: (flags & MOUNT.NOEXEC) !== 0 });
    return 0;
  }
  if (type !== 'tmpfs') throw new SysError(Errno.ENODEV);
  fs.vfs.mount(ctx, target, new TmpfsFilesystem({ mode: 0o1777, pages: t.kernel.filePages }), { readOnly, noExec: (flags & MOUNT.NOEXEC) !== 0 });
  return 0;
}

/** Mounting: mount, umount2. */
export function registerMountSyscalls(table: SyscallTable): void {
  table.register({
    mount: {
      args: ['str', 'str', 'str', 'hex', 'ptr'],
      support: 'partial',
      note: 'tmpfs, mqueue, bind mounts and remounts (read-only toggling) only',
      handler: (t, a) => mount(t, a.arg(0), a.arg(1), a.arg(2), a.arg(3)),
    },
    umount2: {
      args: ['str', 'hex'],
      handler: (t, a) => {
        if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
        const fs = t.group.fs;
        const p = readPath(t, a.arg(0));
        fs.vfs.umount(fs.context(t, AT.FDCWD, p), p, a.argInt(1));
        return 0;
      },
    },
  });
}
