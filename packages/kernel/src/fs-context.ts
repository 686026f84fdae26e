import { AT, Errno, O, S, SysError } from '@tvisor/abi';
import type { Credentials as VfsCredentials, FileDescription, PathContext, VirtualDentry, VirtualFilesystem } from '@tvisor/vfs';
import type { FdTable } from './fd-table.js';
import type { Credentials } from './task.js';

/** The sandbox's filesystem: the VFS and the dentry every process starts at as its root. */
export interface FsRoot {
  vfs: VirtualFilesystem;
  root: VirtualDentry;
}

/** Filesystem credentials of a process: its effective ids. */
export function vfsCredentials(c: Credentials): VfsCredentials {
  return { uid: c.euid, gid: c.egid, groups: c.groups };
}

/**
 * A process's place in the filesystem (Linux's fs_struct): root, cwd and
 * umask, and the translation of (dirfd, path) into a VFS path context.
 */
export class FsContext {
  constructor(
    readonly vfs: VirtualFilesystem,
    public root: VirtualDentry,
    public cwd: VirtualDentry,
    public creds: Credentials,
    public umask = 0o022,
  ) {}

  /** Where a path relative to `dirfd` starts: the cwd for AT_FDCWD, else the directory the fd names. */
  context(fds: FdTable, dirfd: number = AT.FDCWD, path = ''): PathContext {
    let start = this.cwd;
    if (dirfd !== AT.FDCWD && !path.startsWith('/')) start = fds.get(dirfd).vd;
    return { root: this.root, start, creds: vfsCredentials(this.creds), umask: this.umask };
  }

  /** Opens `path` for execve: a regular file the caller may execute (EACCES otherwise). */
  openExecutable(path: string, opts: { noFollow?: boolean } = {}): FileDescription {
    const ctx = { root: this.root, start: this.cwd, creds: vfsCredentials(this.creds), umask: this.umask };
    // execveat's AT_SYMLINK_NOFOLLOW: a symlink as the last component is ELOOP, as with O_NOFOLLOW.
    const file = this.vfs.openAt(ctx, path, { flags: O.RDONLY | (opts.noFollow ? O.NOFOLLOW : 0) });
    const st = file.stat();
    if ((st.mode & S.IFMT) !== S.IFREG) {
      file.decRef();
      throw new SysError(Errno.EACCES);
    }
    // Root may execute a file when any execute bit is set; others need theirs.
    if ((st.mode & 0o111) === 0 || file.mount.flags.noExec) {
      file.decRef();
      throw new SysError(Errno.EACCES);
    }
    return file;
  }

  fork(creds: Credentials): FsContext {
    return new FsContext(this.vfs, this.root, this.cwd, creds, this.umask);
  }
}
