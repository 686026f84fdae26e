import { fstatSync, readSync, writeSync } from 'node:fs';
import { Errno, F, O, POLL, S, SysError } from '@tvisor/abi';
import {
  Dentry,
  FileDescription,
  FileImplBase,
  InodeBase,
  Mount,
  type Filesystem,
  type Inode,
  type StatfsInfo,
  type StatInfo,
  type VirtualFilesystem,
} from '@tvisor/vfs';
import { hostIoctl, hostPoll, hostPollAsync } from '../native/host-tty.js';
import { hostLseek, hostStatusFlags } from '../native/host-fd.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { TERMINAL_IOCTLS } from './terminal-ioctls.js';

/**
 * Host fds as the sandbox sees them: the stdio of `runsc do`, or whatever
 * fds an OCI client gave `create`/`exec` (pipes, FIFOs, a file, a pty).
 * Each is a sentry object that forwards reads, writes, seeks and terminal
 * ioctls to the host fd, and behaves as that kind of file: a regular file
 * seeks (sharing the host offset, as an inherited fd does) and maps; a pipe
 * or terminal is a stream. The application never holds a host fd.
 */
class HostStdioFilesystem implements Filesystem {
  readonly type = 'hoststdio';
  readonly dev = 0;
  private readonly rootInode: Inode;
  constructor() {
    this.rootInode = new HostStdioInode(this, -1);
  }
  root(): Inode {
    return this.rootInode;
  }
  statfs(): StatfsInfo {
    return { type: 0, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
  }
  release(): void {}
}

function toTimespec(ms: number) {
  return { sec: Math.floor(ms / 1000), nsec: Math.round((ms % 1000) * 1e6) };
}

class HostStdioInode extends InodeBase implements Inode {
  constructor(
    readonly fs: Filesystem,
    readonly hostFd: number,
    /** Whose run loop must keep Node's event loop turning while a task waits on the host fd. */
    readonly kernel?: Kernel,
  ) {
    super();
  }

  stat(): StatInfo {
    if (this.hostFd < 0) throw new SysError(Errno.EBADF);
    const s = fstatSync(this.hostFd);
    // A host socket (Node's child_process stdio are socketpairs) is shown as
    // a pipe: the app gets a byte stream, never socket operations on a host fd.
    const mode = (s.mode & 0o170000) === 0o140000 ? 0o010000 | (s.mode & 0o7777) : s.mode;
    return {
      mask: 0x7ff,
      dev: Number(s.dev),
      ino: Number(s.ino),
      mode,
      nlink: s.nlink,
      uid: s.uid,
      gid: s.gid,
      rdev: Number(s.rdev),
      size: (s.mode & 0o170000) === 0o100000 ? s.size : 0,
      blksize: s.blksize,
      blocks: s.blocks,
      atime: toTimespec(s.atimeMs),
      mtime: toTimespec(s.mtimeMs),
      ctime: toTimespec(s.ctimeMs),
      btime: toTimespec(s.birthtimeMs),
    };
  }

  setStat(): void {
    throw new SysError(Errno.EPERM);
  }

  open(): HostStdioImpl {
    return new HostStdioImpl(this);
  }
}

/** How long one wait of a host-fd watcher lasts before it looks again (so an idle sandbox can still exit). */
const HOST_POLL_SLICE_MS = 100;

export class HostStdioImpl extends FileImplBase {
  private readonly hostFd: number;
  private readonly kernel: Kernel | undefined;
  /** A host regular file never blocks and reads at offsets: no poll before each read or write. */
  private readonly regular: boolean;
  /** Streams (pipes, sockets, terminals, character devices) have no offset: pread/pwrite say ESPIPE. */
  readonly stream: boolean;
  constructor(inode: HostStdioInode) {
    super(inode);
    this.hostFd = inode.hostFd;
    this.kernel = inode.kernel;
    const type = this.hostFd >= 0 ? fstatSync(this.hostFd).mode & S.IFMT : 0;
    this.regular = type === S.IFREG;
    this.stream = !this.regular && type !== S.IFBLK;
  }

  /**
   * Reads only what the host fd has now: with nothing there it says EAGAIN,
   * and the syscall layer parks the task on `subscribe` (a blocking read of
   * a terminal or pipe must not stall the sentry and every other task).
   */
  override read(_fd: FileDescription, dst: Uint8Array): number {
    if (!this.regular && !this.ready(POLL.IN)) throw new SysError(Errno.EAGAIN);
    return retry(() => readSync(this.hostFd, dst, 0, dst.length, null));
  }

  /** pread(2): a host regular file (stdin redirected from a file) reads at an offset; anything else is ESPIPE. */
  override pread(_fd: FileDescription, dst: Uint8Array, offset: number): number {
    if (!this.regular) throw new SysError(Errno.ESPIPE);
    return retry(() => readSync(this.hostFd, dst, 0, dst.length, offset));
  }

