import { CAP, Errno, S, SysError, XATTR } from '../../abi.js';
import type { Credentials } from '../../credentials.js';
import { hasCapability } from '../../credentials.js';
import type { FileDescriptionImpl } from '../../file-description.js';
import { InodeBase, type Inode } from '../../inode.js';
import { nowTimespec, type SetStatRequest, type StatInfo, type Timespec } from '../../stat.js';
import { STATX } from '../../abi.js';
import type { TmpfsFilesystem } from './filesystem.js';

const DAY_SEC = 24 * 3600;
const before = (a: Timespec, b: Timespec) => a.sec < b.sec || (a.sec === b.sec && a.nsec <= b.nsec);

/** Attributes and extended attributes every tmpfs inode has. */
export abstract class TmpfsInode extends InodeBase implements Inode {
  readonly ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  /** An O_TMPFILE file that has never had a name (link() may give it one). */
  unnamed = false;
  private xattrs: Map<string, Uint8Array> | null = null;

  /** A name of this inode went away (unlink, rename over it): a file with no names left and nothing open frees its data. */
  linkRemoved(): void {}

  constructor(
    readonly fs: TmpfsFilesystem,
    mode: number,
    uid: number,
    gid: number,
  ) {
    super();
    this.ino = fs.allocIno();
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.nlink = 1;
    const now = nowTimespec();
    this.atime = now;
    this.mtime = now;
    this.ctime = now;
    this.btime = now;
  }

  /** Size for stat. */
  abstract get size(): number;
  /** 512-byte blocks allocated. */
  get blocks(): number {
    return 0;
  }
  /** Device number for device nodes. */
  get rdev(): number {
    return 0;
  }

  stat(): StatInfo {
    return {
      mask: STATX.BASIC_STATS | STATX.BTIME,
      dev: this.fs.dev,
      ino: this.ino,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      size: this.size,
      blksize: this.fs.pageSize,
      blocks: this.blocks,
      atime: { ...this.atime },
      mtime: { ...this.mtime },
      ctime: { ...this.ctime },
      btime: { ...this.btime },
    };
  }

  setStat(req: SetStatRequest, _creds: Credentials): void {
    if (req.size !== undefined) this.setSize(req.size);
    if (req.mode !== undefined) this.mode = (this.mode & S.IFMT) | (req.mode & 0o7777);
    if (req.uid !== undefined) this.uid = req.uid;
    if (req.gid !== undefined) this.gid = req.gid;
    if (req.atime) this.atime = { ...req.atime };
    if (req.mtime) this.mtime = { ...req.mtime };
    this.ctime = nowTimespec();
  }

  /** Truncate/extend; only regular files support it. */
  protected setSize(_size: number): void {
    throw new SysError((this.mode & S.IFMT) === S.IFDIR ? Errno.EISDIR : Errno.EINVAL);
  }

  /** Record a data change (mtime and ctime). */
  touchModified(): void {
    const now = nowTimespec();
    this.mtime = now;
    this.ctime = now;
  }

  touchChanged(): void {
    this.ctime = nowTimespec();
  }

  /** relatime: update atime only when it is older than mtime/ctime or a day old. */
  touchAccessed(): void {
    const now = nowTimespec();
    if (before(this.atime, this.mtime) || before(this.atime, this.ctime) || now.sec - this.atime.sec >= DAY_SEC) {
      this.atime = now;
    }
  }

  /**
   * A write drops the file capabilities (security.capability) whoever writes, and set-user-ID
   * (and group-executable set-group-ID) when the writer lacks CAP_FSETID.
   */
  killPrivsOnWrite(creds: Credentials): void {
    if (this.xattrs?.delete('security.capability')) this.touchChanged();
    if (hasCapability(creds, CAP.FSETID)) return;
    let m = this.mode & ~S.ISUID;
    if (m & 0o010) m &= ~S.ISGID;
    if (m !== this.mode) {
      this.mode = m;
      this.touchChanged();
    }
  }

  open(_flags: number, _creds: Credentials): FileDescriptionImpl {
    throw new SysError(Errno.ENXIO);
  }

  override getxattr(name: string): Uint8Array {
    const v = this.xattrs?.get(name);
    if (!v) throw new SysError(Errno.ENODATA);
    return v.slice();
  }

  override setxattr(name: string, value: Uint8Array, flags: number): void {
    const exists = this.xattrs?.has(name) ?? false;
    if (flags & XATTR.CREATE && exists) throw new SysError(Errno.EEXIST);
    if (flags & XATTR.REPLACE && !exists) throw new SysError(Errno.ENODATA);
    (this.xattrs ??= new Map()).set(name, value.slice());
    this.touchChanged();
  }

  override listxattr(): string[] {
    return this.xattrs ? [...this.xattrs.keys()] : [];
  }

  override removexattr(name: string): void {
    if (!this.xattrs?.delete(name)) throw new SysError(Errno.ENODATA);
    this.touchChanged();
  }
}
