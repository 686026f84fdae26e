import { Errno, SysError } from '../../abi.js';
import type { Filesystem, Inode } from '../../inode.js';
import { close, entryIdentity, fstatfs, fstatx, openRootDir, sameFile } from '../../native/host-syscalls.js';
import type { StatfsInfo } from '../../stat.js';
import { HostInode } from './host-inode.js';

/** Closes the host handles of inodes the VFS has let go of. */
const handleReaper = new FinalizationRegistry<{ fs: HostFilesystem; fd: number }>(({ fs, fd }) => fs.dropHandle(fd));
const pinnedReaper = new FinalizationRegistry<{ fs: HostFilesystem; fd: number }>(({ fs, fd }) => fs.dropPinned(fd));

/** Default bound on O_PATH handles held at once (beyond it, least recently used ones are closed and reopened on demand). */
export const DEFAULT_MAX_HANDLES = 4096;

/** Options for a host-backed filesystem. */
export interface HostFilesystemOptions {
  /** Host directory that becomes this filesystem's root. Nothing outside it is ever opened. */
  hostPath: string;
  /** Refuse every modification with EROFS (independent of mount flags). */
  readOnly?: boolean;
  /** Most O_PATH handles kept open at once (default DEFAULT_MAX_HANDLES). */
  maxHandles?: number;
  /**
   * Show host kernel interface mounts (procfs, sysfs, ...) found under
   * `hostPath` instead of presenting them as empty directories. Off by
   * default: host /proc would expose the sentry's own memory.
   */
  exposeKernelInterfaces?: boolean;
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
  readonly exposeKernelInterfaces: boolean;
  private readonly rootInode: HostInode;
  /** O_PATH handles owned by inodes (other than the root), least recently used first. */
  private readonly handles = new Map<number, WeakRef<HostInode>>();
  private readonly rootHandle: number;
  /** Handles of unnamed O_TMPFILE inodes, which cannot be reopened by name. */
  private readonly pinned = new Set<number>();
  private readonly maxHandles: number;
  private released = false;

  constructor(opts: HostFilesystemOptions) {
    this.readOnly = opts.readOnly === true;
    this.exposeKernelInterfaces = opts.exposeKernelInterfaces === true;
    this.maxHandles = Math.max(16, opts.maxHandles ?? DEFAULT_MAX_HANDLES);
    const fd = openRootDir(opts.hostPath);
    const st = fstatx(fd);
    this.dev = st.dev;
    this.rootHandle = fd;
    this.rootInode = new HostInode(this, fd, null, '', st);
  }

  /**
   * Take ownership of an O_PATH handle held by `inode`: closed when the inode
   * is collected, when it is the least recently used one beyond the bound
   * (the inode reopens it on demand), or when the fs is released.
   */
  adoptHandle(inode: HostInode, fd: number): void {
    if (this.released) {
      close(fd);
      throw new SysError(Errno.EBADF);
    }
    this.handles.set(fd, new WeakRef(inode));
    handleReaper.register(inode, { fs: this, fd }, inode);
    while (this.handles.size > this.maxHandles) {
      const [oldest, ref] = this.handles.entries().next().value as [number, WeakRef<HostInode>];
      this.handles.delete(oldest);
      const owner = ref.deref();
      if (owner) {
        handleReaper.unregister(owner);
        owner.forgetHandle();
      }
      close(oldest);
    }
  }

  /** Own the handle of an unnamed (O_TMPFILE) inode: never evicted, closed when the inode is collected. */
  pinHandle(inode: HostInode, fd: number): void {
    if (this.released) {
      close(fd);
      throw new SysError(Errno.EBADF);
    }
    this.pinned.add(fd);
    pinnedReaper.register(inode, { fs: this, fd });
  }

  /** Close a pinned handle whose inode was collected. */
  dropPinned(fd: number): void {
    if (this.pinned.delete(fd)) close(fd);
  }

  /** Mark `fd` (held by a live inode) as just used. */
  touchHandle(fd: number): void {
    const ref = this.handles.get(fd);
    if (ref) {
      this.handles.delete(fd);
      this.handles.set(fd, ref);
    }
  }

  /** Host fds currently held as inode handles, root included (for diagnostics and confinement checks). */
  openHandles(): number[] {
    return [this.rootHandle, ...this.handles.keys(), ...this.pinned];
  }

  /** Close the handle of an inode that was garbage-collected (no-op if already closed). */
  dropHandle(fd: number): void {
    if (this.handles.delete(fd)) close(fd);
  }

  root(): Inode {
    return this.rootInode;
  }

  statfs(): StatfsInfo {
    return fstatfs(this.rootInode.handle);
  }

  /** A cached child is still valid if the host name still refers to the same file (dev, ino, birth time). */
  revalidate(parent: Inode, name: string, child: Inode): boolean {
    if (!(parent instanceof HostInode) || !(child instanceof HostInode)) return false;
    const id = entryIdentity(parent.handle, name);
    return id !== null && sameFile(id, child.identity);
  }

  /** Close every host handle; inodes of this filesystem fail with EBADF afterwards. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const fd of this.handles.keys()) close(fd);
    this.handles.clear();
    for (const fd of this.pinned) close(fd);
    this.pinned.clear();
    close(this.rootHandle);
  }

  checkWritable(): void {
    if (this.readOnly) throw new SysError(Errno.EROFS);
  }
}
