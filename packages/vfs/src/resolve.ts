import { ACCESS, Errno, RESOLVE, SysError } from './abi.js';
import { checkPermission, type Credentials } from './credentials.js';
import { Dentry } from './dentry.js';
import type { Inode } from './inode.js';
import type { Mount, VirtualDentry } from './mount.js';
import { sameVd } from './mount.js';
import { isDir, isSymlink } from './stat.js';

/** Linux's MAXSYMLINKS: symlinks followed in one resolution before ELOOP. */
export const MAX_SYMLINKS = 40;
/** PATH_MAX, including the terminating NUL. */
export const PATH_MAX = 4096;
/** NAME_MAX for one component. */
export const NAME_MAX = 255;

/** Where and as whom a path is resolved. */
export interface PathContext {
  /** The process root (chroot); `..` and absolute paths never go above it. */
  root: VirtualDentry;
  /** Where relative paths start: the cwd or a dirfd's location. */
  start: VirtualDentry;
  creds: Credentials;
  /** The process umask, applied to created files (default 0o022). */
  umask?: number;
}

/** The parent directory of a path's last component, and that component. */
export interface ParentAndName {
  parent: VirtualDentry;
  /** Last component; "" when the path names the root itself, or "." / "..". */
  name: string;
  /** The path ended in "/" (the target must be a directory). */
  trailingSlash: boolean;
}

/** Hooks the resolver needs from the mount tree. */
export interface MountLookup {
  /** The mount attached at (mount, dentry), if any. */
  mountAt(mount: Mount, dentry: Dentry): Mount | undefined;
}

/**
 * One path resolution (Linux's nameidata): tracks the symlink budget and the
 * openat2 RESOLVE_* scope across the components and symlinks of a path.
 */
export class PathResolver {
  symlinks = 0;
  readonly root: VirtualDentry;
  readonly start: VirtualDentry;
  private readonly creds: Credentials;

  constructor(
    private readonly mounts: MountLookup,
    ctx: PathContext,
    readonly resolveFlags = 0,
  ) {
    this.creds = ctx.creds;
    this.start = ctx.start;
    // RESOLVE_BENEATH and RESOLVE_IN_ROOT scope the walk to the start dir.
    this.root = resolveFlags & (RESOLVE.BENEATH | RESOLVE.IN_ROOT) ? ctx.start : ctx.root;
  }

  /** Resolve `path` completely; the final symlink is followed when `followFinal`. */
  resolve(path: string, followFinal: boolean): VirtualDentry {
    const { parent, name, trailingSlash } = this.resolveParent(path);
    return this.resolveLast(parent, name, trailingSlash, followFinal);
  }

  /** Walk all but the last component of `path`. */
  resolveParent(path: string, from?: VirtualDentry): ParentAndName {
    checkPathLength(path);
    if (path === '') throw new SysError(Errno.ENOENT);
    let cur = this.startFor(path, from ?? this.start);
    const comps = path.split('/');
    let trailingSlash = false;
    // Trailing slashes: "a/b/" -> comps [a, b, ""]; strip empties at the end.
    while (comps.length > 0 && comps[comps.length - 1] === '') {
      comps.pop();
      trailingSlash = true;
    }
    const last = comps.pop();
    if (last === undefined) {
      // The path was only slashes: it names the (scoped) root.
      return { parent: cur, name: '', trailingSlash: true };
    }
    for (const comp of comps) {
      if (comp === '') continue;
      cur = this.step(cur, comp, true);
    }
    // The parent must be a searchable directory for the last lookup.
    this.requireSearchableDir(cur);
    if (last.length > NAME_MAX) throw new SysError(Errno.ENAMETOOLONG);
    return { parent: cur, name: last, trailingSlash };
  }

  /** Look up the final component found by resolveParent. */
  resolveLast(parent: VirtualDentry, name: string, trailingSlash: boolean, followFinal: boolean): VirtualDentry {
    if (name === '') return parent;
    const vd = this.step(parent, name, followFinal || trailingSlash);
    if (trailingSlash && !isDir(vd.dentry.inode.stat().mode)) throw new SysError(Errno.ENOTDIR);
    return vd;
  }

  /**
   * Count one symlink traversal and find what `link` (found in `parent`)
   * points to: a magic link's file directly, or where the textual target's
   * last component lives (for O_CREAT through a dangling symlink).
   */
  linkTarget(parent: VirtualDentry, link: VirtualDentry): { magic: VirtualDentry } | ParentAndName {
    if (this.resolveFlags & RESOLVE.NO_SYMLINKS) throw new SysError(Errno.ELOOP);
    if (++this.symlinks > MAX_SYMLINKS) throw new SysError(Errno.ELOOP);
    const inode = link.dentry.inode;
    const magic = inode.resolveLink?.() ?? null;
    if (magic) {
      if (this.resolveFlags & (RESOLVE.NO_MAGICLINKS | RESOLVE.BENEATH | RESOLVE.IN_ROOT)) throw new SysError(Errno.ELOOP);
      return { magic };
    }
    const target = inode.readlink();
    if (target === '') throw new SysError(Errno.ENOENT);
    return this.resolveParent(target, parent);
  }

