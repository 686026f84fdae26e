import { Errno, O, RENAME, S, SysError } from '../../abi.js';
import { ROOT_CREDENTIALS, type Credentials } from '../../credentials.js';
import type { DirEntryInfo } from '../../dirents.js';
import type { FileDescriptionImpl } from '../../file-description.js';
import type { Inode } from '../../inode.js';
import type { SetStatRequest, StatInfo } from '../../stat.js';
import { isOpaque, isWhiteout, OPAQUE_XATTR, OVERLAY_XATTR_PREFIX } from './layers.js';
import { OverlayDirectoryFile, OverlayFile } from './file.js';
import type { OverlayFilesystem } from './filesystem.js';

/** Inode numbers of upper-only files are tagged so they never collide with lower ones (like overlayfs xino). */
const UPPER_INO_TAG = 2 ** 48;
const COPY_CHUNK = 1 << 20;
const WHITEOUT_MODE = S.IFCHR;

function isDirMode(mode: number): boolean {
  return (mode & S.IFMT) === S.IFDIR;
}

function lookupOrNull(dir: Inode, name: string): Inode | null {
  try {
    return dir.lookup(name);
  } catch (e) {
    if (e instanceof SysError && (e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR)) return null;
    throw e;
  }
}

/**
 * A file in the overlay: its upper inode (once created or copied up) and the
 * lower inodes it shadows (a stack of directories to merge, or the one
 * lower file). Modifying a lower-only file copies it up first; removing a
 * name that exists below leaves a whiteout in the upper directory.
 */
export class OverlayInode implements Inode {
  private readonly children = new Map<string, OverlayInode>();
  /** Inode number, fixed at creation: the lower file's, or the tagged upper one's. */
  readonly ino: number;
  private readonly type: number;

  constructor(
    readonly fs: OverlayFilesystem,
    public parent: OverlayInode | null,
    public name: string,
    public upper: Inode | null,
    public lowers: Inode[],
  ) {
    const top = (lowers[0] ?? upper)!.stat();
    this.ino = lowers[0] ? top.ino : top.ino + UPPER_INO_TAG;
    this.type = (upper ?? lowers[0])!.stat().mode & S.IFMT;
  }

  get isDir(): boolean {
    return this.type === S.IFDIR;
  }

  /** The layer inode that currently defines this file's contents and attributes. */
  get real(): Inode {
    return (this.upper ?? this.lowers[0])!;
  }

  stat(): StatInfo {
    const st = { ...this.real.stat(), dev: this.fs.dev, ino: this.ino };
    // Like overlayfs, merged directories report one link rather than
    // counting subdirectories across layers.
    if (this.isDir && ((this.upper && this.lowers.length > 0) || this.lowers.length > 1)) st.nlink = 1;
    return st;
  }

  setStat(req: SetStatRequest, creds: Credentials): void {
    this.copyUp().setStat(req, creds);
  }

  lookup(name: string): Inode {
    const cached = this.children.get(name);
    if (cached) return cached;
    let upper: Inode | null = null;
    let opaque = false;
    if (this.upper) {
      upper = lookupOrNull(this.upper, name);
      if (upper && isWhiteout(upper)) throw new SysError(Errno.ENOENT);
      if (upper && isDirMode(upper.stat().mode)) opaque = isOpaque(upper);
    }
    const lowers: Inode[] = [];
    if (!opaque && (!upper || isDirMode(upper.stat().mode)) && !(this.upper && isOpaque(this.upper))) {
      for (const l of this.lowers) {
        const c = lookupOrNull(l, name);
        if (!c) continue;
        const dir = isDirMode(c.stat().mode);
        // An upper directory merges only with lower directories; a lower
        // non-directory ends the stack.
        if (!dir && (upper || lowers.length > 0)) break;
        lowers.push(c);
        if (!dir) break;
      }
    }
    if (!upper && lowers.length === 0) throw new SysError(Errno.ENOENT);
    const child = new OverlayInode(this.fs, this, name, upper, lowers);
    this.children.set(name, child);
    return child;
  }

  /** Does any lower directory of this one have an entry `name`? (Then removing it needs a whiteout.) */
  private lowerHas(name: string): boolean {
    if (this.upper && isOpaque(this.upper)) return false;
    return this.lowers.some((l) => lookupOrNull(l, name) !== null);
  }

