import { Errno, FS_MAGIC, O, S, STATX, SysError } from '@tvisor/abi';
import {
  Dentry,
  FileDescription,
  InodeBase,
  Mount,
  makeDev,
  nowTimespec,
  type Credentials,
  type FileDescriptionImpl,
  type Filesystem,
  type Inode,
  type SetStatRequest,
  type StatfsInfo,
  type StatInfo,
  type Timespec,
} from '@tvisor/vfs';

/** SOCKFS_MAGIC, what statfs(2) reports for a socket. */
export const SOCKFS_MAGIC = FS_MAGIC.SOCKFS_MAGIC;

/**
 * The anonymous filesystem every socket's inode lives on (never mounted in
 * a namespace): fstat says S_IFSOCK, /proc/PID/fd says `socket:[ino]`.
 */
class SocketFilesystem implements Filesystem {
  readonly type = 'sockfs';
  readonly dev = makeDev(0, 8);
  private nextIno = 1;
  readonly mount: Mount;
  private readonly rootInode: SocketInode;

  constructor() {
    this.rootInode = new SocketInode(this, this.allocateIno(), { uid: 0, gid: 0, groups: [] });
    this.mount = new Mount(this, new Dentry('socket:', null, this.rootInode), {}, null, null);
  }

  allocateIno(): number {
    return this.nextIno++;
  }

  root(): Inode {
    return this.rootInode;
  }

  statfs(): StatfsInfo {
    return { type: SOCKFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
  }

  release(): void {}
}

/** The anonymous inode behind one socket. */
export class SocketInode extends InodeBase implements Inode {
  private mode = S.IFSOCK | 0o777;
  private uid: number;
  private gid: number;
  private atime: Timespec;
  private mtime: Timespec;
  private ctime: Timespec;

  constructor(
    readonly fs: SocketFilesystem,
    readonly ino: number,
    creds: Credentials,
  ) {
    super();
    this.uid = creds.uid;
    this.gid = creds.gid;
    this.atime = this.mtime = this.ctime = nowTimespec();
  }

  stat(): StatInfo {
    return {
      mask: STATX.BASIC_STATS,
      dev: this.fs.dev,
      ino: this.ino,
      mode: this.mode,
      nlink: 1,
      uid: this.uid,
      gid: this.gid,
      rdev: 0,
      size: 0,
      blksize: 4096,
      blocks: 0,
      atime: this.atime,
      mtime: this.mtime,
      ctime: this.ctime,
      btime: this.ctime,
    };
  }

  setStat(req: SetStatRequest): void {
    if (req.size !== undefined) throw new SysError(Errno.EINVAL);
    if (req.mode !== undefined) this.mode = S.IFSOCK | (req.mode & 0o7777);
    if (req.uid !== undefined) this.uid = req.uid;
    if (req.gid !== undefined) this.gid = req.gid;
    if (req.atime) this.atime = req.atime;
    if (req.mtime) this.mtime = req.mtime;
    this.ctime = nowTimespec();
  }

  open(): FileDescriptionImpl {
    throw new SysError(Errno.ENXIO);
  }
}

let sockfs: SocketFilesystem | undefined;

/** A new sockfs inode owned by `creds`. */
export function newSocketInode(creds: Credentials): SocketInode {
  sockfs ??= new SocketFilesystem();
  return new SocketInode(sockfs, sockfs.allocateIno(), creds);
}

/**
 * A new open file description for the socket `impl` on sockfs `inode`
 * (from newSocketInode). `nonblock` is SOCK_NONBLOCK.
 */
export function newSocketFile(inode: SocketInode, impl: FileDescriptionImpl, nonblock: boolean, creds: Credentials): FileDescription {
  sockfs ??= new SocketFilesystem();
  const dentry = new Dentry(`socket:[${inode.ino}]`, null, inode);
  return new FileDescription({ mount: sockfs.mount, dentry }, impl, O.RDWR | (nonblock ? O.NONBLOCK : 0), creds);
}
