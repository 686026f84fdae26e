import { ACCESS, AT, CAP, Errno, IN, MNT, O, RENAME, RESOLVE, S, SysError, UTIME, XATTR } from './abi.js';
import { checkSticky, hasCapability, inGroup, isOwnerOrPrivileged, isPrivileged, mayAccess, modeAfterKillPrivs, type Credentials } from './credentials.js';
import type { Dentry } from './dentry.js';
import { DeviceRegistry } from './devices.js';
import { FileDescription, PathFileImpl, type FileDescriptionImpl } from './file-description.js';
import type { Filesystem, Inode } from './inode.js';
import { type Mount, sameVd, type MountFlags, type VirtualDentry } from './mount.js';
import { MountTree } from './mount-tree.js';
import { checkAccess, lookupChild, PathResolver, tryLookupChild, type PathContext, type ParentAndName } from './resolve.js';
import { isDir, isSymlink, nowTimespec, type SetStatRequest, type StatfsInfo, type StatInfo, type Timespec } from './stat.js';
import { Dentry as DentryClass } from './dentry.js';
import { PipeFilesystem } from './fs/pipefs/filesystem.js';
import { FileLocks } from './locks.js';
import { dentryRemoved, inodeRelinked, newCookie, notifyDentry, notifyInode, notifyName } from './fsnotify.js';

/** openat/openat2 arguments. */
export interface OpenOptions {
  /** open(2) flags (O.*). */
  flags: number;
  /** Permission bits for O_CREAT/O_TMPFILE (umask applied by the VFS). */
  mode?: number;
  /** openat2 RESOLVE_* flags. */
  resolve?: number;
}

/** A FIFO's open hook: the pipefs module registers it (see fs/pipefs). */
export type FifoOpener = (inode: Inode, flags: number) => FileDescriptionImpl;

/** umount2 flag: detach lazily even if busy. */
export const MNT_DETACH = MNT.DETACH;

const DEFAULT_UMASK = 0o022;
/** File types mknod(2) creates. */
const MKNOD_TYPES: ReadonlySet<number> = new Set([S.IFREG, S.IFIFO, S.IFSOCK, S.IFCHR, S.IFBLK]);
const PERM_BITS = 0o7777;

/**
 * The virtual filesystem: a mount tree plus every path-based operation, with
 * Linux's resolution rules (symlinks, `..`, mounts, openat2 scoping) and
 * permission checks decided here once for all filesystems.
 */
export class VirtualFilesystem {
  /** Character/block device drivers, looked up when a device node is opened. */
  readonly devices = new DeviceRegistry();
  /** flock(2) and fcntl(2) advisory locks. */
  readonly locks = new FileLocks();
  /** Anonymous pipes (pipe2) and the pipes behind FIFOs. */
  readonly pipefs = new PipeFilesystem();
  /** How FIFOs are opened: through `pipefs` unless replaced. */
  fifoOpener: FifoOpener | null = (inode, flags) => this.pipefs.openFifo(inode, flags);
  /** The namespace's mounts. */
  readonly tree: MountTree;

  constructor(rootFs: Filesystem, rootFlags: MountFlags = {}) {
    this.tree = new MountTree(rootFs, rootFlags);
  }

  /** pipe2(2): read and write ends of a new pipe (`flags`: O.NONBLOCK, O.DIRECT). */
  pipe(creds: Credentials, flags = 0): [FileDescription, FileDescription] {
    return this.pipefs.createPipe(creds, flags);
  }

  /** The root of the mount namespace. */
  root(): VirtualDentry {
    return { mount: this.tree.root, dentry: this.tree.root.root };
  }

  /** A path context rooted at the namespace root, starting there, for `creds`. */
  context(creds: Credentials, start?: VirtualDentry, umask = DEFAULT_UMASK): PathContext {
    return { root: this.root(), start: start ?? this.root(), creds, umask };
  }

  /** The mount attached at (mount, dentry), if any. */
  mountAt(mount: Mount, dentry: Dentry): Mount | undefined {
    return mount.children.get(dentry);
  }

  private resolver(ctx: PathContext, resolveFlags = 0): PathResolver {
    return new PathResolver(this, ctx, resolveFlags);
  }

  /** Resolve a path to a location; `follow` decides the final symlink. AT_EMPTY_PATH with "" gives the start. */
  getVd(ctx: PathContext, path: string, opts: { follow?: boolean; emptyPath?: boolean; resolve?: number } = {}): VirtualDentry {
    if (path === '' && opts.emptyPath) return ctx.start;
    return this.resolver(ctx, opts.resolve ?? 0).resolve(path, opts.follow ?? true);
  }

  /**
   * chdir(2)/fchdir(2) and chroot(2) targets: the directory at `path`, which
   * must be searchable. Keep the result as the process's new cwd or root.
   */
  resolveDirectory(ctx: PathContext, path: string): VirtualDentry {
    const vd = this.getVd(ctx, path);
    this.checkSearchableDirectory(vd, ctx.creds);
    return vd;
  }

  /** chroot(2): like resolveDirectory, but only for the privileged (EPERM). */
  resolveChroot(ctx: PathContext, path: string): VirtualDentry {
    const vd = this.resolveDirectory(ctx, path);
    if (!hasCapability(ctx.creds, CAP.SYS_CHROOT)) throw new SysError(Errno.EPERM);
    return vd;
  }

  /** ENOTDIR unless `vd` is a directory, EACCES unless `creds` may search it (fchdir). */
  checkSearchableDirectory(vd: VirtualDentry, creds: Credentials): void {
    const st = vd.dentry.inode.stat();
    if (!isDir(st.mode)) throw new SysError(Errno.ENOTDIR);
    checkAccess(vd.dentry.inode, creds, st.mode, st.uid, st.gid, ACCESS.X_OK);
  }

  // ---------------------------------------------------------------- open

  /** openat(2)/openat2(2). */
  openAt(ctx: PathContext, path: string, opts: OpenOptions): FileDescription {
    let flags = opts.flags;
    const resolveFlags = opts.resolve ?? 0;
    const knownResolve = RESOLVE.NO_XDEV | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_SYMLINKS | RESOLVE.BENEATH | RESOLVE.IN_ROOT | RESOLVE.CACHED;
    if (resolveFlags & ~knownResolve) throw new SysError(Errno.EINVAL);
    if (resolveFlags & RESOLVE.BENEATH && resolveFlags & RESOLVE.IN_ROOT) throw new SysError(Errno.EINVAL);
    // RESOLVE_CACHED cannot promise a cache-only lookup for opens that modify.
    if (resolveFlags & RESOLVE.CACHED && flags & (O.CREAT | O.TRUNC | O.TMPFILE)) throw new SysError(Errno.EAGAIN);
    if (flags & O.PATH) flags &= O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;
    if (flags & O.CREAT && flags & O.DIRECTORY) throw new SysError(Errno.EINVAL);
    const r = this.resolver(ctx, resolveFlags);
    if ((flags & O.TMPFILE) === O.TMPFILE) return this.openTmpfile(ctx, r, path, flags, opts.mode ?? 0);
    let vd: VirtualDentry;
    let created = false;
    if (!(flags & O.CREAT)) {
      vd = r.resolve(path, !(flags & O.NOFOLLOW));
      if (isSymlink(vd.dentry.inode.stat().mode) && !(flags & O.PATH)) throw new SysError(Errno.ELOOP);
    } else {
      ({ vd, created } = this.openCreate(ctx, r, r.resolveParent(path), flags, opts.mode ?? 0));
    }
    return this.openVd(vd, flags, ctx.creds, created);
  }