  /** Make sure this file exists in the upper layer, copying it (and its parents) up. */
  copyUp(): Inode {
    if (this.upper) return this.upper;
    if (!this.parent) throw new SysError(Errno.EROFS);
    const pu = this.parent.copyUp();
    const src = this.lowers[0];
    const st = src.stat();
    const owner: Credentials = { uid: st.uid, gid: st.gid, groups: [] };
    const perm = st.mode & 0o7777;
    let u: Inode;
    switch (st.mode & S.IFMT) {
      case S.IFDIR:
        u = pu.mkdir(this.name, S.IFDIR | perm, owner);
        break;
      case S.IFREG:
        u = pu.create(this.name, S.IFREG | perm, owner);
        this.copyData(src, u, st.size);
        break;
      case S.IFLNK:
        u = pu.symlink(this.name, src.readlink(), owner);
        break;
      default:
        u = pu.mknod(this.name, st.mode, st.rdev, owner);
    }
    for (const x of src.listxattr()) {
      if (!x.startsWith(OVERLAY_XATTR_PREFIX)) u.setxattr(x, src.getxattr(x), 0);
    }
    const keep: SetStatRequest = { uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime };
    if ((st.mode & S.IFMT) !== S.IFLNK) keep.mode = st.mode;
    u.setStat(keep, ROOT_CREDENTIALS);
    this.upper = u;
    return u;
  }

  private copyData(src: Inode, dst: Inode, size: number): void {
    const from = this.fs.layerOf(src).open(src, O.RDONLY);
    const to = this.fs.upperLayer.open(dst, O.WRONLY);
    try {
      const buf = new Uint8Array(Math.min(COPY_CHUNK, Math.max(size, 1)));
      for (let off = 0; off < size;) {
        const n = from.read(buf, off);
        if (n === 0) break;
        for (let w = 0; w < n;) w += to.write(buf.subarray(w, n), off + w);
        off += n;
      }
    } finally {
      from.decRef();
      to.decRef();
    }
  }

  /** Copy up this directory and clear a whiteout at `name`; reports whether one was there. */
  private prepareEntry(name: string): { dir: Inode; hadWhiteout: boolean } {
    const dir = this.copyUp();
    const existing = lookupOrNull(dir, name);
    if (existing && isWhiteout(existing)) {
      dir.unlink(name, existing);
      return { dir, hadWhiteout: true };
    }
    return { dir, hadWhiteout: false };
  }

  private adopt(name: string, upper: Inode): OverlayInode {
    const child = new OverlayInode(this.fs, this, name, upper, []);
    this.children.set(name, child);
    return child;
  }

  create(name: string, mode: number, creds: Credentials): Inode {
    const { dir } = this.prepareEntry(name);
    return this.adopt(name, dir.create(name, mode, creds));
  }

  tmpfile(mode: number, creds: Credentials): Inode {
    const dir = this.copyUp();
    if (!dir.tmpfile) throw new SysError(Errno.EOPNOTSUPP);
    const u = dir.tmpfile(mode, creds);
    return new OverlayInode(this.fs, this, `#${u.stat().ino}`, u, []);
  }

  mkdir(name: string, mode: number, creds: Credentials): Inode {
    const { dir, hadWhiteout } = this.prepareEntry(name);
    const u = dir.mkdir(name, mode, creds);
    // A directory made where a lower entry was deleted must not show the lower contents.
    if (hadWhiteout) u.setxattr(OPAQUE_XATTR, new Uint8Array([0x79]), 0);
    return this.adopt(name, u);
  }

  mknod(name: string, mode: number, rdev: number, creds: Credentials): Inode {
    const { dir } = this.prepareEntry(name);
    return this.adopt(name, dir.mknod(name, mode, rdev, creds));
  }

  symlink(name: string, target: string, creds: Credentials): Inode {
    const { dir } = this.prepareEntry(name);
    return this.adopt(name, dir.symlink(name, target, creds));
  }

  link(name: string, target: Inode): void {
    if (!(target instanceof OverlayInode) || target.fs !== this.fs) throw new SysError(Errno.EXDEV);
    const tu = target.copyUp();
    const { dir } = this.prepareEntry(name);
    dir.link(name, tu);
    this.children.set(name, target);
  }

  private whiteout(name: string): void {
    this.upper!.mknod(name, WHITEOUT_MODE, 0, ROOT_CREDENTIALS);
  }

  unlink(name: string, child: Inode): void {
    const c = child as OverlayInode;
    const dir = this.copyUp();
    const needWhiteout = this.lowerHas(name);
    if (c.upper) dir.unlink(name, c.upper);
    if (needWhiteout) this.whiteout(name);
    this.children.delete(name);
  }

  rmdir(name: string, child: Inode): void {
    const c = child as OverlayInode;
    if (c.mergedEntries().length > 0) throw new SysError(Errno.ENOTEMPTY);
    const dir = this.copyUp();
    const needWhiteout = this.lowerHas(name);
    if (c.upper) {
      c.purgeWhiteouts();
      dir.rmdir(name, c.upper);
    }
    if (needWhiteout) this.whiteout(name);
    this.children.delete(name);
  }

