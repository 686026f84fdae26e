import { Errno, IN, O, POLL, S, SEEK, SysError } from './abi.js';
import { modeAfterKillPrivs, type Credentials } from './credentials.js';
import type { Inode } from './inode.js';
import type { Mount, VirtualDentry } from './mount.js';
import { ALWAYS_READY, type ReadinessCallback } from './readiness.js';
import { isDir, nowTimespec, type StatInfo } from './stat.js';
import type { Dentry } from './dentry.js';
import { currentSyscallScope, descriptionClosed, descriptionOpened, notifyDentry, Watches } from './fsnotify.js';

/** One directory entry as getdents64 reports it. */
export interface Dirent {
  name: string;
  ino: number;
  /** DT_* type. */
  type: number;
  /** Cookie (d_off) to resume reading after this entry. */
  nextOff: number;
}

/**
 * Called for each directory entry in order. Return false to stop (e.g. the
 * caller's buffer is full); that entry is then NOT consumed and will be
 * returned again by the next call.
 */
export type DirentCallback = (d: Dirent) => boolean;

/** Status flags F_SETFL may change. */
export const SETTABLE_STATUS_FLAGS = O.APPEND | O.NONBLOCK | O.ASYNC | O.DIRECT | O.NOATIME;

/**
 * The per-file-type half of an open file (gVisor's FileDescriptionImpl,
 * Linux's file_operations). The FileDescription passes itself in, so an
 * implementation can read the offset and status flags. Every method throws a
 * SysError on failure. Data buffers are only borrowed for the call.
 */
export interface FileDescriptionImpl {
  /**
   * Optional: true for streams (pipes, sockets, terminals) that have no file
   * position. pread/pwrite then fail with ESPIPE before any other check, as
   * Linux does (no FMODE_PREAD/FMODE_PWRITE).
   */
  readonly stream?: boolean;
  /**
   * Optional: true when each read and write moves one whole message (a
   * TUN/TAP packet): the caller hands `write` everything the application
   * wrote in one call, its vectors gathered, and gives `read` one buffer of
   * the size asked for, never pieces of either.
   */
  readonly datagram?: boolean;
  /** Read at `offset` without touching the file offset. ESPIPE on streams. Returns bytes read (0 = EOF). */
  pread(fd: FileDescription, dst: Uint8Array, offset: number): number;
  /** Read at the file offset and advance it (or consume from a stream). EAGAIN if it would block. */
  read(fd: FileDescription, dst: Uint8Array): number;
  /** Write at `offset` (at end of file when O_APPEND, like Linux). ESPIPE on streams. */
  pwrite(fd: FileDescription, src: Uint8Array, offset: number): number;
  /** Write at the file offset (or end with O_APPEND) and advance it. EAGAIN if it would block, EPIPE without readers. */
  write(fd: FileDescription, src: Uint8Array): number;
  /** lseek(2). Returns and sets the new offset. */
  seek(fd: FileDescription, offset: number, whence: number): number;
  /** Produce directory entries starting at the file offset, advancing it past each accepted entry. ENOTDIR for non-dirs. */
  iterDirents(fd: FileDescription, cb: DirentCallback): void;
  /** ioctl(2); `arg` is the raw argument. ENOTTY by default. */
  ioctl(fd: FileDescription, cmd: number, arg: bigint): number;
  /** The subset of `mask` (POLL.* bits) that is currently ready; POLLERR/POLLHUP are always included when true. */
  readiness(fd: FileDescription, mask: number): number;
  /** Call `cb` when readiness in `mask` may have changed; returns an unsubscribe function. */
  subscribe(fd: FileDescription, mask: number, cb: ReadinessCallback): () => void;
  /**
   * Optional ftruncate(2) through the open file (for files whose name may be
   * gone, e.g. host files): sets the size and updates mtime/ctime. Without
   * it the VFS truncates through the inode.
   */
  truncate?(fd: FileDescription, size: number): void;
  /** fallocate(2). */
  allocate(fd: FileDescription, mode: number, offset: number, length: number): void;
  /** fsync/fdatasync. */
  sync(fd: FileDescription): void;
  /** Attributes of the open file (fstat). */
  stat(fd: FileDescription): StatInfo;
  /** Called once when the last reference is dropped. */
  release(fd: FileDescription): void;
  /**
   * Optional, for MAP_SHARED: the page object holding the file's bytes at
   * page `index` (the filesystem's page size), allocated if it is a hole.
   * The same object for as long as the file keeps that page, so a mapping
   * of it and read/write on the file see the same bytes. Files without it
   * can be mapped shared only read-only, as a snapshot.
   */
  mappablePage?(fd: FileDescription, index: number): Uint8Array;
}

