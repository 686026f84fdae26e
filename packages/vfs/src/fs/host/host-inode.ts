import { AT, Errno, O, RENAME, S, SysError } from '../../abi.js';
import type { Credentials } from '../../credentials.js';
import type { FileDescriptionImpl } from '../../file-description.js';
import type { Inode } from '../../inode.js';
import * as host from '../../native/host-syscalls.js';
import type { SetStatRequest, StatInfo } from '../../stat.js';
import { HostDirectoryFile, HostRegularFile } from './host-file.js';
import type { HostFilesystem } from './host-filesystem.js';
import { HOST_KERNEL_INTERFACE_MAGICS } from './kernel-interfaces.js';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_DIRECTORY = 0o200000;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_RDWR = 2;
const O_TMPFILE = 0o20200000;

/**
 * One host file, held open as an O_PATH handle. The handle is the file's
 * identity: stat, chmod, chown, utimens and readlink act on it directly, and
 * a new host name is only ever resolved as one component under the parent's
 * handle.
 */
export class HostInode implements Inode {
  /** Host inode number (stable for the handle's lifetime). */
  readonly ino: number;
  /** Host device of the file. */
  readonly hostDev: number;
  /** Host identity, checked whenever the file is reopened by name. */
  readonly identity: host.FileIdentity;
  private readonly fileType: number;

  constructor(
    readonly fs: HostFilesystem,
    /** O_PATH host fd (-1 once evicted; reopened on demand). */
    private fd: number,
    /** Parent directory (null for the root); updated on rename. */
    public parent: HostInode | null,
    /** Name in the parent; updated on rename. */
    public name: string,
    st: StatInfo,
    /**
     * A mount point of a host kernel interface (proc, sysfs, ...): shown as
     * an empty directory, never looked into.
     */
    readonly sealed = false,
    /**
     * An O_TMPFILE file with no name yet: `fd` is its only access (a real
     * O_RDWR fd, pinned rather than evictable), and opens duplicate it.
     */
    public unnamed = false,
  ) {
    this.ino = st.ino;
    this.hostDev = st.dev;
    this.identity = host.identityOf(st);
    this.fileType = st.mode & S.IFMT;
    if (unnamed) fs.pinHandle(this, fd);
    else if (parent) fs.adoptHandle(this, fd);
  }

  /**
   * The O_PATH handle, reopened by name under the parent's handle if the
   * filesystem closed it to bound its open files; ESTALE if the name now
   * refers to a different file.
   */
  get handle(): number {
    if (this.fd >= 0) {
      if (this.parent) this.fs.touchHandle(this.fd);
      return this.fd;
    }
    if (!this.parent) throw new SysError(Errno.EBADF);
    const fd = host.openPathBeneath(this.parent.handle, this.name);
    if (!host.sameFile(host.identityOf(host.fstatx(fd)), this.identity)) {
      host.close(fd);
      throw new SysError(Errno.ESTALE);
    }
    this.fd = fd;
    this.fs.adoptHandle(this, fd);
    return fd;
  }

  /** Called by the filesystem when it closes this inode's handle. */
  forgetHandle(): void {
    this.fd = -1;
  }

  stat(): StatInfo {
    return host.fstatx(this.handle);
  }

  setStat(req: SetStatRequest, _creds: Credentials): void {
    this.fs.checkWritable();
    if (req.size !== undefined) {
      if (this.fileType === S.IFDIR) throw new SysError(Errno.EISDIR);
      if (this.fileType !== S.IFREG) throw new SysError(Errno.EINVAL);
      const fd = this.reopen(O_WRONLY);
      try {
        host.ftruncate(fd, req.size);
      } finally {
        host.close(fd);
      }
    }
    if (req.uid !== undefined || req.gid !== undefined) host.chownFd(this.handle, req.uid ?? -1, req.gid ?? -1);
    if (req.mode !== undefined) host.chmodFd(this.handle, req.mode & 0o7777);
    if (req.atime || req.mtime) host.utimensFd(this.handle, req.atime, req.mtime);
  }

  lookup(name: string): Inode {
    if (this.sealed) throw new SysError(Errno.ENOENT);
    const fd = host.openPathBeneath(this.handle, name);
    try {
      const st = host.fstatx(fd);
      // Crossing into another host mount: hide the host kernel's interfaces.
      const sealed = st.dev !== this.hostDev && !this.fs.exposeKernelInterfaces && HOST_KERNEL_INTERFACE_MAGICS.has(host.fstatfs(fd).type);
      return new HostInode(this.fs, fd, this, name, st, sealed);
    } catch (e) {
      host.close(fd);
      throw e;
    }
  }

  /** Give a just-created host file the creator's ownership (possible when running as host root). */
  private adopt(name: string, creds: Credentials): HostInode {
    const child = this.lookup(name) as HostInode;
    const st = child.stat();
    if (st.uid !== creds.uid || st.gid !== creds.gid) {
      try {
        host.chownFd(child.handle, creds.uid, creds.gid);
      } catch (e) {
        if (!(e instanceof SysError && e.errno === Errno.EPERM)) throw e;
      }
    }
    return child;
  }

  create(name: string, mode: number, creds: Credentials): Inode {
    this.fs.checkWritable();
    host.close(host.openBeneath(this.handle, name, O_CREAT | O_EXCL | O_WRONLY, mode & 0o7777));
    // Permissions were umasked by the VFS; the host umask must not apply again.
    const child = this.adopt(name, creds);
    host.chmodFd(child.handle, mode & 0o7777);
    return child;
  }