  /** Resolve symlink `link` (found in `parent`) to the file it designates. */
  followSymlink(parent: VirtualDentry, link: VirtualDentry): VirtualDentry {
    const t = this.linkTarget(parent, link);
    if ('magic' in t) return t.magic;
    return this.resolveLast(t.parent, t.name, t.trailingSlash, true);
  }

  /** One component step from directory `cur`, following a symlink when `follow`. */
  step(cur: VirtualDentry, name: string, follow: boolean): VirtualDentry {
    this.requireSearchableDir(cur);
    if (name === '.') return cur;
    if (name === '..') return this.dotdot(cur);
    if (name.length > NAME_MAX) throw new SysError(Errno.ENAMETOOLONG);
    const child = this.followMounts({ mount: cur.mount, dentry: lookupChild(cur.dentry, name) });
    if (follow && isSymlink(child.dentry.inode.stat().mode)) return this.followSymlink(cur, child);
    return child;
  }

  /** `..` from `cur`: stays at the root, climbs out of mounts. */
  dotdot(cur: VirtualDentry): VirtualDentry {
    if (sameVd(cur, this.root)) {
      if (this.resolveFlags & RESOLVE.BENEATH) throw new SysError(Errno.EXDEV);
      return cur;
    }
    let vd = cur;
    while (vd.dentry === vd.mount.root && vd.mount.parent && vd.mount.mountpoint) {
      if (this.resolveFlags & RESOLVE.NO_XDEV) throw new SysError(Errno.EXDEV);
      vd = { mount: vd.mount.parent, dentry: vd.mount.mountpoint };
      if (sameVd(vd, this.root)) return this.followMounts(vd);
    }
    const parent = vd.dentry.parent ?? vd.dentry;
    return this.followMounts({ mount: vd.mount, dentry: parent });
  }

  /** Descend through mounts stacked on `vd`. */
  followMounts(vd: VirtualDentry): VirtualDentry {
    while (vd.dentry.mountCount > 0) {
      const m = this.mounts.mountAt(vd.mount, vd.dentry);
      if (!m) break;
      if (this.resolveFlags & RESOLVE.NO_XDEV) throw new SysError(Errno.EXDEV);
      vd = { mount: m, dentry: m.root };
    }
    return vd;
  }

  private startFor(path: string, relative: VirtualDentry): VirtualDentry {
    if (path[0] !== '/') return relative;
    if (this.resolveFlags & RESOLVE.BENEATH) throw new SysError(Errno.EXDEV);
    if (this.resolveFlags & RESOLVE.NO_XDEV && this.root.mount !== relative.mount) throw new SysError(Errno.EXDEV);
    return this.root;
  }

  requireSearchableDir(vd: VirtualDentry): void {
    const inode = vd.dentry.inode;
    const st = inode.stat();
    if (!isDir(st.mode)) throw new SysError(Errno.ENOTDIR);
    checkAccess(inode, this.creds, st.mode, st.uid, st.gid, ACCESS.X_OK);
  }
}

/** The cached or freshly looked-up child `name` of directory `parent`. */
export function lookupChild(parent: Dentry, name: string): Dentry {
  const fs = parent.inode.fs;
  let d = parent.children.get(name);
  if (d && fs.revalidate && !fs.revalidate(parent.inode, name, d.inode)) {
    parent.children.delete(name);
    d = undefined;
  }
  if (!d) {
    const inode = parent.inode.lookup(name);
    d = new Dentry(name, parent, inode);
    parent.children.set(name, d);
  }
  return d;
}

/** The child `name` of `parent` if it exists, else null (other errors propagate). */
export function tryLookupChild(parent: Dentry, name: string): Dentry | null {
  try {
    return lookupChild(parent, name);
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.ENOENT) return null;
    throw e;
  }
}

/** Permission check through the inode's override or the generic mode bits. */
export function checkAccess(inode: Inode, creds: Credentials, mode: number, uid: number, gid: number, want: number): void {
  if (inode.checkPermission) inode.checkPermission(creds, want);
  else checkPermission(creds, mode, uid, gid, want);
}

export function checkPathLength(path: string): void {
  // Compare in bytes: the kernel limit counts UTF-8 bytes.
  if (path.length >= PATH_MAX || (path.length * 3 >= PATH_MAX && new TextEncoder().encode(path).length >= PATH_MAX)) {
    throw new SysError(Errno.ENAMETOOLONG);
  }
}
