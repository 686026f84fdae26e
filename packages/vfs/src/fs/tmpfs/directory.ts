import { Errno, RENAME, S, SysError } from '../../abi.js';
import type { Credentials } from '../../credentials.js';
import { dotEntries, seekDirectory } from '../../dirents.js';
import { FileImplBase, type DirentCallback, type FileDescription, type FileDescriptionImpl } from '../../file-description.js';
import type { Inode } from '../../inode.js';
import { direntType } from '../../stat.js';
import type { TmpfsFilesystem } from './filesystem.js';
import { TmpfsInode } from './inode.js';
import { TmpfsRegular } from './regular.js';
import { TmpfsSpecial } from './special.js';
import { TmpfsSymlink } from './symlink.js';

/** Linux tmpfs reports this many bytes per entry as a directory's size. */
const BOGO_DIRENT_SIZE = 20;

/** One name in a directory; `serial` orders entries and is the readdir cookie. */
interface Entry {
  name: string;
  inode: TmpfsInode;
  serial: number;
  removed: boolean;
}

/**
 * A tmpfs directory. Entries keep the serial number they were inserted
 * with; getdents cookies are serials, so an open directory stream keeps its
 * place however entries are added or removed around it (entries added after
 * the current position are seen, removed ones are not, none repeats).
 */
export class TmpfsDirectory extends TmpfsInode {
  private readonly entries = new Map<string, Entry>();
  /** Entries in serial order, with removed ones compacted away lazily. */
  private order: Entry[] = [];
  private removedCount = 0;
  /** Cookies 0 and 1 are "." and ".."; entries start at 2. */
  private nextSerial = 2;
  /** Set once rmdir'ed: no new entries may appear. */
  private dead = false;

  constructor(fs: TmpfsFilesystem, perm: number, uid: number, gid: number) {
    super(fs, S.IFDIR | (perm & 0o7777), uid, gid);
    this.nlink = 2;
  }

  get size(): number {
    return (this.entries.size + 2) * BOGO_DIRENT_SIZE;
  }

  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  override lookup(name: string): Inode {
    const e = this.entries.get(name);
    if (!e) throw new SysError(Errno.ENOENT);
    return e.inode;
  }

  private insert(name: string, inode: TmpfsInode): void {
    if (this.dead) throw new SysError(Errno.ENOENT);
    if (this.entries.has(name)) throw new SysError(Errno.EEXIST);
    const e: Entry = { name, inode, serial: this.nextSerial++, removed: false };
    this.entries.set(name, e);
    this.order.push(e);
    if ((inode.mode & S.IFMT) === S.IFDIR) this.nlink++;
    this.touchModified();
  }

  private remove(name: string): TmpfsInode {
    const e = this.entries.get(name);
    if (!e) throw new SysError(Errno.ENOENT);
    this.entries.delete(name);
    e.removed = true;
    if (++this.removedCount > 32 && this.removedCount * 2 > this.order.length) {
      this.order = this.order.filter((x) => !x.removed);
      this.removedCount = 0;
    }
    if ((e.inode.mode & S.IFMT) === S.IFDIR) this.nlink--;
    this.touchModified();
    return e.inode;
  }

  override create(name: string, mode: number, creds: Credentials): Inode {
    const f = new TmpfsRegular(this.fs, S.IFREG | (mode & 0o7777), creds.uid, creds.gid);
    this.insert(name, f);
    return f;
  }

  tmpfile(mode: number, creds: Credentials): Inode {
    if (this.dead) throw new SysError(Errno.ENOENT);
    const f = new TmpfsRegular(this.fs, S.IFREG | (mode & 0o7777), creds.uid, creds.gid);
    f.nlink = 0;
    f.unnamed = true;
    return f;
  }

  override mkdir(name: string, mode: number, creds: Credentials): Inode {
    const d = new TmpfsDirectory(this.fs, mode, creds.uid, creds.gid);
    this.insert(name, d);
    return d;
  }

  override mknod(name: string, mode: number, rdev: number, creds: Credentials): Inode {
    const n = new TmpfsSpecial(this.fs, mode, creds.uid, creds.gid, rdev);
    this.insert(name, n);
    return n;
  }

  override symlink(name: string, target: string, creds: Credentials): Inode {
    const l = new TmpfsSymlink(this.fs, target, creds.uid, creds.gid);
    this.insert(name, l);
    return l;
  }