  /** Unnamed files from O_TMPFILE opens without O_EXCL: linkat may still name them. */
  private readonly linkableTmpfiles = new WeakSet<Inode>();

  /** open(2) with O_TMPFILE: an unnamed regular file in the directory at `path`. */
  private openTmpfile(ctx: PathContext, r: PathResolver, path: string, flags: number, mode: number): FileDescription {
    const acc = flags & O.ACCMODE;
    if (flags & O.CREAT || (acc !== O.WRONLY && acc !== O.RDWR)) throw new SysError(Errno.EINVAL);
    const dir = r.resolve(path, !(flags & O.NOFOLLOW));
    if (!isDir(dir.dentry.inode.stat().mode)) throw new SysError(Errno.ENOTDIR);
    this.checkCreate(ctx.creds, dir);
    const parentInode = dir.dentry.inode;
    if (!parentInode.tmpfile) throw new SysError(Errno.EOPNOTSUPP);
    const { creds, perm } = this.newOwnership(ctx, dir, mode & PERM_BITS, false);
    const inode = parentInode.tmpfile(S.IFREG | perm, creds);
    if (!(flags & O.EXCL)) this.linkableTmpfiles.add(inode);
    const dentry = new DentryClass(`#${inode.stat().ino}`, dir.dentry, inode);
    dentry.dead = true;
    return this.openVd({ mount: dir.mount, dentry }, flags & ~O.TMPFILE, ctx.creds, true);
  }

  /** The O_CREAT half of open: find or create the last component, following symlinks to dangling targets. */
  private openCreate(ctx: PathContext, r: PathResolver, pn: ParentAndName, flags: number, mode: number): { vd: VirtualDentry; created: boolean } {
    for (;;) {
      const { parent, name, trailingSlash } = pn;
      if (name === '' || name === '.' || name === '..') {
        // The path names an existing directory: do_open's O_EXCL check comes first.
        if (flags & O.EXCL) throw new SysError(Errno.EEXIST);
        throw new SysError(Errno.EISDIR);
      }
      if (trailingSlash) throw new SysError(Errno.EISDIR);
      const child = tryLookupChild(parent.dentry, name);
      if (!child) {
        this.checkCreate(ctx.creds, parent);
        const { creds, perm } = this.newOwnership(ctx, parent, mode & PERM_BITS, false);
        const inode = parent.dentry.inode.create(name, S.IFREG | perm, creds);
        const d = this.cacheChild(parent.dentry, name, inode);
        notifyName(parent.dentry.inode, IN.CREATE, name);
        return { vd: { mount: parent.mount, dentry: d }, created: true };
      }
      if (flags & O.EXCL) throw new SysError(Errno.EEXIST);
      const vd = r.followMounts({ mount: parent.mount, dentry: child });
      const mode2 = vd.dentry.inode.stat().mode;
      if (isSymlink(mode2)) {
        if (flags & O.NOFOLLOW) throw new SysError(Errno.ELOOP);
        const t = r.linkTarget(parent, vd);
        if ('magic' in t) return { vd: t.magic, created: false };
        pn = t;
        continue;
      }
      if (isDir(mode2)) throw new SysError(Errno.EISDIR);
      return { vd, created: false };
    }
  }

  /**
   * Open an already-resolved location (used by openAt and for reopening
   * /proc/self/fd links). `created` skips the permission check, as Linux does
   * for a file this very open created. Reports IN_OPEN (not for O_PATH),
   * then IN_MODIFY if O_TRUNC truncated the file.
   */
  openVd(vd: VirtualDentry, flags: number, creds: Credentials, created = false): FileDescription {
    const inode = vd.dentry.inode;
    const st = inode.stat();
    const type = st.mode & S.IFMT;
    if (flags & O.DIRECTORY && type !== S.IFDIR) throw new SysError(Errno.ENOTDIR);
    if (flags & O.PATH) return new FileDescription(vd, new PathFileImpl(inode), flags, creds);
    // Access mode 3 (O_ACCMODE) is Linux's "check read and write permission, allow neither":
    // the description can then serve only ioctl-like calls.
    const acc = flags & O.ACCMODE;
    const wantWrite = acc !== O.RDONLY;
    // O_TRUNC asks for write access too, as in Linux's build_open_flags.
    if (type === S.IFDIR && (wantWrite || flags & (O.CREAT | O.TRUNC))) throw new SysError(Errno.EISDIR);
    // A directory has no pages to read around the cache.
    if (type === S.IFDIR && flags & O.DIRECT) throw new SysError(Errno.EINVAL);
    if (type === S.IFLNK) throw new SysError(Errno.ELOOP);
    if (!created) {
      let want = 0;
      if (acc !== O.WRONLY) want |= ACCESS.R_OK;
      if (wantWrite || (flags & O.TRUNC && type === S.IFREG)) want |= ACCESS.W_OK;
      checkAccess(inode, creds, st.mode, st.uid, st.gid, want);
    }
    if ((type === S.IFREG || type === S.IFDIR) && (wantWrite || flags & O.TRUNC) && vd.mount.readOnly) {
      throw new SysError(Errno.EROFS);
    }
    if ((type === S.IFCHR || type === S.IFBLK) && vd.mount.flags.noDev) throw new SysError(Errno.EACCES);
    let impl: FileDescriptionImpl;
    let truncated = 0;
    switch (type) {
      case S.IFCHR:
        impl = this.devices.open('char', st.rdev, inode, flags, creds);
        break;
      case S.IFBLK:
        impl = this.devices.open('block', st.rdev, inode, flags, creds);
        break;
      case S.IFIFO:
        if (!this.fifoOpener) throw new SysError(Errno.ENXIO);
        impl = this.fifoOpener(inode, flags);
        break;
      case S.IFSOCK:
        throw new SysError(Errno.ENXIO);
      default:
        if (flags & O.TRUNC && type === S.IFREG && !created) {
          const req: SetStatRequest = { size: 0, mtime: nowTimespec() };
          const killed = modeAfterKillPrivs(creds, st.mode);
          if (killed !== undefined) req.mode = killed;
          inode.setStat(req, creds);
          truncated = killed !== undefined ? IN.MODIFY | IN.ATTRIB : IN.MODIFY;
        }
        impl = inode.open(flags, creds);
    }
    const file = new FileDescription(vd, impl, flags, creds);
    // Linux reports the open (do_dentry_open) before the truncation (handle_truncate).
    notifyDentry(vd.dentry, IN.OPEN, true);
    if (truncated) notifyDentry(vd.dentry, truncated);
    return file;
  }