/**
 * Defaults for a seekable file whose data is reached through pread/pwrite;
 * subclasses supply those plus whatever else they support.
 */
export abstract class FileImplBase implements FileDescriptionImpl {
  constructor(protected readonly inode: Inode) {}

  pread(_fd: FileDescription, _dst: Uint8Array, _offset: number): number {
    throw new SysError(Errno.EINVAL);
  }
  pwrite(_fd: FileDescription, _src: Uint8Array, _offset: number): number {
    throw new SysError(Errno.EINVAL);
  }
  read(fd: FileDescription, dst: Uint8Array): number {
    const n = this.pread(fd, dst, fd.offset);
    fd.offset += n;
    return n;
  }
  write(fd: FileDescription, src: Uint8Array): number {
    const start = fd.statusFlags & O.APPEND ? this.stat(fd).size : fd.offset;
    const n = this.pwrite(fd, src, start);
    fd.offset = start + n;
    return n;
  }
  seek(fd: FileDescription, offset: number, whence: number): number {
    return genericSeek(fd, offset, whence, () => this.stat(fd).size);
  }
  /** lseek against an explicit size (for files whose stat size is not their length). */
  protected seekWithSize(fd: FileDescription, offset: number, whence: number, size: number): number {
    return genericSeek(fd, offset, whence, () => size);
  }
  iterDirents(_fd: FileDescription, _cb: DirentCallback): void {
    throw new SysError(Errno.ENOTDIR);
  }
  ioctl(_fd: FileDescription, _cmd: number, _arg: bigint): number {
    throw new SysError(Errno.ENOTTY);
  }
  readiness(_fd: FileDescription, mask: number): number {
    return mask & ALWAYS_READY;
  }
  subscribe(_fd: FileDescription, _mask: number, _cb: ReadinessCallback): () => void {
    // Never changes readiness, so there is nothing to report.
    return () => {};
  }
  allocate(_fd: FileDescription, _mode: number, _offset: number, _length: number): void {
    throw new SysError(Errno.ENODEV);
  }
  sync(_fd: FileDescription): void {}
  stat(_fd: FileDescription): StatInfo {
    return this.inode.stat();
  }
  release(_fd: FileDescription): void {}
}

/** Largest file offset (Linux's MAX_LFS_FILESIZE for 64-bit, clamped to exact JS integers). */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** pread/pwrite's position: EINVAL when negative or when its end would pass 2^63 - 1 (Linux's rw_verify_area). */
function checkPosition(offset: number, count: number): void {
  if (offset < 0 || offset + count >= 2 ** 63) throw new SysError(Errno.EINVAL);
}

/** lseek for files whose data has no holes the VFS knows of. */
export function genericSeek(fd: FileDescription, offset: number, whence: number, size: () => number): number {
  let pos: number;
  switch (whence) {
    case SEEK.SET:
      pos = offset;
      break;
    case SEEK.CUR:
      pos = fd.offset + offset;
      break;
    case SEEK.END:
      pos = size() + offset;
      break;
    case SEEK.DATA: {
      const s = size();
      if (offset < 0 || offset >= s) throw new SysError(Errno.ENXIO);
      pos = offset;
      break;
    }
    case SEEK.HOLE: {
      const s = size();
      if (offset < 0 || offset >= s) throw new SysError(Errno.ENXIO);
      pos = s;
      break;
    }
    default:
      throw new SysError(Errno.EINVAL);
  }
  if (pos < 0 || pos > MAX_OFFSET || !Number.isFinite(pos)) throw new SysError(Errno.EINVAL);
  fd.offset = pos;
  return pos;
}

