import {
  AT,
  CAP,
  CLOSE_RANGE,
  decodeStruct,
  encodeStruct,
  Errno,
  F,
  F_OWNER,
  FIO,
  LinuxDirent64,
  O,
  OpenHow,
  POLL,
  RESOLVE,
  S,
  SIOC,
  Stat,
  SysError,
} from '@tvisor/abi';
import { MAX_RW_COUNT } from '@tvisor/mm';
import { PipeFile, toAbiStat, type Dirent, type FileDescription, type Pipe, type StatInfo } from '@tvisor/vfs';
import { asyncFlagChanged, asyncOwner, asyncSignal, setAsyncOwner, setAsyncSignal } from '../async-io.js';
import { blockingOp, installOpened, pipeWrite } from '../blocking-io.js';
import { fcntlLock, releaseProcessLocks } from './locks.js';
import { fcntlSeals } from '../memfd.js';
import { socketReadWrite } from './socket.js';
import { vfsCredentials } from '../fs-context.js';
import { accessCredentials, hasCapability } from '../credentials.js';
import type { Task } from '../task.js';
import { RWF_SUPPORTED, readPath, readToUser, transferVectors, writeFromUser } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

function clampCount(n: number): number {
  return Math.min(n, MAX_RW_COUNT);
}

function copyOutStat(t: Task, addr: number, st: StatInfo): void {
  t.mm.copyOut(addr, encodeStruct(Stat, toAbiStat(st)));
}

function open(t: Task, dirfd: number, p: string, flags: number, mode: number): number {
  // open/openat on a 64-bit kernel force O_LARGEFILE (force_o_largefile); O_PATH keeps only its own few flags.
  if (!(flags & O.PATH)) flags |= O.LARGEFILE;
  const ctx = t.group.fs.context(t, dirfd, p);
  const file = t.group.fs.vfs.openAt(ctx, p, { flags, mode });
  return installOpened(t, file, (flags & O.CLOEXEC) !== 0);
}

function statAt(t: Task, dirfd: number, p: string, flags: number): StatInfo {
  if (p === '' && flags & AT.EMPTY_PATH) {
    return dirfd === AT.FDCWD ? t.group.fs.vfs.statAt(t.group.fs.context(t), '.', 0) : t.group.fds.get(dirfd).stat();
  }
  const ctx = t.group.fs.context(t, dirfd, p);
  return t.group.fs.vfs.statAt(ctx, p, flags);
}

function readlink(t: Task, dirfd: number, p: string, buf: number, size: number): number {
  if (size <= 0) throw new SysError(Errno.EINVAL);
  const target = new TextEncoder().encode(t.group.fs.vfs.readlinkAt(t.group.fs.context(t, dirfd, p), p));
  const n = Math.min(size, target.length);
  t.mm.copyOut(buf, target.subarray(0, n));
  return n;
}

/** getdents64: as many whole records as fit; the description's offset is the cookie. */
/** access(2) family: the real ids and their capabilities decide, unless AT_EACCESS asks for the effective ones. */
function access(t: Task, dirfd: number, path: string, mode: number, flags: number): number {
  const fs = t.group.fs;
  const ctx = fs.context(t, dirfd, path);
  if (!(flags & AT.EACCESS)) ctx.creds = vfsCredentials(accessCredentials(t.creds));
  fs.vfs.accessAt(ctx, path, mode, flags);
  return 0;
}

function pipe2(t: Task, addr: number, flags: number): number {
  if (flags & ~(O.CLOEXEC | O.NONBLOCK | O.DIRECT)) throw new SysError(Errno.EINVAL);
  const [r, w] = t.kernel.pipes.createPipe(vfsCredentials(t.creds), flags);
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const fds = t.group.fds;
  const rfd = fds.add(r, cloexec);
  let wfd: number;
  try {
    wfd = fds.add(w, cloexec);
  } catch (e) {
    fds.close(rfd);
    throw e;
  }
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setInt32(0, rfd, true);
  v.setInt32(4, wfd, true);
  try {
    t.mm.copyOut(addr, out);
  } catch (e) {
    fds.close(rfd);
    fds.close(wfd);
    throw e;
  }
  return 0;
}