  tmpfile(mode: number, creds: Credentials): Inode {
    this.fs.checkWritable();
    // Always O_RDWR on the host: the VFS enforces the description's access mode.
    const fd = host.openBeneath(this.handle, '.', O_TMPFILE | O_RDWR, mode & 0o7777);
    let child: HostInode;
    try {
      child = new HostInode(this.fs, fd, this, '', host.fstatx(fd), false, true);
    } catch (e) {
      host.close(fd);
      throw e;
    }
    try {
      host.chownFd(fd, creds.uid, creds.gid);
    } catch (e) {
      if (!(e instanceof SysError && e.errno === Errno.EPERM)) throw e;
    }
    host.chmodFd(fd, mode & 0o7777);
    return child;
  }

  mkdir(name: string, mode: number, creds: Credentials): Inode {
    this.fs.checkWritable();
    host.mkdirat(this.handle, name, mode & 0o7777);
    const child = this.adopt(name, creds);
    host.chmodFd(child.handle, mode & 0o7777);
    return child;
  }

  mknod(name: string, mode: number, rdev: number, creds: Credentials): Inode {
    this.fs.checkWritable();
    host.mknodat(this.handle, name, mode, rdev);
    const child = this.adopt(name, creds);
    host.chmodFd(child.handle, mode & 0o7777);
    return child;
  }

  symlink(name: string, target: string, creds: Credentials): Inode {
    this.fs.checkWritable();
    host.symlinkat(target, this.handle, name);
    return this.adopt(name, creds);
  }

  link(name: string, target: Inode): void {
    this.fs.checkWritable();
    if (!(target instanceof HostInode)) throw new SysError(Errno.EXDEV);
    try {
      host.linkFd(target.handle, this.handle, name);
      if (target.unnamed) {
        target.parent = this;
        target.name = name;
        target.unnamed = false;
      }
    } catch (e) {
      // linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; fall back to the
      // target's own name under its parent handle (one component each).
      if (!(e instanceof SysError) || (e.errno !== Errno.ENOENT && e.errno !== Errno.EPERM) || !target.parent) throw e;
      const id = host.entryIdentity(target.parent.handle, target.name);
      if (!id || !host.sameFile(id, target.identity)) throw new SysError(Errno.ENOENT);
      host.linkNames(target.parent.handle, target.name, this.handle, name);
    }
  }

  unlink(name: string, _child: Inode): void {
    this.fs.checkWritable();
    host.unlinkat(this.handle, name, 0);
  }

  rmdir(name: string, _child: Inode): void {
    this.fs.checkWritable();
    host.unlinkat(this.handle, name, AT.REMOVEDIR);
  }

  rename(oldName: string, child: Inode, newDir: Inode, newName: string, replaced: Inode | null, flags: number): void {
    this.fs.checkWritable();
    if (!(newDir instanceof HostInode)) throw new SysError(Errno.EXDEV);
    host.renameat2(this.handle, oldName, newDir.handle, newName, flags);
    if (child instanceof HostInode) {
      child.parent = newDir;
      child.name = newName;
    }
    if (flags & RENAME.EXCHANGE && replaced instanceof HostInode) {
      replaced.parent = this;
      replaced.name = oldName;
    }
  }

  readlink(): string {
    if (this.fileType !== S.IFLNK) throw new SysError(Errno.EINVAL);
    return host.readlinkFd(this.handle);
  }

  open(flags: number, _creds: Credentials): FileDescriptionImpl {
    const acc = flags & O.ACCMODE;
    if (acc !== O.RDONLY) this.fs.checkWritable();
    if (this.fileType === S.IFDIR) return new HostDirectoryFile(this, this.reopen(O_RDONLY | O_DIRECTORY), this.sealed);
    if (this.fileType !== S.IFREG) throw new SysError(Errno.ENXIO);
    const hostFlags = acc | (flags & (O.SYNC | O.DSYNC | O.DIRECT));
    return new HostRegularFile(this, this.reopen(hostFlags));
  }

  /**
   * A real (non-O_PATH) host fd for this file: a directory reopens itself as
   * "."; anything else is reopened by name under the parent's handle and
   * checked to still be the same file.
   */
  reopen(hostFlags: number): number {
    if (this.unnamed) return host.dupCloexec(this.handle);
    if (this.fileType === S.IFDIR) return host.openBeneath(this.handle, '.', hostFlags);
    if (!this.parent) throw new SysError(Errno.ESTALE);
    const fd = host.openBeneath(this.parent.handle, this.name, hostFlags);
    if (!host.sameFile(host.identityOf(host.fstatx(fd)), this.identity)) {
      host.close(fd);
      throw new SysError(Errno.ESTALE);
    }
    return fd;
  }

  private withFd<T>(f: (fd: number) => T): T {
    if (this.fileType !== S.IFREG && this.fileType !== S.IFDIR) throw new SysError(Errno.EPERM);
    const fd = this.reopen(this.fileType === S.IFDIR ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    try {
      return f(fd);
    } finally {
      host.close(fd);
    }
  }

  getxattr(name: string): Uint8Array {
    if (this.fileType !== S.IFREG && this.fileType !== S.IFDIR) throw new SysError(Errno.ENODATA);
    return this.withFd((fd) => host.fgetxattr(fd, name));
  }
  setxattr(name: string, value: Uint8Array, flags: number): void {
    this.fs.checkWritable();
    this.withFd((fd) => host.fsetxattr(fd, name, value, flags));
  }
  listxattr(): string[] {
    if (this.fileType !== S.IFREG && this.fileType !== S.IFDIR) return [];
    return this.withFd((fd) => host.flistxattr(fd));
  }
  removexattr(name: string): void {
    this.fs.checkWritable();
    this.withFd((fd) => host.fremovexattr(fd, name));
  }
}