/** lseek for files with no end to seek from (a directory, /proc/PID/mem): SEEK_SET and SEEK_CUR only, never negative. */
export function seekWithoutEnd(fd: FileDescription, offset: number, whence: number): number {
  let pos: number;
  if (whence === SEEK.SET) pos = offset;
  else if (whence === SEEK.CUR) pos = fd.offset + offset;
  else throw new SysError(Errno.EINVAL);
  if (pos < 0) throw new SysError(Errno.EINVAL);
  fd.offset = pos;
  return pos;
}

/** Implementation for O_PATH descriptions: every I/O fails with EBADF. */
export class PathFileImpl extends FileImplBase {
  override read(): number {
    throw new SysError(Errno.EBADF);
  }
  override pread(): number {
    throw new SysError(Errno.EBADF);
  }
  override write(): number {
    throw new SysError(Errno.EBADF);
  }
  override pwrite(): number {
    throw new SysError(Errno.EBADF);
  }
  override seek(): number {
    throw new SysError(Errno.EBADF);
  }
  override iterDirents(): void {
    throw new SysError(Errno.EBADF);
  }
  override ioctl(): number {
    throw new SysError(Errno.EBADF);
  }
  override allocate(): void {
    throw new SysError(Errno.EBADF);
  }
  override sync(): void {
    throw new SysError(Errno.EBADF);
  }
  override readiness(_fd: FileDescription, mask: number): number {
    return mask & POLL.NVAL;
  }
}

/**
 * An open file (Linux's struct file): the location it was opened at, access
 * mode and status flags, the file offset, and the type-specific `impl`.
 * Reference-counted: the kernel's fd tables, dup, fork and SCM_RIGHTS take
 * references; the implementation is released when the last one drops.
 */
export class FileDescription {
  /** File offset (or directory cookie). */
  offset = 0;
  private refs = 1;
  private flags: number;
  /** Scratch space for a directory implementation's per-open snapshot. */
  dirState: unknown = undefined;
  /** The asOneSyscall scope of the last IN_ACCESS/IN_MODIFY reported, and which of the two were. */
  private ioScope = 0;
  private ioReported = 0;

  constructor(
    readonly vd: VirtualDentry,
    readonly impl: FileDescriptionImpl,
    flags: number,
    readonly creds: Credentials,
  ) {
    this.flags = flags & ~(O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.CLOEXEC);
    vd.mount.refs++;
    descriptionOpened(vd.dentry);
  }

  get mount(): Mount {
    return this.vd.mount;
  }
  get dentry(): Dentry {
    return this.vd.dentry;
  }
  get inode(): Inode {
    return this.vd.dentry.inode;
  }

  /** Access mode and status flags, as F_GETFL reports them. */
  get statusFlags(): number {
    return this.flags;
  }
  /** F_SETFL: only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME change. */
  setStatusFlags(flags: number): void {
    this.flags = (this.flags & ~SETTABLE_STATUS_FLAGS) | (flags & SETTABLE_STATUS_FLAGS);
  }
  get isPath(): boolean {
    return (this.flags & O.PATH) !== 0;
  }
  get readable(): boolean {
    const acc = this.flags & O.ACCMODE;
    return !this.isPath && (acc === O.RDONLY || acc === O.RDWR);
  }
  get writable(): boolean {
    const acc = this.flags & O.ACCMODE;
    return !this.isPath && (acc === O.WRONLY || acc === O.RDWR);
  }

  /** Whether the last reference is gone (the implementation was released). */
  get released(): boolean {
    return this.refs <= 0;
  }
  incRef(): void {
    if (this.refs <= 0) throw new Error('FileDescription used after release');
    this.refs++;
  }
  /**
   * Drop a reference; the last one reports IN_CLOSE_WRITE or
   * IN_CLOSE_NOWRITE (by access mode; none for O_PATH), then releases the
   * implementation and the mount.
   */
  decRef(): void {
    if (--this.refs === 0) {
      if (!this.isPath && Watches.any) notifyDentry(this.vd.dentry, this.writable ? IN.CLOSE_WRITE : IN.CLOSE_NOWRITE, true);
      try {
        this.impl.release(this);
      } finally {
        this.vd.mount.refs--;
        descriptionClosed(this.vd.dentry);
      }
    }
  }

