import { Errno, SysError } from '../../abi.js';
import type { Filesystem, Inode } from '../../inode.js';
import { close, entryIdentity, fstatfs, fstatx, openRootDir } from '../../native/host-syscalls.js';
import type { StatfsInfo } from '../../stat.js';
import { HostInode } from './host-inode.js';

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
  /** Closes host handles of inodes the VFS has let go of. */
  readonly handleReaper = new FinalizationRegistry<number>((fd) => close(fd));
  private released = false;

  constructor(opts: HostFilesystemOptions) {
    this.readOnly = opts.readOnly === true;
    const fd = openRootDir(opts.hostPath);
    const st = fstatx(fd);
    this.dev = st.dev;
    this.rootInode = new HostInode(this, fd, null, '', st);
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

  release(): void {
    if (this.released) return;
    this.released = true;
  }

  checkWritable(): void {
    if (this.readOnly) throw new SysError(Errno.EROFS);
  }
}
