import { Errno, O, SEEK, SysError } from '../../abi.js';
import { iterSnapshot, seekDirectory } from '../../dirents.js';
import { FileImplBase, type DirentCallback, type FileDescription } from '../../file-description.js';
import * as host from '../../native/host-syscalls.js';
import { modeAfterKillPrivs } from '../../credentials.js';
import type { StatInfo } from '../../stat.js';
import type { HostInode } from './host-inode.js';

/** An open host regular file: data moves straight between the host fd and the caller's buffer. */
export class HostRegularFile extends FileImplBase {
  private closed = false;

  constructor(
    private readonly hostInode: HostInode,
    /** Host fd opened for I/O; private to this description. */
    private readonly hostFd: number,
  ) {
    super(hostInode);
  }

  override pread(_fd: FileDescription, dst: Uint8Array, offset: number): number {
    if (dst.length === 0) return 0;
    return host.pread(this.hostFd, dst, offset);
  }

  override pwrite(fd: FileDescription, src: Uint8Array, offset: number): number {
    this.hostInode.fs.checkWritable();
    // Linux quirk kept on purpose: pwrite on an O_APPEND file appends.
    const at = fd.statusFlags & O.APPEND ? host.fstatx(this.hostFd).size : offset;
    const n = host.pwrite(this.hostFd, src, at);
    // The host sentry writes with its own privileges; apply the sandbox
    // writer's: an unprivileged write drops set-user/group-ID.
    if (n > 0) {
      const killed = modeAfterKillPrivs(fd.creds, host.fstatx(this.hostFd).mode);
      if (killed !== undefined) host.chmodFd(this.hostFd, killed & 0o7777);
    }
    return n;
  }

  override seek(fd: FileDescription, offset: number, whence: number): number {
    if (whence === SEEK.DATA || whence === SEEK.HOLE) {
      // The host knows where its holes are.
      const pos = host.lseek(this.hostFd, offset, whence);
      fd.offset = pos;
      return pos;
    }
    return super.seek(fd, offset, whence);
  }

  override stat(_fd: FileDescription): StatInfo {
    return host.fstatx(this.hostFd);
  }

  truncate(_fd: FileDescription, size: number): void {
    this.hostInode.fs.checkWritable();
    host.ftruncate(this.hostFd, size);
  }

  override allocate(_fd: FileDescription, mode: number, offset: number, length: number): void {
    this.hostInode.fs.checkWritable();
    host.fallocate(this.hostFd, mode, offset, length);
  }

  override sync(_fd: FileDescription): void {
    host.fsync(this.hostFd);
  }

  override release(_fd: FileDescription): void {
    if (this.closed) return;
    this.closed = true;
    host.close(this.hostFd);
  }
}

/** An open host directory: entries are snapshotted from the host when reading starts. */
export class HostDirectoryFile extends FileImplBase {
  private closed = false;

  constructor(
    hostInode: HostInode,
    private readonly hostFd: number,
    /** List nothing: the directory is a sealed host kernel interface. */
    private readonly sealed = false,
  ) {
    super(hostInode);
  }

  override read(): number {
    throw new SysError(Errno.EISDIR);
  }
  override pread(): number {
    throw new SysError(Errno.EISDIR);
  }

  override iterDirents(fd: FileDescription, cb: DirentCallback): void {
    iterSnapshot(
      fd,
      () => {
        if (this.sealed) return [];
        host.lseek(this.hostFd, 0, SEEK.SET);
        return host.readDirAll(this.hostFd);
      },
      cb,
    );
  }

  override seek(fd: FileDescription, offset: number, whence: number): number {
    return seekDirectory(fd, offset, whence);
  }

  override sync(_fd: FileDescription): void {
    host.fsync(this.hostFd);
  }

  override release(_fd: FileDescription): void {
    if (this.closed) return;
    this.closed = true;
    host.close(this.hostFd);
  }
}