  /**
   * Reports IN_ACCESS or IN_MODIFY from this open file, once per
   * asOneSyscall scope (one read(2) may reach the file in several chunks).
   */
  private reportIo(event: number): void {
    if (!Watches.any) return;
    const scope = currentSyscallScope();
    if (scope !== 0) {
      if (this.ioScope !== scope) {
        this.ioScope = scope;
        this.ioReported = 0;
      } else if (this.ioReported & event) return;
      this.ioReported |= event;
    }
    notifyDentry(this.vd.dentry, event, true);
  }
  get refCount(): number {
    return this.refs;
  }

  /** Whether mappablePage works on this file (MAP_SHARED writable mappings need it). */
  get hasMappablePages(): boolean {
    return this.impl.mappablePage !== undefined && !this.isPath;
  }

  /** The file's page at `index` for a shared mapping (see FileDescriptionImpl.mappablePage); ENODEV if the file has none. */
  mappablePage(index: number): Uint8Array {
    if (!this.impl.mappablePage || this.isPath) throw new SysError(Errno.ENODEV);
    return this.impl.mappablePage(this, index);
  }

  /**
   * pread(2) that inotify does not see: for the kernel's own reads that
   * Linux does not report (pages of a memory mapping filled from the file).
   */
  readUnreported(dst: Uint8Array, offset: number): number {
    if (this.isPath || !this.readable) throw new SysError(Errno.EBADF);
    if (this.impl.stream) throw new SysError(Errno.ESPIPE);
    if (offset < 0) throw new SysError(Errno.EINVAL);
    return this.impl.pread(this, dst, offset);
  }

  /** read(2) when `offset` is undefined, pread(2) otherwise; IN_ACCESS when bytes came. */
  read(dst: Uint8Array, offset?: number): number {
    // O_PATH descriptions fail every I/O call at fd lookup, before anything else.
    if (this.isPath) throw new SysError(Errno.EBADF);
    if (offset !== undefined && this.impl.stream) throw new SysError(Errno.ESPIPE);
    if (!this.readable) throw new SysError(Errno.EBADF);
    let n: number;
    if (offset === undefined) n = this.impl.read(this, dst);
    else {
      checkPosition(offset, dst.length);
      n = this.impl.pread(this, dst, offset);
    }
    if (n > 0) this.reportIo(IN.ACCESS);
    return n;
  }

  /** write(2) when `offset` is undefined, pwrite(2) otherwise; IN_MODIFY when bytes went. */
  write(src: Uint8Array, offset?: number): number {
    if (this.isPath) throw new SysError(Errno.EBADF);
    if (offset !== undefined && this.impl.stream) throw new SysError(Errno.ESPIPE);
    if (!this.writable) throw new SysError(Errno.EBADF);
    let n: number;
    if (offset === undefined) n = this.impl.write(this, src);
    else {
      checkPosition(offset, src.length);
      n = this.impl.pwrite(this, src, offset);
    }
    if (n > 0) this.reportIo(IN.MODIFY);
    return n;
  }

  /** lseek(2). */
  seek(offset: number, whence: number): number {
    if (this.isPath) throw new SysError(Errno.EBADF);
    // lseek validates whence before asking the file (so a pipe says EINVAL, not ESPIPE).
    if (!Number.isInteger(whence) || whence < SEEK.SET || whence > SEEK.HOLE) throw new SysError(Errno.EINVAL);
    return this.impl.seek(this, offset, whence);
  }

  /** fstat(2). Works on O_PATH descriptions too. */
  stat(): StatInfo {
    return this.impl.stat(this);
  }

  /** Feed directory entries from the current offset to `cb` (getdents64). */
  iterDirents(cb: DirentCallback): void {
    if (this.isPath) throw new SysError(Errno.EBADF);
    if (!isDir(this.inode.stat().mode)) throw new SysError(Errno.ENOTDIR);
    this.impl.iterDirents(this, cb);
    // iterate_dir reports the directory read whatever it returned.
    this.reportIo(IN.ACCESS);
  }