function iovecTransfer(t: Task, fd: number, iov: number, iovcnt: number, write: boolean, offset?: number): number {
  const file = t.group.fds.get(fd);
  const vecs = t.mm.readIovecs(iov, iovcnt);
  if (offset === undefined) {
    const viaSocket = socketReadWrite(t, file, vecs, write);
    if (viaSocket !== undefined) return viaSocket;
    // readv/writev on a stream may block like read/write: retry the whole vector when ready.
    return blockingOp(t, file, write ? POLL.OUT : POLL.IN, () => transferVectors(t, file, vecs, write));
  }
  return transferVectors(t, file, vecs, write, offset);
}

/** The only fcntl commands an O_PATH descriptor takes (Linux's check_fcntl_cmd); the rest give EBADF. */
const O_PATH_FCNTLS = new Set<number>([F.DUPFD, F.DUPFD_CLOEXEC, F.GETFD, F.SETFD, F.GETFL]);

function fcntl(t: Task, fd: number, cmd: number, arg: number): number {
  const fds = t.group.fds;
  if (fds.get(fd).isPath && !O_PATH_FCNTLS.has(cmd)) throw new SysError(Errno.EBADF);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC: {
      const file = fds.get(fd);
      file.incRef();
      return fds.add(file, cmd === F.DUPFD_CLOEXEC, arg);
    }
    case F.GETFD:
      return fds.isCloexec(fd) ? 1 : 0;
    case F.SETFD:
      fds.setCloexec(fd, (arg & 1) !== 0);
      return 0;
    case F.GETFL:
      return fds.get(fd).statusFlags;
    case F.SETFL: {
      const file = fds.get(fd);
      file.setStatusFlags(arg);
      asyncFlagChanged(t.kernel, file, fd);
      return 0;
    }
    case F.GETOWN: {
      const owner = asyncOwner(fds.get(fd));
      return owner.type === F_OWNER.PGRP ? -owner.id : owner.id;
    }
    case F.SETOWN: {
      // arg is an int: a negative one names a process group.
      const id = arg | 0;
      if (id === -0x8000_0000) throw new SysError(Errno.EINVAL);
      setAsyncOwner(t, fds.get(fd), id < 0 ? { type: F_OWNER.PGRP, id: -id } : { type: F_OWNER.PID, id });
      return 0;
    }
    case F.GETOWN_EX: {
      const owner = asyncOwner(fds.get(fd));
      const out = new Uint8Array(8);
      const v = new DataView(out.buffer);
      v.setInt32(0, owner.type, true);
      v.setInt32(4, owner.id, true);
      t.mm.copyOut(arg, out);
      return 0;
    }
    case F.SETOWN_EX: {
      const file = fds.get(fd);
      const v = new DataView(t.mm.copyIn(arg, 8).buffer);
      setAsyncOwner(t, file, { type: v.getInt32(0, true), id: v.getInt32(4, true) });
      return 0;
    }
    case F.GETSIG:
      return asyncSignal(fds.get(fd));
    case F.SETSIG:
      setAsyncSignal(fds.get(fd), arg > 64 ? -1 : arg);
      return 0;
    case F.GETPIPE_SZ:
      return pipeOf(fds.get(fd)).capacity;
    case F.SETPIPE_SZ:
      return pipeOf(fds.get(fd)).setCapacity(arg, hasCapability(t.creds, CAP.SYS_RESOURCE));
    default: {
      const sealed = fcntlSeals(fds.get(fd), cmd, arg);
      if (sealed !== undefined) return sealed;
      const r = fcntlLock(t, fd, cmd, arg);
      if (r === undefined) throw new SysError(Errno.EINVAL);
      return r;
    }
  }
}

/** The pipe behind a pipe or FIFO description; the pipe-size fcntls give EBADF for anything else, as Linux's get_pipe_info does. */
function pipeOf(file: FileDescription): Pipe {
  if (!(file.impl instanceof PipeFile)) throw new SysError(Errno.EBADF);
  return file.impl.pipe;
}

function dup3(t: Task, oldfd: number, newfd: number, flags: number): number {
  if (flags & ~O.CLOEXEC) throw new SysError(Errno.EINVAL);
  const file = t.group.fds.get(oldfd);
  file.incRef();
  t.group.fds.set(newfd, file, (flags & O.CLOEXEC) !== 0);
  return newfd;
}

/**
 * getdents(2)/getdents64(2): as many whole records as fit in `count` bytes, encoded by `encode`
 * (the bytes used, 0 when the record does not fit). Only the writable part of the buffer is
 * filled, as Linux stops at its first fault and returns what it copied; EFAULT when not even one
 * record could be copied, EINVAL when the buffer is too small for it.
 */
