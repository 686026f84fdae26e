import { Errno, SysError } from '../../abi.js';
import type { Filesystem, Inode } from '../../inode.js';
import { close, entryIdentity, fstatfs, fstatx, openRootDir } from '../../native/host-syscalls.js';
import type { StatfsInfo } from '../../stat.js';
import { HostInode } from './host-inode.js';

/** Closes the host handles of inodes the VFS has let go of. */
const handleReaper = new FinalizationRegistry<{ fs: HostFilesystem; fd: number }>(({ fs, fd }) => fs.dropHandle(fd));

/** Options for a host-backed filesystem. */
export interface HostFilesystemOptions {
  /** Host directory that becomes this filesystem's root. Nothing outside it is ever opened. */
  hostPath: string;
  /** Refuse every modification with EROFS (independent of mount flags). */
  readOnly?: boolean;
}

/**
 * A filesystem backed by a host directory (like gVisor's gofer/directfs).
 * Every host file is reached by one-component openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) calls from its parent's
 * handle, so symlinks and ".." are resolved by the VFS inside the sandbox
 * root and a host path outside `hostPath` can never be opened.
 */
export class HostFilesystem implements Filesystem {
  readonly type = 'hostfs';
  readonly dev: number;
  readonly readOnly: boolean;
  private readonly rootInode: HostInode;
  /** O_PATH handles currently owned by this filesystem's inodes. */
  private readonly handles = new Set<number>();
  private released = false;

  constructor(opts: HostFilesystemOptions) {
    this.readOnly = opts.readOnly === true;
    const fd = openRootDir(opts.hostPath);
    const st = fstatx(fd);
    this.dev = st.dev;
    this.handles.add(fd);
    this.rootInode = new HostInode(this, fd, null, '', st);
  }

  /** Take ownership of an O_PATH handle held by `inode`: closed when the inode is collected or the fs released. */
  adoptHandle(inode: HostInode, fd: number): void {
    if (this.released) {
      close(fd);
      throw new SysError(Errno.EBADF);
    }
    this.handles.add(fd);
    handleReaper.register(inode, { fs: this, fd });
  }

  /** Host fds currently held as inode handles (for diagnostics and confinement checks). */
  openHandles(): number[] {
    return [...this.handles];
  }

  /** Close a handle whose inode is gone (no-op if release() already closed it). */
  dropHandle(fd: number): void {
    if (this.handles.delete(fd)) close(fd);
  }

  root(): Inode {
    return this.rootInode;
  }

  statfs(): StatfsInfo {
    return fstatfs(this.rootInode.handle);
  }

  /** A cached child is still valid if the host name still refers to the same (dev, ino). */
  revalidate(parent: Inode, name: string, child: Inode): boolean {
    if (!(parent instanceof HostInode) || !(child instanceof HostInode)) return false;
    const id = entryIdentity(parent.handle, name);
    return id !== null && id.ino === child.ino && id.dev === child.hostDev;
  }

  /** Close every host handle; inodes of this filesystem fail with EBADF afterwards. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const fd of this.handles) close(fd);
    this.handles.clear();
  }

  checkWritable(): void {
    if (this.readOnly) throw new SysError(Errno.EROFS);
  }
}