  // ---------------------------------------------------------------- creation

  /** mkdirat(2). */
  mkdirAt(ctx: PathContext, path: string, mode: number): void {
    const { parent, name } = this.resolver(ctx).resolveParent(path);
    if (name === '' || name === '.' || name === '..') throw new SysError(Errno.EEXIST);
    this.createCommon(ctx, parent, name, false);
    const { creds, perm } = this.newOwnership(ctx, parent, mode & (0o777 | S.ISVTX), true);
    const inode = parent.dentry.inode.mkdir(name, S.IFDIR | perm, creds);
    this.cacheChild(parent.dentry, name, inode);
    notifyName(parent.dentry.inode, IN.CREATE | IN.ISDIR, name);
  }

  /** mknodat(2): regular files, fifos, sockets and device nodes. */
  mknodAt(ctx: PathContext, path: string, mode: number, rdev = 0): void {
    let type = mode & S.IFMT;
    if (type === 0) type = S.IFREG;
    if (type === S.IFDIR) throw new SysError(Errno.EPERM);
    if (!MKNOD_TYPES.has(type)) throw new SysError(Errno.EINVAL);
    const { parent, name, trailingSlash } = this.resolver(ctx).resolveParent(path);
    if (name === '' || name === '.' || name === '..') throw new SysError(Errno.EEXIST);
    this.createCommon(ctx, parent, name, trailingSlash);
    if ((type === S.IFCHR || type === S.IFBLK) && !hasCapability(ctx.creds, CAP.MKNOD)) throw new SysError(Errno.EPERM);
    const { creds, perm } = this.newOwnership(ctx, parent, mode & PERM_BITS, false);
    const inode =
      type === S.IFREG
        ? parent.dentry.inode.create(name, S.IFREG | perm, creds)
        : parent.dentry.inode.mknod(name, type | perm, type === S.IFCHR || type === S.IFBLK ? rdev : 0, creds);
    this.cacheChild(parent.dentry, name, inode);
    notifyName(parent.dentry.inode, IN.CREATE, name);
  }

  /** symlinkat(2). */
  symlinkAt(ctx: PathContext, target: string, path: string): void {
    if (target === '') throw new SysError(Errno.ENOENT);
    if (target.length >= 4096) throw new SysError(Errno.ENAMETOOLONG);
    const { parent, name, trailingSlash } = this.resolver(ctx).resolveParent(path);
    if (name === '' || name === '.' || name === '..') throw new SysError(Errno.EEXIST);
    this.createCommon(ctx, parent, name, trailingSlash);
    const { creds } = this.newOwnership(ctx, parent, 0o777, false);
    const inode = parent.dentry.inode.symlink(name, target, creds);
    this.cacheChild(parent.dentry, name, inode);
    notifyName(parent.dentry.inode, IN.CREATE, name);
  }

  /** linkat(2). `flags`: AT.SYMLINK_FOLLOW, AT.EMPTY_PATH. */
  linkAt(oldCtx: PathContext, oldPath: string, newCtx: PathContext, newPath: string, flags = 0): void {
    if (flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) throw new SysError(Errno.EINVAL);
    const old = this.getVd(oldCtx, oldPath, { follow: (flags & AT.SYMLINK_FOLLOW) !== 0, emptyPath: (flags & AT.EMPTY_PATH) !== 0 });
    const { parent, name, trailingSlash } = this.resolver(newCtx).resolveParent(newPath);
    if (name === '' || name === '.' || name === '..') throw new SysError(Errno.EEXIST);
    if (tryLookupChild(parent.dentry, name)) throw new SysError(Errno.EEXIST);
    if (old.mount !== parent.mount) throw new SysError(Errno.EXDEV);
    if (trailingSlash) throw new SysError(Errno.ENOENT);
    if (parent.mount.readOnly) throw new SysError(Errno.EROFS);
    this.checkCreate(newCtx.creds, parent);
    const target = old.dentry.inode;
    const st = target.stat();
    if (isDir(st.mode)) throw new SysError(Errno.EPERM);
    this.checkHardlinkAllowed(newCtx.creds, st);
    const tmpfile = st.nlink === 0 && this.linkableTmpfiles.has(target);
    if (old.dentry.dead && st.nlink === 0 && !tmpfile) throw new SysError(Errno.ENOENT);
    parent.dentry.inode.link(name, target);
    if (tmpfile) this.linkableTmpfiles.delete(target);
    // fsnotify_link: the link count change to the file, then the new entry to the directory.
    inodeRelinked(target);
    notifyInode(target, IN.ATTRIB);
    notifyName(parent.dentry.inode, IN.CREATE, name);
    // The new name is looked up afresh when first used: a filesystem may
    // represent each name of a file by its own inode object (host handles).
  }

  /** fs.protected_hardlinks=1: unprivileged users may only link files they own or could read and write. */
  private checkHardlinkAllowed(creds: Credentials, st: StatInfo): void {
    if (hasCapability(creds, CAP.FOWNER) || creds.uid === st.uid) return;
    const safe =
      (st.mode & S.IFMT) === S.IFREG &&
      !(st.mode & S.ISUID) &&
      !((st.mode & (S.ISGID | 0o010)) === (S.ISGID | 0o010)) &&
      mayAccess(creds, st.mode, st.uid, st.gid, ACCESS.R_OK | ACCESS.W_OK);
    if (!safe) throw new SysError(Errno.EPERM);
  }

  /** Checks shared by creating operations: EEXIST, ENOENT for a trailing slash, EROFS, EACCES. */
  private createCommon(ctx: PathContext, parent: VirtualDentry, name: string, trailingSlashNotDir: boolean): void {
    if (tryLookupChild(parent.dentry, name)) throw new SysError(Errno.EEXIST);
    if (trailingSlashNotDir) throw new SysError(Errno.ENOENT);
    this.checkCreate(ctx.creds, parent);
  }

  /** may_create: writable mount, write+search permission on the directory, directory still alive. */
  private checkCreate(creds: Credentials, parent: VirtualDentry): void {
    if (parent.mount.readOnly) throw new SysError(Errno.EROFS);
    const st = parent.dentry.inode.stat();
    checkAccess(parent.dentry.inode, creds, st.mode, st.uid, st.gid, ACCESS.W_OK | ACCESS.X_OK);
    if (parent.dentry.dead) throw new SysError(Errno.ENOENT);
  }