function readDirents(t: Task, fd: number, addr: number, count: number, encode: (out: DataView, at: number, d: Dirent) => number): number {
  if (count > 0x7fffffff) throw new SysError(Errno.EINVAL);
  const file = t.group.fds.getOpenFile(fd);
  if ((file.stat().mode & S.IFMT) !== S.IFDIR) throw new SysError(Errno.ENOTDIR);
  const asked = Math.min(count, 1 << 20);
  const room = t.mm.writablePrefix(addr, asked);
  const out = new Uint8Array(room);
  const view = new DataView(out.buffer);
  let used = 0;
  let tooSmall = false;
  file.iterDirents((d) => {
    const n = encode(view, used, d);
    if (n === 0) {
      tooSmall = used === 0;
      return false;
    }
    used += n;
    return true;
  });
  if (tooSmall) throw new SysError(room < asked ? Errno.EFAULT : Errno.EINVAL);
  t.mm.copyOut(addr, out.subarray(0, used));
  return used;
}

function encodeDirent64(view: DataView, at: number, d: Dirent): number {
  return LinuxDirent64.encode(view, at, { d_ino: BigInt(d.ino), d_off: BigInt(d.nextOff), d_type: d.type, d_name: d.name });
}

const utf8 = new TextEncoder();

/** The old getdents(2) record: ino, off, reclen, name, NUL, padding, then d_type in the last byte. */
function encodeDirent(view: DataView, at: number, d: Dirent): number {
  const name = utf8.encode(d.name);
  const reclen = (18 + name.length + 2 + 7) & ~7;
  if (at + reclen > view.byteLength) return 0;
  view.setBigUint64(at, BigInt(d.ino), true);
  view.setBigInt64(at + 8, BigInt(d.nextOff), true);
  view.setUint16(at + 16, reclen, true);
  const bytes = new Uint8Array(view.buffer, view.byteOffset);
  bytes.set(name, at + 18);
  bytes[at + 18 + name.length] = 0;
  bytes[at + reclen - 1] = d.type;
  return reclen;
}

function vectored(t: Task, fd: number, iov: number, cnt: number, offset: number, write: boolean): number {
  const file = t.group.fds.get(fd);
  const at = offset === -1 ? undefined : offset;
  // As Linux's do_preadv/vfs_readv, the file is checked before the iovecs
  // are read, so that empty vectors too get EBADF/ESPIPE.
  if (file.isPath) throw new SysError(Errno.EBADF);
  if (at !== undefined && at < 0) throw new SysError(Errno.EINVAL);
  if (at !== undefined && file.impl.stream) throw new SysError(Errno.ESPIPE);
  if (!(write ? file.writable : file.readable)) throw new SysError(Errno.EBADF);
  const vecs = t.mm.readIovecs(iov, cnt);
  const once = () => transferVectors(t, file, vecs, write, at);
  return at === undefined ? blockingOp(t, file, write ? POLL.OUT : POLL.IN, once) : once();
}

function closeRange(t: Task, first: number, last: number, flags: number): number {
  if (flags & ~(CLOSE_RANGE.CLOEXEC | CLOSE_RANGE.UNSHARE) || first > last) throw new SysError(Errno.EINVAL);
  const fds = t.group.fds;
  for (const fd of fds.fds()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE.CLOEXEC) fds.setCloexec(fd, true);
    else {
      releaseProcessLocks(t, fds.get(fd));
      fds.close(fd);
    }
  }
  return 0;
}

function openat2(t: Task, dirfd: number, pathAddr: number, howAddr: number, size: number): number {
  if (size < OpenHow.size) throw new SysError(Errno.EINVAL);
  if (size > 4096) throw new SysError(Errno.E2BIG);
  const raw = t.mm.copyIn(howAddr, size);
  // Bytes past the struct this kernel knows must be zero (extensible-struct rule).
  if (raw.subarray(OpenHow.size).some((b) => b !== 0)) throw new SysError(Errno.E2BIG);
  const how = decodeStruct(OpenHow, raw);
  const flags = Number(how.flags);
  const allResolve = RESOLVE.NO_XDEV | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_SYMLINKS | RESOLVE.BENEATH | RESOLVE.IN_ROOT | RESOLVE.CACHED;
  if (how.resolve & ~allResolve) throw new SysError(Errno.EINVAL);
  if (how.mode !== 0 && !(flags & O.CREAT) && (flags & O.TMPFILE) !== O.TMPFILE) throw new SysError(Errno.EINVAL);
  if (how.mode & ~0o7777) throw new SysError(Errno.EINVAL);
  const p = readPath(t, pathAddr);
  const ctx = t.group.fs.context(t, dirfd, p);
  const file = t.group.fs.vfs.openAt(ctx, p, { flags, mode: how.mode, resolve: how.resolve });
  return installOpened(t, file, (flags & O.CLOEXEC) !== 0);
}

