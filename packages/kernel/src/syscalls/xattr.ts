import { AT, Errno, SysError, XATTR } from '@tvisor/abi';
import type { VirtualDentry } from '@tvisor/vfs';
import type { Task } from '../task.js';
import { readPath } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;

type Target = { vd: VirtualDentry };

function byPath(t: Task, pathAddr: number, follow: boolean): Target {
  const p = readPath(t, pathAddr);
  const fs = t.group.fs;
  return { vd: fs.vfs.getVd(fs.context(t, AT.FDCWD, p), p, { follow }) };
}

function byFd(t: Task, fd: number): Target {
  return { vd: t.group.fds.getOpenFile(fd).vd };
}

/** An attribute name: 1 to XATTR_NAME_MAX bytes, ERANGE otherwise (even with no NUL in reach). */
function name(t: Task, addr: number): string {
  let n: string;
  try {
    n = t.mm.readCString(addr, XATTR_NAME_MAX + 1);
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.ENAMETOOLONG) throw new SysError(Errno.ERANGE);
    throw e;
  }
  if (n.length === 0 || n.length > XATTR_NAME_MAX) throw new SysError(Errno.ERANGE);
  return n;
}

function get(t: Task, target: Target, nameAddr: number, buf: number, size: number): number {
  const fs = t.group.fs;
  const value = fs.vfs.getxattrVd(target.vd, fs.context(t).creds, name(t, nameAddr));
  if (size === 0) return value.length;
  if (value.length > size) throw new SysError(Errno.ERANGE);
  t.mm.copyOut(buf, value);
  return value.length;
}

function set(t: Task, target: Target, nameAddr: number, buf: number, size: number, flags: number): number {
  // Flags are checked before the name is read, as Linux's setxattr does.
  if (flags & ~(XATTR.CREATE | XATTR.REPLACE)) throw new SysError(Errno.EINVAL);
  if (size > XATTR_SIZE_MAX) throw new SysError(Errno.E2BIG);
  const fs = t.group.fs;
  const value = size > 0 ? t.mm.copyIn(buf, size) : new Uint8Array(0);
  fs.vfs.setxattrVd(target.vd, fs.context(t).creds, name(t, nameAddr), value, flags);
  return 0;
}

function list(t: Task, target: Target, buf: number, size: number): number {
  const fs = t.group.fs;
  const names = fs.vfs.listxattrVd(target.vd, fs.context(t).creds);
  const bytes = new TextEncoder().encode(names.map((n) => n + '\0').join(''));
  if (size === 0) return bytes.length;
  if (bytes.length > size) throw new SysError(Errno.ERANGE);
  t.mm.copyOut(buf, bytes);
  return bytes.length;
}

function remove(t: Task, target: Target, nameAddr: number): number {
  const fs = t.group.fs;
  fs.vfs.removexattrVd(target.vd, fs.context(t).creds, name(t, nameAddr));
  return 0;
}

/** Extended attributes (user.*, trusted.*, security.*) through the VFS's permission rules. */
export function registerXattrSyscalls(table: SyscallTable): void {
  table.register({
    getxattr: { args: ['str', 'str', 'ptr', 'uint'], handler: (t, a) => get(t, byPath(t, a.arg(0), true), a.arg(1), a.arg(2), a.arg(3)) },
    lgetxattr: { args: ['str', 'str', 'ptr', 'uint'], handler: (t, a) => get(t, byPath(t, a.arg(0), false), a.arg(1), a.arg(2), a.arg(3)) },
    fgetxattr: { args: ['fd', 'str', 'ptr', 'uint'], handler: (t, a) => get(t, byFd(t, a.argInt(0)), a.arg(1), a.arg(2), a.arg(3)) },
    setxattr: { args: ['str', 'str', 'ptr', 'uint', 'hex'], handler: (t, a) => set(t, byPath(t, a.arg(0), true), a.arg(1), a.arg(2), a.arg(3), a.argInt(4)) },
    lsetxattr: { args: ['str', 'str', 'ptr', 'uint', 'hex'], handler: (t, a) => set(t, byPath(t, a.arg(0), false), a.arg(1), a.arg(2), a.arg(3), a.argInt(4)) },
    fsetxattr: { args: ['fd', 'str', 'ptr', 'uint', 'hex'], handler: (t, a) => set(t, byFd(t, a.argInt(0)), a.arg(1), a.arg(2), a.arg(3), a.argInt(4)) },
    listxattr: { args: ['str', 'ptr', 'uint'], handler: (t, a) => list(t, byPath(t, a.arg(0), true), a.arg(1), a.arg(2)) },
    llistxattr: { args: ['str', 'ptr', 'uint'], handler: (t, a) => list(t, byPath(t, a.arg(0), false), a.arg(1), a.arg(2)) },
    flistxattr: { args: ['fd', 'ptr', 'uint'], handler: (t, a) => list(t, byFd(t, a.argInt(0)), a.arg(1), a.arg(2)) },
    removexattr: { args: ['str', 'str'], handler: (t, a) => remove(t, byPath(t, a.arg(0), true), a.arg(1)) },
    lremovexattr: { args: ['str', 'str'], handler: (t, a) => remove(t, byPath(t, a.arg(0), false), a.arg(1)) },
    fremovexattr: { args: ['fd', 'str'], handler: (t, a) => remove(t, byFd(t, a.argInt(0)), a.arg(1)) },
  });
}