  /** pwrite(2) at an offset of a host regular file. */
  override pwrite(_fd: FileDescription, src: Uint8Array, offset: number): number {
    if (!this.regular) throw new SysError(Errno.ESPIPE);
    return retry(() => writeSync(this.hostFd, src, 0, src.length, offset));
  }

  override write(_fd: FileDescription, src: Uint8Array): number {
    if (!this.regular && !this.ready(POLL.OUT)) throw new SysError(Errno.EAGAIN);
    return retry(() => writeSync(this.hostFd, src, 0, src.length));
  }

  private ready(events: number): boolean {
    const r = hostPoll(this.hostFd, events);
    // An error from poll itself: let the read or write report it.
    return r < 0 || (r & (events | POLL.HUP | POLL.ERR | POLL.NVAL)) !== 0;
  }

  override readiness(_fd: FileDescription, mask: number): number {
    const r = hostPoll(this.hostFd, mask);
    return r < 0 ? POLL.ERR : r & (mask | POLL.HUP | POLL.ERR);
  }

  /**
   * Watches the host fd from one of Node's worker threads (poll in slices)
   * and calls `cb` when it reports one of `mask`'s events. While a watch is
   * on, the kernel's run loop keeps Node's event loop turning to hear it.
   */
  override subscribe(_fd: FileDescription, mask: number, cb: (events: number) => void): () => void {
    let active = true;
    const kernel = this.kernel;
    if (kernel) kernel.hostWaits++;
    const watch = () => {
      if (!active) return;
      hostPollAsync(this.hostFd, mask, HOST_POLL_SLICE_MS, (r) => {
        if (!active) return;
        const events = r & (mask | POLL.HUP | POLL.ERR);
        if (events !== 0) cb(events);
        // Level-triggered sources: look again only after a slice, so a ready
        // fd nobody drains does not spin.
        if (active) (events !== 0 ? setTimeout(watch, HOST_POLL_SLICE_MS) : watch());
      });
    };
    watch();
    return () => {
      if (!active) return;
      active = false;
      if (kernel) kernel.hostWaits--;
    };
  }

  /** lseek(2): a host regular file moves the host fd's own offset (shared with whoever else holds it, as on Linux). */
  override seek(_fd: FileDescription, offset: number, whence: number): number {
    if (!this.regular) throw new SysError(Errno.ESPIPE);
    const r = hostLseek(this.hostFd, offset, whence);
    if (r < 0) throw new SysError(-r);
    return r;
  }

  /** Terminal ioctls, with their argument copied between app memory and the host. */
  userIoctl(task: Task, cmd: number, arg: number): number {
    const spec = TERMINAL_IOCTLS.get(cmd);
    if (!spec) throw new SysError(Errno.ENOTTY);
    const buf = spec.dir === 'in' ? task.mm.copyIn(arg, spec.size) : new Uint8Array(spec.size);
    const rc = hostIoctl(this.hostFd, cmd, buf);
    if (rc < 0) throw new SysError(-rc);
    if (spec.dir === 'out') {
      // The host tty's foreground group means nothing inside: report the caller's.
      if (spec.name === 'TIOCGPGRP') new DataView(buf.buffer).setInt32(0, task.group.pgid, true);
      task.mm.copyOut(arg, buf);
    }
    return rc;
  }
}

let stdioMount: Mount | undefined;

/** A new open file description for host fd `hostFd`, open for what the host fd is open for. */
export function stdioFile(hostFd: number, _vfs: VirtualFilesystem, kernel?: Kernel): FileDescription {
  if (!stdioMount) {
    const fs = new HostStdioFilesystem();
    stdioMount = new Mount(fs, new Dentry('/', null, fs.root()), {}, null, null);
  }
  const inode = new HostStdioInode(stdioMount.fs, hostFd, kernel);
  const dentry = new Dentry(`host:[${hostFd}]`, null, inode);
  const hostFlags = hostStatusFlags(hostFd, F.GETFL);
  // An fd whose mode cannot be read (closed): the classic stdio directions.
  const flags = hostFlags < 0 ? (hostFd === 0 ? O.RDONLY : O.WRONLY) : hostFlags & (O.ACCMODE | O.APPEND);
  return new FileDescription({ mount: stdioMount, dentry }, inode.open(), flags, { uid: 0, gid: 0, groups: [] });
}

/** Host I/O that may find a non-blocking fd not ready: wait and try again, as a blocking fd would. */
function retry(op: () => number): number {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return op();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      if (code === 'EOF') return 0;
      // The host's errno keeps its meaning (ENOSPC from /dev/full, EPIPE, EISDIR...).
      const errno = code !== undefined ? (Errno as Record<string, number>)[code] : undefined;
      throw new SysError(errno ?? Errno.EIO, String(e));
    }
  }
}
