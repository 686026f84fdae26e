import { Errno, FS_MAGIC, O, S, SysError } from '../../abi.js';
import type { Credentials } from '../../credentials.js';
import { Dentry } from '../../dentry.js';
import { FileDescription, type FileDescriptionImpl } from '../../file-description.js';
import { InodeBase, type Filesystem, type Inode } from '../../inode.js';
import { Mount } from '../../mount.js';
import { makeDev, nowTimespec, type SetStatRequest, type StatfsInfo, type StatInfo, type Timespec } from '../../stat.js';
import { STATX } from '../../abi.js';
import type { VirtualFilesystem } from '../../vfs.js';
import { Pipe } from './pipe.js';
import { fifoEnds, PipeFile } from './pipe-file.js';

/** PIPEFS_MAGIC. */
export const PIPEFS_MAGIC = FS_MAGIC.PIPEFS_MAGIC;

/** The anonymous inode behind a pipe(2). */
class PipeInode extends InodeBase implements Inode {
  private mode = S.IFIFO | 0o600;
  private uid: number;
  private gid: number;
  private atime: Timespec;
  private mtime: Timespec;
  private ctime: Timespec;

  constructor(
    readonly fs: PipeFilesystem,
    readonly ino: number,
    creds: Credentials,
    readonly pipe: Pipe,
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
    if (req.mode !== undefined) this.mode = S.IFIFO | (req.mode & 0o7777);
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

/**
 * The internal filesystem of anonymous pipes (never mounted in a namespace)
 * and the FIFO support for named pipes on every other filesystem.
 */
export class PipeFilesystem implements Filesystem {
  readonly type = 'pipefs';
  readonly dev = makeDev(0, 12);
  private nextIno = 1;
  private readonly mount: Mount;
  private readonly rootInode: PipeInode;
  /**
   * The pipe behind each FIFO that is open, by the FIFO's (st_dev, st_ino):
   * hard links (and the separate inode objects a host filesystem makes per
   * name) reach the same pipe. Dropped when the last end closes, as Linux
   * discards a FIFO's buffer then.
   */
  private readonly fifos = new Map<string, Pipe>();

  constructor() {
    this.rootInode = new PipeInode(this, this.nextIno++, { uid: 0, gid: 0, groups: [] }, new Pipe());
    this.mount = new Mount(this, new Dentry('pipe:', null, this.rootInode), {}, null, null);
  }

  root(): Inode {
    return this.rootInode;
  }

  statfs(): StatfsInfo {
    return { type: PIPEFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
  }

  release(): void {}

  /**
   * pipe2(2): a new pipe's read and write descriptions. `flags` may hold
   * O_NONBLOCK and O_DIRECT (status flags of both ends); the caller handles O_CLOEXEC.
   */
  createPipe(creds: Credentials, flags = 0): [FileDescription, FileDescription] {
    const pipe = new Pipe();
    const inode = new PipeInode(this, this.nextIno++, creds, pipe);
    const dentry = new Dentry(`pipe:[${inode.ino}]`, null, inode);
    const vd = { mount: this.mount, dentry };
    const status = flags & (O.NONBLOCK | O.DIRECT);
    const r = new FileDescription(vd, new PipeFile(inode, pipe, true, false), O.RDONLY | status, creds);
    const w = new FileDescription(vd, new PipeFile(inode, pipe, false, true), O.WRONLY | status, creds);
    return [r, w];
  }

  /**
   * open(2) of a FIFO inode. O_WRONLY|O_NONBLOCK without a reader fails with
   * ENXIO; a blocking open without a peer returns a description whose
   * PipeFile.peerReady() is false, for the kernel to wait on.
   */
  openFifo(inode: Inode, flags: number): PipeFile {
    // Reopening an anonymous pipe (through /proc/self/fd/N) joins that pipe.
    let pipe: Pipe | undefined;
    if (inode instanceof PipeInode) pipe = inode.pipe;
    else {
      const st = inode.stat();
      const key = `${st.dev}:${st.ino}`;
      pipe = this.fifos.get(key);
      if (!pipe) {
        const created = new Pipe();
        created.onIdle = () => {
          if (this.fifos.get(key) === created) this.fifos.delete(key);
        };
        this.fifos.set(key, created);
        pipe = created;
      }
    }
    const { reading, writing } = fifoEnds(flags);
    // Only named FIFOs wait for (or, non-blocking, refuse without) a peer; an anonymous pipe opens at once.
    const anonymous = inode instanceof PipeInode;
    if (!anonymous && writing && !reading && flags & O.NONBLOCK && pipe.readers === 0) throw new SysError(Errno.ENXIO);
    return new PipeFile(inode, pipe, reading, writing, anonymous);
  }

  /** Make `vfs` open FIFOs through this pipefs. */
  installFifoSupport(vfs: VirtualFilesystem): void {
    vfs.fifoOpener = (inode, flags) => this.openFifo(inode, flags);
  }
}