  /** Remove the whiteouts left in this (now logically empty) upper directory. */
  private purgeWhiteouts(): void {
    if (!this.upper) return;
    for (const e of this.fs.upperLayer.list(this.upper)) {
      const i = this.upper.lookup(e.name);
      if (isWhiteout(i)) this.upper.unlink(e.name, i);
    }
  }

  rename(oldName: string, child: Inode, newDir: Inode, newName: string, replaced: Inode | null, flags: number): void {
    const c = child as OverlayInode;
    const nd = newDir as OverlayInode;
    const r = replaced as OverlayInode | null;
    const exchange = (flags & RENAME.EXCHANGE) !== 0;
    // Without redirect_dir, overlayfs cannot rename directories that have
    // lower layers: EXDEV tells mv(1) to copy instead.
    if (c.isDir && c.lowers.length > 0) throw new SysError(Errno.EXDEV);
    if (exchange && r && r.isDir && r.lowers.length > 0) throw new SysError(Errno.EXDEV);
    if (r && !exchange && r.isDir && r.mergedEntries().length > 0) throw new SysError(Errno.ENOTEMPTY);
    const oldDir = this.copyUp();
    const cu = c.copyUp();
    const newUpperDir = nd.copyUp();
    if (exchange && r) r.copyUp();
    const oldNeedsWhiteout = !exchange && this.lowerHas(oldName);
    const newHadLower = nd.lowerHas(newName);
    let target: Inode | null = r?.upper ?? null;
    if (r && !exchange && r.isDir) r.purgeWhiteouts();
    if (!target) {
      const t = lookupOrNull(newUpperDir, newName);
      if (t && isWhiteout(t)) target = t;
    }
    oldDir.rename(oldName, cu, newUpperDir, newName, target, exchange ? RENAME.EXCHANGE : 0);
    if (oldNeedsWhiteout) this.whiteout(oldName);
    if (!exchange && c.isDir && newHadLower) cu.setxattr(OPAQUE_XATTR, new Uint8Array([0x79]), 0);
    this.children.delete(oldName);
    nd.children.delete(newName);
    if (exchange && r) {
      r.parent = this;
      r.name = oldName;
      this.children.set(oldName, r);
    }
    c.parent = nd;
    c.name = newName;
    nd.children.set(newName, c);
  }

  readlink(): string {
    return this.real.readlink();
  }

  open(flags: number, creds: Credentials): FileDescriptionImpl {
    if (this.isDir) return new OverlayDirectoryFile(this);
    const acc = flags & O.ACCMODE;
    const writing = acc !== O.RDONLY || (flags & O.TRUNC) !== 0;
    const real = writing ? this.copyUp() : this.real;
    return new OverlayFile(this, real.open(flags, creds), real, flags, creds);
  }

  /** The merged directory listing: upper entries over lower ones, minus whiteouts (and lower ones if opaque). */
  mergedEntries(): DirEntryInfo[] {
    const out = new Map<string, DirEntryInfo>();
    const hidden = new Set<string>();
    let opaque = false;
    if (this.upper) {
      opaque = isOpaque(this.upper);
      for (const e of this.fs.upperLayer.list(this.upper)) {
        if (e.type === 2 /* DT_CHR */ && isWhiteout(this.upper.lookup(e.name))) hidden.add(e.name);
        else out.set(e.name, e);
      }
    }
    if (!opaque) {
      for (const l of this.lowers) {
        for (const e of this.fs.layerOf(l).list(l)) {
          if (!out.has(e.name) && !hidden.has(e.name)) out.set(e.name, e);
        }
        if (!isDirMode(l.stat().mode)) break;
      }
    }
    // Report the overlay's inode numbers, consistent with stat.
    return [...out.values()].map((e) => ({ ...e, ino: (this.lookup(e.name) as OverlayInode).ino }));
  }

  getxattr(name: string): Uint8Array {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) throw new SysError(Errno.ENODATA);
    return this.real.getxattr(name);
  }
  setxattr(name: string, value: Uint8Array, flags: number): void {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) throw new SysError(Errno.EPERM);
    this.copyUp().setxattr(name, value, flags);
  }
  listxattr(): string[] {
    return this.real.listxattr().filter((n) => !n.startsWith(OVERLAY_XATTR_PREFIX));
  }
  removexattr(name: string): void {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) throw new SysError(Errno.ENODATA);
    this.copyUp().removexattr(name);
  }
}