  /** Owner and permissions of a new file: umask, and set-group-ID directory inheritance. */
  private newOwnership(ctx: PathContext, parent: VirtualDentry, perm: number, dir: boolean): { creds: Credentials; perm: number } {
    perm &= ~(ctx.umask ?? DEFAULT_UMASK) | ~0o777;
    const pst = parent.dentry.inode.stat();
    let gid = ctx.creds.gid;
    if (pst.mode & S.ISGID) {
      gid = pst.gid;
      if (dir) perm |= S.ISGID;
    }
    if (!dir && perm & S.ISGID && !inGroup({ ...ctx.creds, gid }, gid) && !hasCapability(ctx.creds, CAP.FSETID)) perm &= ~S.ISGID;
    return { creds: { uid: ctx.creds.uid, gid, groups: ctx.creds.groups, caps: ctx.creds.caps }, perm };
  }

  private cacheChild(parent: Dentry, name: string, inode: Inode): Dentry {
    const d = new DentryClass(name, parent, inode);
    parent.children.set(name, d);
    return d;
  }

  // ---------------------------------------------------------------- removal

  /** unlinkat(2); AT.REMOVEDIR makes it rmdir. */
  unlinkAt(ctx: PathContext, path: string, flags = 0): void {
    if (flags & ~AT.REMOVEDIR) throw new SysError(Errno.EINVAL);
    if (flags & AT.REMOVEDIR) return this.rmdirAt(ctx, path);
    const { parent, name, trailingSlash } = this.resolver(ctx).resolveParent(path);
    if (name === '' || name === '.' || name === '..') throw new SysError(Errno.EISDIR);
    if (parent.mount.readOnly) throw new SysError(Errno.EROFS);
    const child = lookupChild(parent.dentry, name);
    const cst = child.inode.stat();
    if (trailingSlash) throw new SysError(isDir(cst.mode) ? Errno.EISDIR : Errno.ENOTDIR);
    this.mayDelete(ctx.creds, parent, cst);
    if (isDir(cst.mode)) throw new SysError(Errno.EISDIR);
    if (child.mountCount > 0) throw new SysError(Errno.EBUSY);
    parent.dentry.inode.unlink(name, child.inode);
    this.dropChild(parent.dentry, name, child);
    // vfs_unlink: the link count change, the inode's deletion if that was its last name, then the entry.
    notifyInode(child.inode, IN.ATTRIB);
    dentryRemoved(child, cst.nlink <= 1);
    notifyName(parent.dentry.inode, IN.DELETE, name);
  }

  /** rmdir(2). */
  rmdirAt(ctx: PathContext, path: string): void {
    const { parent, name } = this.resolver(ctx).resolveParent(path);
    if (name === '.') throw new SysError(Errno.EINVAL);
    if (name === '..') throw new SysError(Errno.ENOTEMPTY);
    if (name === '') throw new SysError(Errno.EBUSY);
    if (parent.mount.readOnly) throw new SysError(Errno.EROFS);
    const child = lookupChild(parent.dentry, name);
    const cst = child.inode.stat();
    this.mayDelete(ctx.creds, parent, cst);
    if (!isDir(cst.mode)) throw new SysError(Errno.ENOTDIR);
    if (child.mountCount > 0) throw new SysError(Errno.EBUSY);
    parent.dentry.inode.rmdir(name, child.inode);
    this.dropChild(parent.dentry, name, child);
    dentryRemoved(child, true);
    notifyName(parent.dentry.inode, IN.DELETE | IN.ISDIR, name);
  }

  /** may_delete: write+search on the directory, then the sticky-bit rule. */
  private mayDelete(creds: Credentials, parent: VirtualDentry, childSt: StatInfo): void {
    const pst = parent.dentry.inode.stat();
    checkAccess(parent.dentry.inode, creds, pst.mode, pst.uid, pst.gid, ACCESS.W_OK | ACCESS.X_OK);
    checkSticky(creds, pst.mode, pst.uid, childSt.uid);
  }

  private dropChild(parent: Dentry, name: string, child: Dentry): void {
    if (parent.children.get(name) === child) parent.children.delete(name);
    child.dead = true;
  }

  // ---------------------------------------------------------------- rename