/** The file syscalls over @tvisor/vfs and the process's fd table. */
export function registerFileSyscalls(table: SyscallTable): void {
  table.register({
    read: {
      args: ['fd', 'ptr', 'uint'],
      handler: (t, a) => {
        const file = t.group.fds.get(a.argInt(0));
        const viaSocket = socketReadWrite(t, file, [{ base: a.arg(1), len: clampCount(a.arg(2)) }], false);
        if (viaSocket !== undefined) return viaSocket;
        return blockingOp(t, file, POLL.IN, () => readToUser(t, file, a.arg(1), clampCount(a.arg(2))));
      },
    },
    write: {
      args: ['fd', 'buf:2', 'uint'],
      handler: (t, a) => {
        const file = t.group.fds.get(a.argInt(0));
        const count = clampCount(a.arg(2));
        const viaSocket = socketReadWrite(t, file, [{ base: a.arg(1), len: count }], true);
        if (viaSocket !== undefined) return viaSocket;
        if (file.impl instanceof PipeFile) return pipeWrite(t, file, count, (done) => writeFromUser(t, file, a.arg(1) + done, count - done));
        return blockingOp(t, file, POLL.OUT, () => writeFromUser(t, file, a.arg(1), count));
      },
    },
    pipe: { args: ['ptr'], handler: (t, a) => pipe2(t, a.arg(0), 0) },
    pipe2: { args: ['ptr', 'hex'], handler: (t, a) => pipe2(t, a.arg(0), a.argInt(1)) },
    pread64: {
      args: ['fd', 'ptr', 'uint', 'int'],
      handler: (t, a) => readToUser(t, t.group.fds.get(a.argInt(0)), a.arg(1), clampCount(a.arg(2)), a.argSigned(3)),
    },
    pwrite64: {
      args: ['fd', 'buf:2', 'uint', 'int'],
      handler: (t, a) => writeFromUser(t, t.group.fds.get(a.argInt(0)), a.arg(1), clampCount(a.arg(2)), a.argSigned(3)),
    },
    readv: { args: ['fd', 'ptr', 'int'], handler: (t, a) => iovecTransfer(t, a.argInt(0), a.arg(1), a.argInt(2), false) },
    writev: { args: ['fd', 'ptr', 'int'], handler: (t, a) => iovecTransfer(t, a.argInt(0), a.arg(1), a.argInt(2), true) },
    open: { args: ['str', 'hex', 'oct'], handler: (t, a) => open(t, AT.FDCWD, readPath(t, a.arg(0)), a.argInt(1), a.argUint(2)) },
    openat: {
      args: ['dirfd', 'str', 'hex', 'oct'],
      handler: (t, a) => open(t, a.argInt(0), readPath(t, a.arg(1)), a.argInt(2), a.argUint(3)),
    },
    close: {
      args: ['fd'],
      handler: (t, a) => {
        const fd = a.argInt(0);
        releaseProcessLocks(t, t.group.fds.get(fd));
        t.group.fds.close(fd);
        return 0;
      },
    },
    lseek: { args: ['fd', 'int', 'int'], handler: (t, a) => t.group.fds.get(a.argInt(0)).seek(a.argSigned(1), a.argInt(2)) },
    fstat: {
      args: ['fd', 'ptr'],
      handler: (t, a) => {
        copyOutStat(t, a.arg(1), t.group.fds.get(a.argInt(0)).stat());
        return 0;
      },
    },
    stat: {
      args: ['str', 'ptr'],
      handler: (t, a) => {
        copyOutStat(t, a.arg(1), statAt(t, AT.FDCWD, readPath(t, a.arg(0)), 0));
        return 0;
      },
    },
    lstat: {
      args: ['str', 'ptr'],
      handler: (t, a) => {
        copyOutStat(t, a.arg(1), statAt(t, AT.FDCWD, readPath(t, a.arg(0)), AT.SYMLINK_NOFOLLOW));
        return 0;
      },
    },
    newfstatat: {
      args: ['dirfd', 'str', 'ptr', 'hex'],
      handler: (t, a) => {
        copyOutStat(t, a.arg(2), statAt(t, a.argInt(0), readPath(t, a.arg(1)), a.argInt(3)));
        return 0;
      },
    },
    getdents64: { args: ['fd', 'ptr', 'uint'], handler: (t, a) => readDirents(t, a.argInt(0), a.arg(1), a.argUint(2), encodeDirent64) },
    readlink: { args: ['str', 'ptr', 'int'], handler: (t, a) => readlink(t, AT.FDCWD, readPath(t, a.arg(0)), a.arg(1), a.argInt(2)) },
    readlinkat: {
      args: ['dirfd', 'str', 'ptr', 'int'],
      handler: (t, a) => readlink(t, a.argInt(0), readPath(t, a.arg(1)), a.arg(2), a.argInt(3)),
    },
    access: { args: ['str', 'oct'], handler: (t, a) => access(t, AT.FDCWD, readPath(t, a.arg(0)), a.argInt(1), 0) },
    faccessat: { args: ['dirfd', 'str', 'oct'], handler: (t, a) => access(t, a.argInt(0), readPath(t, a.arg(1)), a.argInt(2), 0) },
    faccessat2: { args: ['dirfd', 'str', 'oct', 'hex'], handler: (t, a) => access(t, a.argInt(0), readPath(t, a.arg(1)), a.argInt(2), a.argInt(3)) },
    fcntl: { args: ['fd', 'int', 'hex'], handler: (t, a) => fcntl(t, a.argInt(0), a.argInt(1), a.arg(2)) },
    dup: {
      args: ['fd'],
      handler: (t, a) => {
        const file = t.group.fds.get(a.argInt(0));
        file.incRef();
        return t.group.fds.add(file);
      },
    },
    dup2: {
      args: ['fd', 'fd'],
      handler: (t, a) => {
        const [oldfd, newfd] = [a.argInt(0), a.argInt(1)];
        if (oldfd === newfd) {
          t.group.fds.get(oldfd);
          return newfd;
        }
        return dup3(t, oldfd, newfd, 0);
      },
    },
    dup3: {
      args: ['fd', 'fd', 'hex'],
      handler: (t, a) => {
        if (a.argInt(0) === a.argInt(1)) throw new SysError(Errno.EINVAL);
        return dup3(t, a.argInt(0), a.argInt(1), a.argInt(2));
      },
    },
    ioctl: {
      args: ['fd', 'hex', 'hex'],
      support: 'partial',
      note: 'terminals: termios (TCGETS/TCSETS*, TCGETS2/TCSETS2*), TCFLSH, TIOCGWINSZ/TIOCSWINSZ, FIONREAD, TIOCOUTQ, TIOCSCTTY/TIOCNOTTY, TIOCGPGRP/TIOCSPGRP/TIOCGSID, ptmx TIOCGPTN/TIOCSPTLCK/TIOCGPTPEER/TIOCSIG; FIOCLEX/FIONCLEX/FIONBIO/FIOASYNC (SIGIO or the F_SETSIG signal to the F_SETOWN owner), FIONREAD on pipes, FIOSETOWN/FIOGETOWN/SIOCSPGRP/SIOCGPGRP on sockets; /dev/net/tun TUNSETIFF/TUNGETIFF/TUNSETPERSIST/TUNSETOWNER/TUNSETGROUP/TUNGETFEATURES (no IFF_VNET_HDR, IFF_MULTI_QUEUE or socket filters); no TIOCPKT/TIOCSTI/TCXONC; others ENOTTY',
      handler: (t, a) => ioctl(t, a.argInt(0), a.argUint(1), a.arg(2)),
    },
    getcwd: {
      args: ['ptr', 'uint'],
      handler: (t, a) => {
        const fs = t.group.fs;
        const { path: p, reachable } = fs.vfs.pathOf(fs.cwd, fs.root);
        const bytes = new TextEncoder().encode((reachable ? p : '(unreachable)' + p) + '\0');
        if (bytes.length > a.arg(1)) throw new SysError(Errno.ERANGE);
        t.mm.copyOut(a.arg(0), bytes);
        return bytes.length;
      },
    },
    chdir: {
      args: ['str'],
      handler: (t, a) => {
        const fs = t.group.fs;
        const p = readPath(t, a.arg(0));
        fs.cwd = fs.vfs.resolveDirectory(fs.context(t, AT.FDCWD, p), p);
        return 0;
      },
    },
    getdents: { args: ['fd', 'ptr', 'uint'], handler: (t, a) => readDirents(t, a.argInt(0), a.arg(1), a.argUint(2), encodeDirent) },
    preadv: { args: ['fd', 'ptr', 'int', 'int'], handler: (t, a) => vectored(t, a.argInt(0), a.arg(1), a.argInt(2), a.argSigned(3), false) },
    pwritev: { args: ['fd', 'ptr', 'int', 'int'], handler: (t, a) => vectored(t, a.argInt(0), a.arg(1), a.argInt(2), a.argSigned(3), true) },
    preadv2: {
      args: ['fd', 'ptr', 'int', 'int', 'int', 'hex'],
      support: 'partial',
      note: 'RWF_* flags are accepted and ignored; unknown bits are EOPNOTSUPP',
      handler: (t, a) => {
        if (a.argUint(5) & ~RWF_SUPPORTED) throw new SysError(Errno.EOPNOTSUPP);
        return vectored(t, a.argInt(0), a.arg(1), a.argInt(2), a.argSigned(3), false);
      },
    },
    pwritev2: {
      args: ['fd', 'ptr', 'int', 'int', 'int', 'hex'],
      support: 'partial',
      note: 'RWF_* flags are accepted and ignored; unknown bits are EOPNOTSUPP',
      handler: (t, a) => {
        if (a.argUint(5) & ~RWF_SUPPORTED) throw new SysError(Errno.EOPNOTSUPP);
        return vectored(t, a.argInt(0), a.arg(1), a.argInt(2), a.argSigned(3), true);
      },
    },
    close_range: { args: ['fd', 'fd', 'hex'], handler: (t, a) => closeRange(t, a.argUint(0), a.argUint(1), a.argUint(2)) },
    openat2: { args: ['dirfd', 'str', 'ptr', 'uint'], handler: (t, a) => openat2(t, a.argInt(0), a.arg(1), a.arg(2), a.arg(3)) },
  });
}