  override link(name: string, target: Inode): void {
    if (!(target instanceof TmpfsInode) || target.fs !== this.fs) throw new SysError(Errno.EXDEV);
    // Only an O_TMPFILE file may gain a name once it has none.
    if (target.nlink === 0 && !target.unnamed) throw new SysError(Errno.ENOENT);
    this.insert(name, target);
    target.unnamed = false;
    target.nlink++;
    target.touchChanged();
  }

  override unlink(name: string, _child: Inode): void {
    const child = this.remove(name);
    child.nlink--;
    child.touchChanged();
    child.linkRemoved();
  }

  override rmdir(name: string, child: Inode): void {
    if (!(child instanceof TmpfsDirectory)) throw new SysError(Errno.ENOTDIR);
    if (!child.isEmpty) throw new SysError(Errno.ENOTEMPTY);
    this.remove(name);
    child.dead = true;
    child.nlink = 0;
    child.touchChanged();
  }

  override rename(oldName: string, child: Inode, newDir: Inode, newName: string, replaced: Inode | null, flags: number): void {
    if (!(newDir instanceof TmpfsDirectory) || newDir.fs !== this.fs) throw new SysError(Errno.EXDEV);
    if (newDir.dead) throw new SysError(Errno.ENOENT);
    const moved = this.entries.get(oldName)?.inode;
    if (!moved || moved !== child) throw new SysError(Errno.ENOENT);
    if (flags & RENAME.EXCHANGE) {
      const other = newDir.entries.get(newName)?.inode;
      if (!other) throw new SysError(Errno.ENOENT);
      this.remove(oldName);
      newDir.remove(newName);
      this.insert(oldName, other);
      newDir.insert(newName, moved);
      moved.touchChanged();
      other.touchChanged();
      return;
    }
    if (replaced) {
      if (replaced instanceof TmpfsDirectory) {
        if (!replaced.isEmpty) throw new SysError(Errno.ENOTEMPTY);
        newDir.remove(newName);
        replaced.dead = true;
        replaced.nlink = 0;
      } else {
        newDir.remove(newName);
        (replaced as TmpfsInode).nlink--;
      }
      (replaced as TmpfsInode).touchChanged();
      (replaced as TmpfsInode).linkRemoved();
    }
    this.remove(oldName);
    newDir.insert(newName, moved);
    moved.touchChanged();
  }

  override open(_flags: number, _creds: Credentials): FileDescriptionImpl {
    return new TmpfsDirectoryFile(this);
  }

  /** Feed entries with serial >= `cookie` to `cb`; returns the cookie after the last accepted one. */
  iterate(cookie: number, cb: (name: string, inode: TmpfsInode, nextCookie: number) => boolean): number {
    // Binary search for the first entry at or after the cookie.
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid].serial < cookie) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.order.length; i++) {
      const e = this.order[i];
      if (e.removed) continue;
      if (!cb(e.name, e.inode, e.serial + 1)) return cookie;
      cookie = e.serial + 1;
    }
    // Past the end: stay at the next serial so later additions are seen.
    return Math.max(cookie, this.nextSerial);
  }
}

/** An open tmpfs directory. */
export class TmpfsDirectoryFile extends FileImplBase {
  constructor(private readonly dir: TmpfsDirectory) {
    super(dir);
  }

  override read(): number {
    throw new SysError(Errno.EISDIR);
  }
  override pread(): number {
    throw new SysError(Errno.EISDIR);
  }

  override iterDirents(fd: FileDescription, cb: DirentCallback): void {
    if (fd.offset < 2) {
      const dots = dotEntries(fd);
      while (fd.offset < 2) {
        const e = dots[fd.offset];
        if (!cb({ name: e.name, ino: e.ino, type: e.type, nextOff: fd.offset + 1 })) return;
        fd.offset++;
      }
    }
    let stopped = false;
    const next = this.dir.iterate(fd.offset, (name, inode, nextCookie) => {
      if (!cb({ name, ino: inode.ino, type: direntType(inode.mode), nextOff: nextCookie })) {
        stopped = true;
        return false;
      }
      fd.offset = nextCookie;
      return true;
    });
    if (!stopped) fd.offset = next;
    this.dir.touchAccessed();
  }

  override seek(fd: FileDescription, offset: number, whence: number): number {
    return seekDirectory(fd, offset, whence);
  }
}
