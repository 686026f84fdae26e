import { Errno, FS_MAGIC, O, SysError } from '@tvisor/abi';
import {
  Dentry,
  FileDescription,
  FileImplBase,
  InodeBase,
  Mount,
  nowTimespec,
  type FileDescriptionImpl,
  type Filesystem,
  type Inode,
  type StatfsInfo,
  type StatInfo,
} from '@tvisor/vfs';

/** ANON_INODE_FS_MAGIC, what statfs(2) reports for these files on Linux. */
const ANON_INODE_FS_MAGIC = FS_MAGIC.ANON_INODE_FS_MAGIC;

/**
 * Linux's anon_inodefs: the filesystem of files that have no name anywhere
 * (epoll, eventfd, timerfd, signalfd, inotify). It has no directory tree;
 * every file shares the one inode, as on Linux, and is named
 * `anon_inode:[kind]` (what /proc/PID/fd shows).
 */
class AnonInodeFilesystem implements Filesystem {
  readonly type = 'anon_inodefs';
  readonly dev = 0x0d;
  readonly inode: AnonInode;
  constructor() {
    this.inode = new AnonInode(this);
  }
  root(): Inode {
    return this.inode;
  }
  statfs(): StatfsInfo {
    return { type: ANON_INODE_FS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
  }
  release(): void {}
}

/** The shared anonymous inode: mode 0600 with no file type bits, as Linux reports it. */
class AnonInode extends InodeBase implements Inode {
  private readonly created = nowTimespec();
  constructor(readonly fs: Filesystem) {
    super();
  }
  stat(): StatInfo {
    return {
      mask: 0x7ff,
      dev: this.fs.dev,
      ino: 1,
      mode: 0o600,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: 0,
      size: 0,
      blksize: 4096,
      blocks: 0,
      atime: this.created,
      mtime: this.created,
      ctime: this.created,
      btime: this.created,
    };
  }
  setStat(): void {
    throw new SysError(Errno.EPERM);
  }
  /** Anonymous files are only created by their syscalls, never reopened by path. */
  open(): FileDescriptionImpl {
    throw new SysError(Errno.ENXIO);
  }
}

let anonMount: Mount | undefined;

function mount(): Mount {
  if (!anonMount) {
    const fs = new AnonInodeFilesystem();
    anonMount = new Mount(fs, new Dentry('/', null, fs.root()), {}, null, null);
  }
  return anonMount;
}

/** The inode every anonymous file shares (implementations pass it to FileImplBase). */
export function anonInode(): Inode {
  return mount().fs.root();
}

/**
 * A new open file description named `anon_inode:${kind}` (kind is
 * `[eventfd]`, `[eventpoll]`, ... or `inotify`, as Linux spells them) with `impl` behind
 * it, opened read-write plus `statusFlags` (O_NONBLOCK); the caller owns the
 * one reference and installs it in an fd table.
 */
export function anonFile(kind: string, impl: FileDescriptionImpl, statusFlags: number): FileDescription {
  const m = mount();
  const dentry = new Dentry(`anon_inode:${kind}`, null, m.fs.root());
  return new FileDescription({ mount: m, dentry }, impl, O.RDWR | (statusFlags & O.NONBLOCK), { uid: 0, gid: 0, groups: [] });
}

/**
 * The shared shape of event files that are read-only streams of records
 * (inotify, signalfd, timerfd): writing is EINVAL, and there is no offset
 * to read at or seek to (ESPIPE).
 */
export abstract class RecordStreamImpl extends FileImplBase {
  readonly stream = true;
  override write(): number {
    throw new SysError(Errno.EINVAL);
  }
  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }
}