/**
 * ioctl(2): the few requests every file understands here, then the file's
 * own handler (terminals answer TCGETS and friends).
 */
function ioctl(t: Task, fd: number, cmd: number, arg: number): number {
  const file = t.group.fds.getOpenFile(fd);
  switch (cmd) {
    case FIO.CLEX:
    case FIO.NCLEX:
      t.group.fds.setCloexec(fd, cmd === FIO.CLEX);
      return 0;
    case FIO.NBIO:
    case FIO.ASYNC: {
      // FIONBIO and FIOASYNC set or clear O_NONBLOCK and O_ASYNC as F_SETFL would.
      const on = new DataView(t.mm.copyIn(arg, 4).buffer).getInt32(0, true) !== 0;
      const flag = cmd === FIO.NBIO ? O.NONBLOCK : O.ASYNC;
      file.setStatusFlags(on ? file.statusFlags | flag : file.statusFlags & ~flag);
      asyncFlagChanged(t.kernel, file, fd);
      return 0;
    }
  }
  if ((file.stat().mode & S.IFMT) === S.IFSOCK) {
    // A socket's owner for SIGIO is also set and read by ioctl (sock_ioctl): FIOSETOWN/SIOCSPGRP as F_SETOWN, FIOGETOWN/SIOCGPGRP as F_GETOWN.
    if (cmd === FIO.SETOWN || cmd === SIOC.SPGRP) return fcntl(t, fd, F.SETOWN, new DataView(t.mm.copyIn(arg, 4).buffer).getInt32(0, true));
    if (cmd === FIO.GETOWN || cmd === SIOC.GPGRP) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, fcntl(t, fd, F.GETOWN, 0), true);
      t.mm.copyOut(arg, out);
      return 0;
    }
  }
  if (cmd === FIO.NREAD && file.impl instanceof PipeFile) {
    // Either end of a pipe answers FIONREAD with the bytes queued.
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, file.impl.pipe.queued, true);
    t.mm.copyOut(arg, out);
    return 0;
  }
  const impl = file.impl as Partial<UserIoctl>;
  if (typeof impl.userIoctl === 'function') return impl.userIoctl(t, cmd, arg);
  return file.ioctl(cmd, BigInt(arg));
}

/** A file whose ioctls copy their argument through application memory (terminals). */
export interface UserIoctl {
  userIoctl(task: Task, cmd: number, arg: number): number;
}