  /** Convenience: up to `max` entries from the current offset. */
  getdents(max = Infinity): Dirent[] {
    const out: Dirent[] = [];
    this.iterDirents((d) => {
      if (out.length >= max) return false;
      out.push(d);
      return true;
    });
    return out;
  }

  ioctl(cmd: number, arg: bigint): number {
    if (this.isPath) throw new SysError(Errno.EBADF);
    return this.impl.ioctl(this, cmd, arg);
  }

  /** Ready events among `mask` (POLL.* bits). */
  readiness(mask: number): number {
    return this.impl.readiness(this, mask);
  }

  /** Be told when readiness in `mask` may have changed. Returns the unsubscribe function. */
  subscribe(mask: number, cb: ReadinessCallback): () => void {
    return this.impl.subscribe(this, mask, cb);
  }

  /** fallocate(2). */
  allocate(mode: number, offset: number, length: number): void {
    if (this.isPath) throw new SysError(Errno.EBADF);
    // The checks of vfs_fallocate, in its order.
    if (offset < 0 || length <= 0) throw new SysError(Errno.EINVAL);
    const KEEP_SIZE = 0x1,
      PUNCH_HOLE = 0x2,
      COLLAPSE_RANGE = 0x8,
      ZERO_RANGE = 0x10,
      INSERT_RANGE = 0x20,
      UNSHARE_RANGE = 0x40;
    if (mode & ~(KEEP_SIZE | PUNCH_HOLE | COLLAPSE_RANGE | ZERO_RANGE | INSERT_RANGE | UNSHARE_RANGE)) throw new SysError(Errno.EOPNOTSUPP);
    if (mode & PUNCH_HOLE && mode & ZERO_RANGE) throw new SysError(Errno.EOPNOTSUPP);
    if (mode & PUNCH_HOLE && !(mode & KEEP_SIZE)) throw new SysError(Errno.EOPNOTSUPP);
    if (mode & (COLLAPSE_RANGE | INSERT_RANGE) && mode & ~(COLLAPSE_RANGE | INSERT_RANGE)) throw new SysError(Errno.EINVAL);
    if (!this.writable) throw new SysError(Errno.EBADF);
    const type = this.inode.stat().mode & S.IFMT;
    if (type === S.IFIFO) throw new SysError(Errno.ESPIPE);
    if (type === S.IFDIR) throw new SysError(Errno.EISDIR);
    if (type !== S.IFREG && type !== S.IFBLK) throw new SysError(Errno.ENODEV);
    if (offset + length > MAX_OFFSET) throw new SysError(Errno.EFBIG);
    this.impl.allocate(this, mode, offset, length);
    this.reportIo(IN.MODIFY);
  }

  /** ftruncate(2): EINVAL unless open for writing on a regular file. */
  truncate(size: number): void {
    if (size < 0 || !Number.isSafeInteger(size)) throw new SysError(Errno.EINVAL);
    if (!this.writable) throw new SysError(this.isPath ? Errno.EBADF : Errno.EINVAL);
    if ((this.inode.stat().mode & S.IFMT) !== S.IFREG) throw new SysError(Errno.EINVAL);
    const killed = modeAfterKillPrivs(this.creds, this.inode.stat().mode);
    if (this.impl.truncate) this.impl.truncate(this, size);
    else this.inode.setStat({ size, mtime: nowTimespec() }, this.creds);
    if (killed !== undefined) this.inode.setStat({ mode: killed }, this.creds);
    // notify_change's event: not from the open file, so IN_EXCL_UNLINK does not hide it.
    notifyDentry(this.vd.dentry, killed !== undefined ? IN.MODIFY | IN.ATTRIB : IN.MODIFY);
  }

  /** fsync(2)/fdatasync(2). */
  sync(): void {
    this.impl.sync(this);
  }

  /** readlinkat(fd, "") on an O_PATH descriptor of a symlink. */
  readlink(): string {
    return this.inode.readlink();
  }
}
