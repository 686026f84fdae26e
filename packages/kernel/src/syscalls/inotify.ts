import { ACCESS, AT, Errno, IN, S, SysError } from '@tvisor/abi';
import { ALL_INOTIFY_BITS, createInotify, InotifyImpl } from '../events/inotify.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

const PATH_MAX = 4096;

function init1(t: Task, flags: number): number {
  if (flags & ~(IN.CLOEXEC | IN.NONBLOCK)) throw new SysError(Errno.EINVAL);
  return t.group.fds.add(createInotify(flags & IN.NONBLOCK), (flags & IN.CLOEXEC) !== 0);
}

function inotifyOf(t: Task, fd: number): InotifyImpl {
  const impl = t.group.fds.get(fd).impl;
  if (!(impl instanceof InotifyImpl)) throw new SysError(Errno.EINVAL);
  return impl;
}

/** inotify_add_watch(2), with Linux's order of checks: mask, fd, path, IN_ONLYDIR. */
function addWatch(t: Task, fd: number, pathAddr: number, mask: number): number {
  if (mask & ~ALL_INOTIFY_BITS || !(mask & ALL_INOTIFY_BITS)) throw new SysError(Errno.EINVAL);
  if (mask & IN.MASK_ADD && mask & IN.MASK_CREATE) throw new SysError(Errno.EINVAL);
  const inotify = inotifyOf(t, fd);
  const path = t.mm.readCString(pathAddr, PATH_MAX);
  const fs = t.group.fs;
  const ctx = fs.context(t, AT.FDCWD, path);
  const vd = fs.vfs.getVd(ctx, path, { follow: !(mask & IN.DONT_FOLLOW) });
  const inode = vd.dentry.inode;
  if (mask & IN.ONLYDIR && (inode.stat().mode & S.IFMT) !== S.IFDIR) throw new SysError(Errno.ENOTDIR);
  // inotify_find_inode: watching needs read permission on the file (EACCES).
  fs.vfs.accessAt({ ...ctx, start: vd }, '', ACCESS.R_OK, AT.EMPTY_PATH);
  return inotify.addWatch(inode, mask);
}

/** inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch (inotify(7)). */
export function registerInotifySyscalls(table: SyscallTable): void {
  const note =
    'events come from VFS operations in the sandbox (not from host processes changing host files); a cwd inside a removed directory does not defer its IN_DELETE_SELF; no max_user_watches/max_user_instances limits';
  table.register({
    inotify_init: { args: [], support: 'partial', note, handler: (t) => init1(t, 0) },
    inotify_init1: { args: ['hex'], support: 'partial', note, handler: (t, a) => init1(t, a.argInt(0)) },
    inotify_add_watch: {
      args: ['fd', 'str', 'hex'],
      support: 'partial',
      note,
      handler: (t, a) => addWatch(t, a.argInt(0), a.arg(1), a.argUint(2)),
    },
    inotify_rm_watch: {
      args: ['fd', 'int'],
      handler: (t, a) => {
        inotifyOf(t, a.argInt(0)).removeWatch(a.argInt(1));
        return 0;
      },
    },
  });
}
