import { ACCESS, AT, Errno, O, S, SysError } from '@tvisor/abi';
import {
  ROOT_CREDENTIALS,
  type Credentials as VfsCredentials,
  type FileDescription,
  type PathContext,
  type VirtualDentry,
  type VirtualFilesystem,
} from '@tvisor/vfs';
import type { FdTable } from './fd-table.js';
import type { Credentials } from './task.js';

/** The sandbox's filesystem: the VFS and the dentry every process starts at as its root. */
export interface FsRoot {
  vfs: VirtualFilesystem;
  root: VirtualDentry;
}

/** What the VFS checks permissions with: the filesystem ids and the effective capability set. */
export function vfsCredentials(c: Credentials): VfsCredentials {
  return { uid: c.fsuid, gid: c.fsgid, groups: c.groups, caps: c.effective };
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
  context(task: { group: { fds: FdTable }; creds: Credentials }, dirfd: number = AT.FDCWD, path = ''): PathContext {
    let start = this.cwd;
    if (dirfd !== AT.FDCWD && !path.startsWith('/')) start = task.group.fds.get(dirfd).vd;
    return { root: this.root, start, creds: vfsCredentials(task.creds), umask: this.umask };
  }

  /** Opens `path` for execve: a regular file the caller may execute (EACCES otherwise). */
  openExecutable(path: string, creds: Credentials, opts: { noFollow?: boolean } = {}): FileDescription {
    const ctx = { root: this.root, start: this.cwd, creds: vfsCredentials(creds), umask: this.umask };
    // Execute permission is the caller's; reading the image is the kernel's
    // (an execute-only binary runs), so the open itself is privileged.
    this.vfs.accessAt(ctx, path, ACCESS.X_OK);
    // execveat's AT_SYMLINK_NOFOLLOW: a symlink as the last component is ELOOP, as with O_NOFOLLOW.
    const file = this.vfs.openAt({ ...ctx, creds: ROOT_CREDENTIALS }, path, { flags: O.RDONLY | (opts.noFollow ? O.NOFOLLOW : 0) });
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
