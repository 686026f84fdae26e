import { Errno, SysError } from './abi.js';
import type { Credentials } from './credentials.js';
import type { FileDescriptionImpl } from './file-description.js';
import type { SetStatRequest, StatfsInfo, StatInfo } from './stat.js';
import type { VirtualDentry } from './mount.js';

/**
 * One mounted-able filesystem instance (a superblock). The VFS never walks a
 * filesystem by path: it asks inodes for one component at a time, so
 * symlinks, `..`, mount crossings and permission checks are decided in one
 * place for every filesystem.
 */
export interface Filesystem {
  /** Filesystem type name as /proc/mounts shows it ("tmpfs", "overlay"). */
  readonly type: string;
  /** st_dev of every inode in this filesystem. */
  readonly dev: number;
  /** The root directory inode. Always the same object. */
  root(): Inode;
  /** statfs(2) for any path in this filesystem. */
  statfs(): StatfsInfo;
  /**
   * Optional: is the cached `child` (found earlier as `name` in `parent`)
   * still what `name` refers to? Filesystems whose contents can change behind
   * the VFS's back (host directories) implement it; the VFS drops the cached
   * dentry when it returns false and looks the name up again.
   */
  revalidate?(parent: Inode, name: string, child: Inode): boolean;
  /** Called once when the last mount of this filesystem is unmounted. */
  release(): void;
}

/**
 * A file of any type. Directory-only methods are called by the VFS only on
 * directories, after it has checked search/write permission, read-only
 * mounts, and that `name` is a plain component (never "", "." or "..").
 * Every failure is a thrown SysError carrying the Linux errno.
 */
export interface Inode {
  readonly fs: Filesystem;

  /** Current attributes. The mode includes the S.IFMT file type. */
  stat(): StatInfo;

  /**
   * Apply an attribute change the VFS has already authorised. Implementations
   * update ctime, clear suid/sgid where Linux would (on chown), and throw
   * EISDIR/EINVAL for a size change on a non-regular file.
   */
  setStat(req: SetStatRequest, creds: Credentials): void;

  /**
   * Optional override of the generic mode-bit permission check (`want` is
   * ACCESS.R_OK|W_OK|X_OK). Throw EACCES to deny.
   */
  checkPermission?(creds: Credentials, want: number): void;

  /** The child named `name`. Throws ENOENT if there is none. */
  lookup(name: string): Inode;

  /** Create a regular file (`mode` carries S.IFREG and the umasked permissions). EEXIST if taken. */
  create(name: string, mode: number, creds: Credentials): Inode;

  /**
   * Optional (O_TMPFILE): create an unnamed regular file "in" this directory,
   * with a link count of 0, that link() may give a name later. Filesystems
   * without it make O_TMPFILE fail with EOPNOTSUPP.
   */
  tmpfile?(mode: number, creds: Credentials): Inode;

  /** Create a directory. EEXIST if taken. */
  mkdir(name: string, mode: number, creds: Credentials): Inode;

  /** Create a fifo, socket, character or block device node (`mode` has the type). EEXIST if taken. */
  mknod(name: string, mode: number, rdev: number, creds: Credentials): Inode;

  /** Create a symlink holding `target` verbatim. EEXIST if taken. */
  symlink(name: string, target: string, creds: Credentials): Inode;

  /** Add a hard link `name` to `target` (a non-directory of the same filesystem). EEXIST if taken, EMLINK when full. */
  link(name: string, target: Inode): void;

  /** Remove the non-directory entry `name`, which currently refers to `child`. */
  unlink(name: string, child: Inode): void;

  /** Remove the directory entry `name` (`child`). ENOTEMPTY if it has entries. */
  rmdir(name: string, child: Inode): void;

  /**
   * Move entry `oldName` (`child`) of this directory to `newName` in `newDir`
   * (same filesystem). `replaced` is what `newName` referred to, if anything;
   * the VFS has already checked type compatibility (EISDIR/ENOTDIR), loops
   * (EINVAL) and RENAME_NOREPLACE. The filesystem checks that a replaced
   * directory is empty (ENOTEMPTY). With RENAME.EXCHANGE both entries swap.
   */
  rename(oldName: string, child: Inode, newDir: Inode, newName: string, replaced: Inode | null, flags: number): void;

  /** A symlink's target. EINVAL for non-symlinks. */
  readlink(): string;

  /**
   * Optional, for "magic" links such as /proc/self/fd/N: the file the link
   * designates, bypassing the textual target.
   */
  resolveLink?(): VirtualDentry | null;

  /**
   * Open this regular file, directory or symlink (O_PATH). Fifos and device
   * nodes are opened by the VFS itself. `flags` are the open(2) flags after
   * the VFS has checked permissions and handled O_CREAT/O_TRUNC.
   */
  open(flags: number, creds: Credentials): FileDescriptionImpl;

  /** An extended attribute's value. ENODATA if absent. */
  getxattr(name: string): Uint8Array;
  /** Set an attribute; `flags` is XATTR.CREATE/REPLACE (EEXIST/ENODATA). */
  setxattr(name: string, value: Uint8Array, flags: number): void;
  /** Names of all extended attributes. */
  listxattr(): string[];
  /** Remove an attribute. ENODATA if absent. */
  removexattr(name: string): void;
}

/**
 * Defaults for inodes that support only part of the interface: directory
 * operations fail with ENOTDIR (the VFS never calls them on non-directories,
 * so reaching them means a filesystem does not support the operation: EPERM
 * for creation), readlink with EINVAL, xattrs with EOPNOTSUPP.
 */
export abstract class InodeBase implements Partial<Inode> {
  lookup(_name: string): Inode {
    throw new SysError(Errno.ENOTDIR);
  }
  create(_name: string, _mode: number, _creds: Credentials): Inode {
    throw new SysError(Errno.EPERM);
  }
  mkdir(_name: string, _mode: number, _creds: Credentials): Inode {
    throw new SysError(Errno.EPERM);
  }
  mknod(_name: string, _mode: number, _rdev: number, _creds: Credentials): Inode {
    throw new SysError(Errno.EPERM);
  }
  symlink(_name: string, _target: string, _creds: Credentials): Inode {
    throw new SysError(Errno.EPERM);
  }
  link(_name: string, _target: Inode): void {
    throw new SysError(Errno.EPERM);
  }
  unlink(_name: string, _child: Inode): void {
    throw new SysError(Errno.EPERM);
  }
  rmdir(_name: string, _child: Inode): void {
    throw new SysError(Errno.EPERM);
  }
  rename(_o: string, _c: Inode, _d: Inode, _n: string, _r: Inode | null, _f: number): void {
    throw new SysError(Errno.EPERM);
  }
  readlink(): string {
    throw new SysError(Errno.EINVAL);
  }
  getxattr(_name: string): Uint8Array {
    throw new SysError(Errno.EOPNOTSUPP);
  }
  setxattr(_name: string, _value: Uint8Array, _flags: number): void {
    throw new SysError(Errno.EOPNOTSUPP);
  }
  listxattr(): string[] {
    return [];
  }
  removexattr(_name: string): void {
    throw new SysError(Errno.EOPNOTSUPP);
  }
}