  /** renameat2(2). `flags`: RENAME.NOREPLACE, RENAME.EXCHANGE. */
  renameAt(oldCtx: PathContext, oldPath: string, newCtx: PathContext, newPath: string, flags = 0): void {
    if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE)) throw new SysError(Errno.EINVAL);
    if (flags & RENAME.NOREPLACE && flags & RENAME.EXCHANGE) throw new SysError(Errno.EINVAL);
    const exchange = (flags & RENAME.EXCHANGE) !== 0;
    const o = this.resolver(oldCtx).resolveParent(oldPath);
    const n = this.resolver(newCtx).resolveParent(newPath);
    if (o.parent.mount !== n.parent.mount) throw new SysError(Errno.EXDEV);
    const special = (s: string) => s === '' || s === '.' || s === '..';
    if (special(o.name)) throw new SysError(Errno.EBUSY);
    if (special(n.name)) throw new SysError(flags & RENAME.NOREPLACE ? Errno.EEXIST : Errno.EBUSY);
    if (o.parent.mount.readOnly) throw new SysError(Errno.EROFS);
    const oldD = lookupChild(o.parent.dentry, o.name);
    const ost = oldD.inode.stat();
    const newD = tryLookupChild(n.parent.dentry, n.name);
    if (flags & RENAME.NOREPLACE && newD) throw new SysError(Errno.EEXIST);
    if (exchange && !newD) throw new SysError(Errno.ENOENT);
    if (exchange && n.trailingSlash && !isDir(newD!.inode.stat().mode)) throw new SysError(Errno.ENOTDIR);
    if (!isDir(ost.mode) && (o.trailingSlash || (!exchange && n.trailingSlash))) throw new SysError(Errno.ENOTDIR);
    // Loop checks (lock_rename's "trap"): the source may not contain the
    // target's directory, nor the target the source's directory.
    if (n.parent.dentry.isDescendantOf(oldD)) throw new SysError(Errno.EINVAL);
    if (newD && o.parent.dentry.isDescendantOf(newD)) throw new SysError(exchange ? Errno.EINVAL : Errno.ENOTEMPTY);
    if (newD === oldD) return;
    if (newD && newD.inode === oldD.inode) return; // hard links of one inode: a no-op
    const nst = newD?.inode.stat();
    this.mayDelete(oldCtx.creds, o.parent, ost);
    if (newD && nst) {
      this.mayDelete(newCtx.creds, n.parent, nst);
      if (!exchange) {
        if (isDir(ost.mode) && !isDir(nst.mode)) throw new SysError(Errno.ENOTDIR);
        if (!isDir(ost.mode) && isDir(nst.mode)) throw new SysError(Errno.EISDIR);
      }
    } else {
      this.checkCreate(newCtx.creds, n.parent);
    }
    // Moving a directory to a new parent rewrites its "..": needs write on it.
    if (n.parent.dentry !== o.parent.dentry) {
      if (isDir(ost.mode)) checkAccess(oldD.inode, oldCtx.creds, ost.mode, ost.uid, ost.gid, ACCESS.W_OK);
      if (exchange && nst && isDir(nst.mode)) checkAccess(newD!.inode, newCtx.creds, nst.mode, nst.uid, nst.gid, ACCESS.W_OK);
    }
    if (oldD.mountCount > 0 || (newD && newD.mountCount > 0)) throw new SysError(Errno.EBUSY);
    o.parent.dentry.inode.rename(o.name, oldD.inode, n.parent.dentry.inode, n.name, newD?.inode ?? null, flags);
    // Mirror the change in the dentry cache.
    o.parent.dentry.children.delete(o.name);
    if (exchange && newD) {
      n.parent.dentry.children.delete(n.name);
      newD.parent = o.parent.dentry;
      newD.name = o.name;
      o.parent.dentry.children.set(o.name, newD);
    } else if (newD) {
      newD.dead = true;
      n.parent.dentry.children.delete(n.name);
    }
    oldD.parent = n.parent.dentry;
    oldD.name = n.name;
    n.parent.dentry.children.set(n.name, oldD);
    this.notifyRename(o.parent.dentry.inode, o.name, n.parent.dentry.inode, n.name, oldD.inode, isDir(ost.mode), exchange ? null : (newD?.inode ?? null));
    if (exchange && newD) this.notifyRename(n.parent.dentry.inode, n.name, o.parent.dentry.inode, o.name, newD.inode, isDir(nst!.mode), null);
    if (newD && nst && !exchange) dentryRemoved(newD, isDir(nst.mode) || nst.nlink <= 1);
  }

  /**
   * fsnotify_move: IN_MOVED_FROM and IN_MOVED_TO sharing a cookie, the link
   * count change of a replaced file, then IN_MOVE_SELF to the moved inode.
   */
  private notifyRename(oldDir: Inode, oldName: string, newDir: Inode, newName: string, moved: Inode, dir: boolean, replaced: Inode | null): void {
    const isdir = dir ? IN.ISDIR : 0;
    const cookie = newCookie();
    notifyName(oldDir, IN.MOVED_FROM | isdir, oldName, cookie);
    notifyName(newDir, IN.MOVED_TO | isdir, newName, cookie);
    if (replaced) notifyInode(replaced, IN.ATTRIB);
    notifyInode(moved, IN.MOVE_SELF);
  }

  // ---------------------------------------------------------------- reading metadata

  /** readlinkat(2). An empty path reads the start itself (an O_PATH fd of a symlink). */
  readlinkAt(ctx: PathContext, path: string): string {
    const vd = path === '' ? ctx.start : this.getVd(ctx, path, { follow: false });
    if (!isSymlink(vd.dentry.inode.stat().mode)) throw new SysError(path === '' ? Errno.ENOENT : Errno.EINVAL);
    return vd.dentry.inode.readlink();
  }

  /** newfstatat(2)/statx(2) path part. `flags`: AT.SYMLINK_NOFOLLOW, AT.EMPTY_PATH, AT.NO_AUTOMOUNT. */
  statAt(ctx: PathContext, path: string, flags = 0): StatInfo {
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT | 0x6000)) throw new SysError(Errno.EINVAL);
    return this.getVd(ctx, path, { follow: !(flags & AT.SYMLINK_NOFOLLOW), emptyPath: (flags & AT.EMPTY_PATH) !== 0 }).dentry.inode.stat();
  }

  /** statfs(2). */
  statfsAt(ctx: PathContext, path: string): StatfsInfo {
    return this.statfsVd(this.getVd(ctx, path));
  }

  /** fstatfs(2), with mount flags folded in. */
  statfsVd(vd: VirtualDentry): StatfsInfo {
    const s = vd.dentry.inode.fs.statfs();
    const ST_RDONLY = 1;
    const ST_NOSUID = 2;
    const ST_NODEV = 4;
    const ST_NOEXEC = 8;
    let f = s.flags & ~(ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC);
    if (vd.mount.readOnly) f |= ST_RDONLY;
    if (vd.mount.flags.noSuid) f |= ST_NOSUID;
    if (vd.mount.flags.noDev) f |= ST_NODEV;
    if (vd.mount.flags.noExec) f |= ST_NOEXEC;
    return { ...s, flags: f };
  }

  /** faccessat2(2): `mode` is F_OK or R/W/X_OK bits; `flags`: AT.EACCESS, AT.SYMLINK_NOFOLLOW, AT.EMPTY_PATH. The caller passes real or effective ids in ctx.creds as AT_EACCESS demands. */
  accessAt(ctx: PathContext, path: string, mode: number, flags = 0): void {
    if (mode & ~7) throw new SysError(Errno.EINVAL);
    if (flags & ~(AT.EACCESS | AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysError(Errno.EINVAL);
    const vd = this.getVd(ctx, path, { follow: !(flags & AT.SYMLINK_NOFOLLOW), emptyPath: (flags & AT.EMPTY_PATH) !== 0 });
    const st = vd.dentry.inode.stat();
    const type = st.mode & S.IFMT;
    if (mode & ACCESS.W_OK && vd.mount.readOnly && (type === S.IFREG || type === S.IFDIR || type === S.IFLNK)) {
      throw new SysError(Errno.EROFS);
    }
    checkAccess(vd.dentry.inode, ctx.creds, st.mode, st.uid, st.gid, mode);
  }

  // ---------------------------------------------------------------- changing metadata

  /** fchmodat(2)/fchmodat2(2); `flags`: AT.SYMLINK_NOFOLLOW (EOPNOTSUPP on a symlink), AT.EMPTY_PATH. */
  chmodAt(ctx: PathContext, path: string, mode: number, flags = 0): void {
    const vd = this.getVd(ctx, path, { follow: !(flags & AT.SYMLINK_NOFOLLOW), emptyPath: (flags & AT.EMPTY_PATH) !== 0 });
    if (flags & AT.SYMLINK_NOFOLLOW && isSymlink(vd.dentry.inode.stat().mode)) throw new SysError(Errno.EOPNOTSUPP);
    this.chmodVd(vd, ctx.creds, mode);
  }

  /** fchmod(2) on a resolved location. */
  chmodVd(vd: VirtualDentry, creds: Credentials, mode: number): void {
    const inode = vd.dentry.inode;
    const st = inode.stat();
    if (vd.mount.readOnly) throw new SysError(Errno.EROFS);
    if (!isOwnerOrPrivileged(creds, st.uid)) throw new SysError(Errno.EPERM);
    let m = mode & PERM_BITS;
    // A non-member may not leave set-group-ID on a file it chmods.
    if (!hasCapability(creds, CAP.FSETID) && !inGroup(creds, st.gid)) m &= ~S.ISGID;
    inode.setStat({ mode: (st.mode & S.IFMT) | m }, creds);
    notifyDentry(vd.dentry, IN.ATTRIB);
  }

  /** fchownat(2); -1 leaves an id unchanged. `flags`: AT.SYMLINK_NOFOLLOW, AT.EMPTY_PATH. */
  chownAt(ctx: PathContext, path: string, uid: number, gid: number, flags = 0): void {
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysError(Errno.EINVAL);
    const vd = this.getVd(ctx, path, { follow: !(flags & AT.SYMLINK_NOFOLLOW), emptyPath: (flags & AT.EMPTY_PATH) !== 0 });
    this.chownVd(vd, ctx.creds, uid, gid);
  }

  /** fchown(2) on a resolved location. */
  chownVd(vd: VirtualDentry, creds: Credentials, uid: number, gid: number): void {
    const inode = vd.dentry.inode;
    const st = inode.stat();
    if (vd.mount.readOnly) throw new SysError(Errno.EROFS);
    const given = (id: number) => id !== -1 && id !== 0xffffffff;
    const newUid = given(uid) ? uid : st.uid;
    const newGid = given(gid) ? gid : st.gid;
    // chown_ok/chgrp_ok: without CAP_CHOWN only the owner may "change" the
    // owner to itself, and the group to one it belongs to.
    const owner = creds.uid === st.uid;
    if (!hasCapability(creds, CAP.CHOWN)) {
      if (given(uid) && !(owner && newUid === st.uid)) throw new SysError(Errno.EPERM);
      if (given(gid) && !(owner && (newGid === st.gid || inGroup(creds, newGid)))) throw new SysError(Errno.EPERM);
    }
    const req: SetStatRequest = { uid: newUid, gid: newGid };
    if (!isDir(st.mode) && !isSymlink(st.mode)) {
      // Changing ownership drops set-user-ID, and set-group-ID when group-executable
      // or (setattr_should_drop_sgid) when the caller is outside the group without CAP_FSETID.
      let m = st.mode & ~S.ISUID;
      if (m & 0o010 || (m & S.ISGID && !inGroup(creds, st.gid) && !hasCapability(creds, CAP.FSETID))) m &= ~S.ISGID;
      if (m !== st.mode) req.mode = m;
      dropFileCapabilities(inode);
    }
    inode.setStat(req, creds);
    // chown(-1, -1) changes no attribute Linux reports (only ctime).
    if (given(uid) || given(gid) || req.mode !== undefined) notifyDentry(vd.dentry, IN.ATTRIB);
  }

  /**
   * utimensat(2). `times` null means both now; a nsec of UTIME.NOW / UTIME.OMIT
   * means now / unchanged. `flags`: AT.SYMLINK_NOFOLLOW, AT.EMPTY_PATH.
   */
  utimensAt(ctx: PathContext, path: string, times: readonly [Timespec, Timespec] | null, flags = 0): void {
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysError(Errno.EINVAL);
    validateTimes(times);
    const vd = this.getVd(ctx, path, { follow: !(flags & AT.SYMLINK_NOFOLLOW), emptyPath: (flags & AT.EMPTY_PATH) !== 0 });
    this.utimensVd(vd, ctx.creds, times);
  }

  /** futimens(2) on a resolved location. */
  utimensVd(vd: VirtualDentry, creds: Credentials, times: readonly [Timespec, Timespec] | null): void {
    validateTimes(times);
    if (times && times[0].nsec === UTIME.OMIT && times[1].nsec === UTIME.OMIT) return;
    const inode = vd.dentry.inode;
    const st = inode.stat();
    if (vd.mount.readOnly) throw new SysError(Errno.EROFS);
    const allNow = !times || ((times[0].nsec === UTIME.NOW || times[0].nsec === UTIME.OMIT) && (times[1].nsec === UTIME.NOW || times[1].nsec === UTIME.OMIT));
    if (!isOwnerOrPrivileged(creds, st.uid)) {
      if (!allNow) throw new SysError(Errno.EPERM);
      if (!mayAccess(creds, st.mode, st.uid, st.gid, ACCESS.W_OK)) throw new SysError(Errno.EACCES);
    }
    const now = nowTimespec();
    const pick = (t: Timespec | undefined): Timespec | undefined =>
      !t || t.nsec === UTIME.NOW ? now : t.nsec === UTIME.OMIT ? undefined : { sec: t.sec, nsec: t.nsec };
    const req: SetStatRequest = {};
    const a = pick(times?.[0]);
    const m = pick(times?.[1]);
    if (a) req.atime = a;
    if (m) req.mtime = m;
    inode.setStat(req, creds);
    // fsnotify_change: both times are an attribute change, one alone an access or a modification.
    notifyDentry(vd.dentry, a && m ? IN.ATTRIB : a ? IN.ACCESS : IN.MODIFY);
  }

  /** truncate(2). */
  truncateAt(ctx: PathContext, path: string, size: number): void {
    if (size < 0 || !Number.isSafeInteger(size)) throw new SysError(Errno.EINVAL);
    const vd = this.getVd(ctx, path);
    const inode = vd.dentry.inode;
    const st = inode.stat();
    if (isDir(st.mode)) throw new SysError(Errno.EISDIR);
    if ((st.mode & S.IFMT) !== S.IFREG) throw new SysError(Errno.EINVAL);
    checkAccess(inode, ctx.creds, st.mode, st.uid, st.gid, ACCESS.W_OK);
    if (vd.mount.readOnly) throw new SysError(Errno.EROFS);
    const req: SetStatRequest = { size };
    dropFileCapabilities(inode);
    const killed = modeAfterKillPrivs(ctx.creds, st.mode);
    if (killed !== undefined) req.mode = killed;
    inode.setStat(req, ctx.creds);
    notifyDentry(vd.dentry, killed !== undefined ? IN.MODIFY | IN.ATTRIB : IN.MODIFY);
  }

  // ---------------------------------------------------------------- xattrs

  /** Permission rules for extended attributes by namespace (xattr_permission). */
  private checkXattr(vd: VirtualDentry, creds: Credentials, name: string, write: boolean): void {
    if (name.length === 0 || name.length > 255) throw new SysError(Errno.ERANGE);
    const st = vd.dentry.inode.stat();
    if (write && vd.mount.readOnly) throw new SysError(Errno.EROFS);
    if (name.startsWith('trusted.')) {
      if (!isPrivileged(creds)) throw new SysError(write ? Errno.EPERM : Errno.ENODATA);
      return;
    }
    if (name.startsWith('user.')) {
      const type = st.mode & S.IFMT;
      if (type !== S.IFREG && type !== S.IFDIR) throw new SysError(write ? Errno.EPERM : Errno.ENODATA);
      if (type === S.IFDIR && st.mode & S.ISVTX && write && !isOwnerOrPrivileged(creds, st.uid)) throw new SysError(Errno.EPERM);
      checkAccess(vd.dentry.inode, creds, st.mode, st.uid, st.gid, write ? ACCESS.W_OK : ACCESS.R_OK);
      return;
    }
    if (name.startsWith('security.') || name.startsWith('system.')) {
      if (write && !isPrivileged(creds)) throw new SysError(Errno.EPERM);
      return;
    }
    throw new SysError(Errno.EOPNOTSUPP);
  }

  /** getxattr(2) on a resolved location. */
  getxattrVd(vd: VirtualDentry, creds: Credentials, name: string): Uint8Array {
    this.checkXattr(vd, creds, name, false);
    return vd.dentry.inode.getxattr(name);
  }
  /** setxattr(2) on a resolved location; `flags` XATTR.CREATE / XATTR.REPLACE. */
  setxattrVd(vd: VirtualDentry, creds: Credentials, name: string, value: Uint8Array, flags = 0): void {
    if (flags & ~(XATTR.CREATE | XATTR.REPLACE)) throw new SysError(Errno.EINVAL);
    if (value.length > 65536) throw new SysError(Errno.E2BIG);
    this.checkXattr(vd, creds, name, true);
    if (!isOwnerOrPrivileged(creds, vd.dentry.inode.stat().uid) && !name.startsWith('user.')) throw new SysError(Errno.EPERM);
    vd.dentry.inode.setxattr(name, value.slice(), flags);
    notifyDentry(vd.dentry, IN.ATTRIB);
  }
  /** listxattr(2): trusted.* names are hidden from the unprivileged. */
  listxattrVd(vd: VirtualDentry, creds: Credentials): string[] {
    const names = vd.dentry.inode.listxattr();
    return isPrivileged(creds) ? names : names.filter((n) => !n.startsWith('trusted.'));
  }
  /** removexattr(2). */
  removexattrVd(vd: VirtualDentry, creds: Credentials, name: string): void {
    this.checkXattr(vd, creds, name, true);
    vd.dentry.inode.removexattr(name);
    notifyDentry(vd.dentry, IN.ATTRIB);
  }
  getxattrAt(ctx: PathContext, path: string, name: string, follow = true): Uint8Array {
    return this.getxattrVd(this.getVd(ctx, path, { follow }), ctx.creds, name);
  }
  setxattrAt(ctx: PathContext, path: string, name: string, value: Uint8Array, flags = 0, follow = true): void {
    this.setxattrVd(this.getVd(ctx, path, { follow }), ctx.creds, name, value, flags);
  }
  listxattrAt(ctx: PathContext, path: string, follow = true): string[] {
    return this.listxattrVd(this.getVd(ctx, path, { follow }), ctx.creds);
  }
  removexattrAt(ctx: PathContext, path: string, name: string, follow = true): void {
    this.removexattrVd(this.getVd(ctx, path, { follow }), ctx.creds, name);
  }

  // ---------------------------------------------------------------- mounts

  /** The top-most location at `path` (after following mounts), where a new mount stacks. */
  private mountTarget(ctx: PathContext, path: string): VirtualDentry {
    const target = this.getVd(ctx, path, { follow: true });
    if (!this.tree.isAttached(target.mount)) throw new SysError(Errno.EINVAL);
    return target;
  }

  /** mount(2) of a new filesystem instance at `path`. */
  mount(ctx: PathContext, path: string, fs: Filesystem, flags: MountFlags = {}): Mount {
    if (!isPrivileged(ctx.creds)) throw new SysError(Errno.EPERM);
    const target = this.mountTarget(ctx, path);
    if (isDir(target.dentry.inode.stat().mode) !== isDir(fs.root().stat().mode)) throw new SysError(Errno.ENOTDIR);
    if (target.dentry.dead) throw new SysError(Errno.ENOENT);
    const m = this.tree.create(fs, new DentryClass('/', null, fs.root()), flags);
    this.tree.graft(m, target.mount, target.dentry);
    return m;
  }

  /** mount --bind (and --rbind with `recursive`). EINVAL for an unbindable or detached source. */
  bindMount(srcCtx: PathContext, srcPath: string, dstCtx: PathContext, dstPath: string, opts: MountFlags & { recursive?: boolean } = {}): Mount {
    if (!isPrivileged(dstCtx.creds)) throw new SysError(Errno.EPERM);
    const src = this.getVd(srcCtx, srcPath);
    const target = this.mountTarget(dstCtx, dstPath);
    if (isDir(src.dentry.inode.stat().mode) !== isDir(target.dentry.inode.stat().mode)) throw new SysError(Errno.ENOTDIR);
    if (src.mount.unbindable || !this.tree.isAttached(src.mount)) throw new SysError(Errno.EINVAL);
    const { recursive, ...flags } = opts;
    const m = this.tree.copyForBind(src.mount, src.dentry, { ...src.mount.flags, ...flags }, recursive === true);
    this.tree.graft(m, target.mount, target.dentry);
    return m;
  }

  /** mount(MS_MOVE): move the mount whose root is at `srcPath` (with its submounts) to `dstPath`. */
  moveMount(srcCtx: PathContext, srcPath: string, dstCtx: PathContext, dstPath: string): void {
    if (!isPrivileged(dstCtx.creds)) throw new SysError(Errno.EPERM);
    const src = this.getVd(srcCtx, srcPath);
    const target = this.mountTarget(dstCtx, dstPath);
    if (src.dentry !== src.mount.root || !this.tree.isAttached(src.mount)) throw new SysError(Errno.EINVAL);
    if (isDir(src.dentry.inode.stat().mode) !== isDir(target.dentry.inode.stat().mode)) throw new SysError(Errno.ENOTDIR);
    this.tree.move(src.mount, target.mount, target.dentry);
  }

  /**
   * MS_SHARED/MS_PRIVATE/MS_SLAVE/MS_UNBINDABLE on the mount whose root is at
   * `path` (`recursive`: and every mount below it).
   */
  setPropagation(ctx: PathContext, path: string, change: (m: Mount) => void, recursive: boolean): void {
    if (!isPrivileged(ctx.creds)) throw new SysError(Errno.EPERM);
    const vd = this.getVd(ctx, path);
    if (vd.dentry !== vd.mount.root || !this.tree.isAttached(vd.mount)) throw new SysError(Errno.EINVAL);
    const all = recursive ? this.tree.mounts().filter((m) => this.mountIsUnder(m, vd.mount)) : [vd.mount];
    for (const m of all) change(m);
  }

  private mountIsUnder(m: Mount, top: Mount): boolean {
    for (let p: Mount | null = m; p; p = p.parent) if (p === top) return true;
    return false;
  }

  /**
   * pivot_root(2) for a process whose root is `ctx.root`: the mount at
   * `newRootPath` takes the place of the root mount, which moves to
   * `putOldPath`. Returns the new root; the caller moves every process
   * whose root or cwd was the old root there.
   */
  pivotRoot(ctx: PathContext, newRootPath: string, putOldPath: string): VirtualDentry {
    if (!isPrivileged(ctx.creds)) throw new SysError(Errno.EPERM);
    const newVd = this.getVd(ctx, newRootPath);
    const oldVd = this.getVd(ctx, putOldPath);
    if (!isDir(newVd.dentry.inode.stat().mode) || !isDir(oldVd.dentry.inode.stat().mode)) throw new SysError(Errno.ENOTDIR);
    const root = ctx.root;
    const [newMnt, rootMnt, oldMnt] = [newVd.mount, root.mount, oldVd.mount];
    if (oldMnt.group || newMnt.parent?.group || rootMnt.parent?.group) throw new SysError(Errno.EINVAL);
    if (!this.tree.isAttached(rootMnt) || !this.tree.isAttached(newMnt)) throw new SysError(Errno.EINVAL);
    if (newVd.dentry.dead) throw new SysError(Errno.ENOENT);
    if (newMnt === rootMnt || oldMnt === rootMnt) throw new SysError(Errno.EBUSY);
    if (root.dentry !== rootMnt.root || !rootMnt.parent) throw new SysError(Errno.EINVAL);
    if (newVd.dentry !== newMnt.root || !newMnt.parent) throw new SysError(Errno.EINVAL);
    if (!this.isBeneath(oldVd, newVd) || !this.isBeneath(newVd, root)) throw new SysError(Errno.EINVAL);
    this.tree.pivot(newMnt, rootMnt, oldMnt, oldVd.dentry);
    return { mount: newMnt, dentry: newMnt.root };
  }

  /** Change per-mount flags (mount -o remount,bind,ro). `path` must be a mount root. */
  remount(ctx: PathContext, path: string, flags: MountFlags): void {
    if (!isPrivileged(ctx.creds)) throw new SysError(Errno.EPERM);
    const vd = this.getVd(ctx, path);
    if (vd.dentry !== vd.mount.root) throw new SysError(Errno.EINVAL);
    vd.mount.flags = { ...vd.mount.flags, ...flags };
  }

  /** umount2(2). `flags`: MNT_DETACH to detach even when busy, UMOUNT_NOFOLLOW not to follow a final symlink. */
  umount(ctx: PathContext, path: string, flags = 0): void {
    if (!isPrivileged(ctx.creds)) throw new SysError(Errno.EPERM);
    if (flags & ~(MNT.FORCE | MNT.DETACH | MNT.EXPIRE | MNT.NOFOLLOW)) throw new SysError(Errno.EINVAL);
    if (flags & MNT.EXPIRE && flags & (MNT.FORCE | MNT.DETACH)) throw new SysError(Errno.EINVAL);
    let vd = this.getVd(ctx, path, { follow: (flags & MNT.NOFOLLOW) === 0 });
    // Like Linux's LOOKUP_MOUNTPOINT: "." (or a path ending there) names the top of the mounts stacked on it.
    for (let top = vd.mount.children.get(vd.dentry); top; top = top.children.get(top.root)) vd = { mount: top, dentry: top.root };
    const m = vd.mount;
    if (vd.dentry !== m.root) throw new SysError(Errno.EINVAL);
    if (!m.parent || !m.mountpoint || !this.tree.isAttached(m)) throw new SysError(Errno.EINVAL);
    const detach = (flags & MNT.DETACH) !== 0;
    if (!detach && (m.children.size > 0 || m.refs > 0)) throw new SysError(Errno.EBUSY);
    this.tree.umount(m);
  }

  /**
   * Tear the whole namespace down: detach every mount and release every
   * filesystem (closing host handles). The VFS must not be used afterwards.
   */
  dispose(): void {
    this.tree.dispose();
  }

  /** All mounts in the namespace, parents first (for /proc/self/mounts). */
  mounts(): Mount[] {
    return this.tree.mounts();
  }

  // ---------------------------------------------------------------- paths

  /**
   * The path of `vd` as seen from `root` (getcwd, /proc/self/cwd). A location
   * not under `root` is reported relative to the namespace root with
   * `reachable: false` (getcwd then prefixes "(unreachable)").
   */
  pathOf(vd: VirtualDentry, root: VirtualDentry): { path: string; reachable: boolean; deleted: boolean } {
    const parts: string[] = [];
    let cur = vd;
    let reachable = false;
    const deleted = vd.dentry.dead;
    for (;;) {
      if (sameVd(cur, root)) {
        reachable = true;
        break;
      }
      if (cur.dentry === cur.mount.root) {
        if (!cur.mount.parent || !cur.mount.mountpoint) break;
        cur = { mount: cur.mount.parent, dentry: cur.mount.mountpoint };
        continue;
      }
      parts.push(cur.dentry.name);
      // A dentry with no parent that is not its mount's root (an anonymous
      // file: a pipe, the host's stdio) has only its own name.
      if (!cur.dentry.parent) break;
      cur = { mount: cur.mount, dentry: cur.dentry.parent };
    }
    return { path: '/' + parts.reverse().join('/'), reachable, deleted };
  }

  /** Is `vd` at or below `root` in the mount tree (used to validate chroot/pivot)? */
  isBeneath(vd: VirtualDentry, root: VirtualDentry): boolean {
    return this.pathOf(vd, root).reachable;
  }
}

/**
 * Changing a file's owner or contents drops the file capabilities it grants on exec
 * (security.capability), whoever makes the change: Linux's ATTR_KILL_PRIV.
 */
function dropFileCapabilities(inode: Inode): void {
  try {
    if (inode.listxattr().includes(FILE_CAPS_XATTR)) inode.removexattr(FILE_CAPS_XATTR);
  } catch (e) {
    // A filesystem without xattrs has no file capabilities to drop.
    if (!(e instanceof SysError && (e.errno === Errno.EOPNOTSUPP || e.errno === Errno.ENODATA))) throw e;
  }
}

const FILE_CAPS_XATTR = 'security.capability';

function validateTimes(times: readonly [Timespec, Timespec] | null): void {
  if (!times) return;
  for (const t of times) {
    if (t.nsec === UTIME.NOW || t.nsec === UTIME.OMIT) continue;
    if (t.nsec < 0 || t.nsec > 999_999_999) throw new SysError(Errno.EINVAL);
  }
}
