import { Errno, F, Flock, LOCK, SEEK, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** Parks until the locks on `file`'s inode change, then tries `attempt` again (F_SETLKW, blocking flock). */
function waitForLock(t: Task, file: FileDescription, attempt: () => void): number {
  const locks = t.group.fs.vfs.locks;
  try {
    attempt();
    return 0;
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN) throw e;
  }
  return t.kernel.block(
    t,
    (complete) => {
      const unsubscribe = locks.subscribe(file.inode, () => {
        try {
          attempt();
        } catch (e) {
          if (e instanceof SysError && e.errno === Errno.EAGAIN) return;
          unsubscribe();
          complete(e instanceof SysError ? -e.errno : -Errno.EIO);
          return;
        }
        unsubscribe();
        complete(0);
      });
      return unsubscribe;
    },
    -Errno.ERESTARTSYS,
  );
}

/** The byte range [start, end] a struct flock names, relative to SEEK_SET/CUR/END, as Linux normalises it. */
function lockRange(file: FileDescription, whence: number, start: number, len: number): [number, number] {
  let base: number;
  switch (whence) {
    case SEEK.SET:
      base = 0;
      break;
    case SEEK.CUR:
      base = file.offset;
      break;
    case SEEK.END:
      base = file.stat().size;
      break;
    default:
      throw new SysError(Errno.EINVAL);
  }
  let from = base + start;
  let to: number;
  if (len > 0) to = from + len - 1;
  else if (len === 0) to = Infinity;
  else {
    to = from - 1;
    from = from + len;
  }
  if (from < 0) throw new SysError(Errno.EINVAL);
  return [from, to];
}

function recordLock(t: Task, fd: number, cmd: number, addr: number): number {
  const file = t.group.fds.get(fd);
  const raw = t.mm.copyIn(addr, Flock.size);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const fl = Flock.decode(view, 0);
  const ofd = cmd === F.OFD_GETLK || cmd === F.OFD_SETLK || cmd === F.OFD_SETLKW;
  if (ofd && fl.l_pid !== 0) throw new SysError(Errno.EINVAL);
  const owner = ofd ? file : t.group.pid;
  const [start, end] = lockRange(file, fl.l_whence, fl.l_start, fl.l_len);
  const locks = t.group.fs.vfs.locks;
  if (cmd === F.GETLK || cmd === F.OFD_GETLK) {
    if (fl.l_type !== F.RDLCK && fl.l_type !== F.WRLCK) throw new SysError(Errno.EINVAL);
    const conflict = locks.getRecordLock(file.inode, owner, fl.l_type, start, end);
    const out = conflict
      ? {
          l_type: conflict.type,
          l_whence: SEEK.SET,
          l_start: conflict.start,
          l_len: conflict.end === Infinity ? 0 : conflict.end - conflict.start + 1,
          l_pid: conflict.pid,
        }
      : { ...fl, l_type: F.UNLCK };
    Flock.encode(view, 0, out);
    t.mm.copyOut(addr, raw);
    return 0;
  }
  const set = () => locks.setRecordLock(file, owner, ofd ? -1 : t.group.pid, fl.l_type, start, end);
  if (cmd === F.SETLKW || cmd === F.OFD_SETLKW) return waitForLock(t, file, set);
  set();
  return 0;
}

/** fcntl's record-lock commands, for the fcntl handler in file.ts. */
export function fcntlLock(t: Task, fd: number, cmd: number, arg: number): number | undefined {
  switch (cmd) {
    case F.GETLK:
    case F.SETLK:
    case F.SETLKW:
    case F.OFD_GETLK:
    case F.OFD_SETLK:
    case F.OFD_SETLKW:
      return recordLock(t, fd, cmd, arg);
    default:
      return undefined;
  }
}

/**
 * A process closing any fd of a file loses its classic record locks on it
 * (POSIX's rule, kept by Linux); called before every close.
 */
export function releaseProcessLocks(t: Task, file: FileDescription): void {
  t.group.fs.vfs.locks.releaseRecordLocks(file.inode, t.group.pid);
}

/** flock(2). */
export function registerLockSyscalls(table: SyscallTable): void {
  table.register({
    flock: {
      args: ['fd', 'hex'],
      handler: (t, a) => {
        const file = t.group.fds.getOpenFile(a.argInt(0));
        const op = a.argInt(1);
        const kind = op & ~LOCK.NB;
        if (kind !== LOCK.SH && kind !== LOCK.EX && kind !== LOCK.UN) throw new SysError(Errno.EINVAL);
        const attempt = () => t.group.fs.vfs.locks.flock(file, kind);
        if (op & LOCK.NB || kind === LOCK.UN) {
          attempt();
          return 0;
        }
        return waitForLock(t, file, attempt);
      },
    },
  });
}
