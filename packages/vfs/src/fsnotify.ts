import { IN, S } from './abi.js';
import type { Dentry } from './dentry.js';
import type { Filesystem, Inode } from './inode.js';
import { isDir } from './stat.js';

/**
 * File change notification (Linux's fsnotify, gVisor's vfs.Watches): every
 * inode can carry a set of watches, one per inotify instance, and the VFS
 * operations report what they did to the watches of the inodes involved.
 * The events and their order are Linux's (include/linux/fsnotify.h):
 *
 * - an event about a file goes first to its parent directory's watches,
 *   carrying the file's name, then to the file's own watches, without one;
 * - entry events (IN_CREATE, IN_DELETE, IN_MOVED_FROM/TO) go to the
 *   directory only, IN_MOVE_SELF and link-count IN_ATTRIB to the file only;
 * - IN_ISDIR is added when the subject is a directory (except for
 *   IN_DELETE_SELF and IN_MOVE_SELF, which inotify never flags).
 *
 * This module knows nothing of inotify's queue or wire format: a
 * `WatchOwner` (the kernel's inotify instance) receives the events.
 */

/** An inotify instance as the VFS sees it: the party its watches report to. */
export interface WatchOwner {
  /**
   * Queue an event for `watch`. `mask` holds the event bits (possibly
   * several, e.g. IN_MODIFY|IN_ATTRIB for a truncate that dropped
   * set-user-ID), plus IN_ISDIR when the subject is a directory; it is not
   * reduced to what the watch asked for, as Linux does not reduce it.
   * `name` is the entry's name for an event about a watched directory's
   * child, '' for an event about the watched inode itself. Called
   * synchronously by the operation that caused the event; must not throw.
   */
  queueEvent(watch: Watch, mask: number, cookie: number, name: string): void;
  /**
   * `watch` was removed by the VFS rather than by its owner: after its
   * IN_ONESHOT event, when its inode was deleted, or when its filesystem
   * was unmounted. It is already out of its inode's set; the owner queues
   * IN_IGNORED for it (Linux does) and forgets its descriptor.
   */
  watchRemoved(watch: Watch): void;
}

/** One inotify watch: an owner's interest in one inode. */
export class Watch {
  constructor(
    readonly owner: WatchOwner,
    /** The watch descriptor inotify_add_watch returned. */
    readonly wd: number,
    readonly inode: Inode,
    /**
     * The IN_* event bits wanted, plus the IN_ONESHOT and IN_EXCL_UNLINK
     * flags (inotify_add_watch's other flags are not stored). The owner may
     * change it (IN_MASK_ADD) at any time.
     */
    public mask: number,
  ) {}
}

/** Inodes with a watch set, by inode (a set is created empty on first use). */
const sets = new WeakMap<Inode, Watches>();
/**
 * Sets holding at least one watch. A watch keeps its inode alive, as an
 * inotify mark holds an inode reference on Linux, and unmounting finds the
 * watched inodes of a filesystem here.
 */
const live = new Set<Watches>();

/** The watches on one inode (gVisor's vfs.Watches): at most one per owner. */
export class Watches {
  private readonly watches = new Map<WatchOwner, Watch>();

  private constructor(readonly inode: Inode) {}

  /** The watch set of `inode`, created empty on first use. */
  static of(inode: Inode): Watches {
    let w = sets.get(inode);
    if (!w) sets.set(inode, (w = new Watches(inode)));
    return w;
  }

  /** The watch set of `inode` if it holds a watch, else undefined (cheap when nothing is watched anywhere). */
  static peek(inode: Inode): Watches | undefined {
    if (live.size === 0) return undefined;
    const w = sets.get(inode);
    return w && w.watches.size > 0 ? w : undefined;
  }

  /** Whether any inode anywhere is watched: the fast path of every notification. */
  static get any(): boolean {
    return live.size > 0;
  }

  /** The watch `owner` holds on this inode, if any (inotify_add_watch then updates it). */
  lookup(owner: WatchOwner): Watch | undefined {
    return this.watches.get(owner);
  }

  /** Adds `watch`, which must be on this set's inode; an owner holds at most one watch per inode (Error otherwise). */
  add(watch: Watch): void {
    if (watch.inode !== this.inode) throw new Error("watch added to another inode's set");
    if (this.watches.has(watch.owner)) throw new Error('owner already watches this inode');
    this.watches.set(watch.owner, watch);
    live.add(this);
  }

  /**
   * Removes `owner`'s watch and returns it (undefined if it had none). No
   * event is queued: for inotify_rm_watch the owner queues IN_IGNORED itself.
   */
  remove(owner: WatchOwner): Watch | undefined {
    const w = this.watches.get(owner);
    if (!w) return undefined;
    this.watches.delete(owner);
    if (this.watches.size === 0) live.delete(this);
    return w;
  }

  /** Number of watches on the inode. */
  get size(): number {
    return this.watches.size;
  }

  /**
   * Reports an event to every watch that wants one of its bits. `name` is
   * '' for an event about this inode itself. `pathEvent`: the event comes
   * from an open file (IN_OPEN, IN_ACCESS, IN_MODIFY by write, IN_CLOSE_*),
   * and `unlinked` says its name is gone: watches with IN_EXCL_UNLINK skip
   * those. An IN_ONESHOT watch is removed after its event (watchRemoved).
   */
  notify(name: string, mask: number, cookie: number, pathEvent = false, unlinked = false): void {
    if (mask & (IN.DELETE_SELF | IN.MOVE_SELF)) mask &= ~IN.ISDIR;
    for (const w of [...this.watches.values()]) {
      if (!(w.mask & mask & IN.ALL_EVENTS)) continue;
      if (pathEvent && unlinked && w.mask & IN.EXCL_UNLINK) continue;
      w.owner.queueEvent(w, mask, cookie, name);
      if (w.mask & IN.ONESHOT) this.expire(w);
    }
  }

  /**
   * The inode is gone: its last link was removed and nothing has it open.
   * Every watch gets IN_DELETE_SELF (wanted or not, it ends the watch) and
   * is removed, and its owner told (IN_IGNORED follows).
   */
  handleDeletion(): void {
    for (const w of [...this.watches.values()]) {
      if (w.mask & IN.DELETE_SELF) w.owner.queueEvent(w, IN.DELETE_SELF, 0, '');
      this.expire(w);
    }
  }

  /** The inode's filesystem was unmounted: IN_UNMOUNT to every watch, which is then removed (IN_IGNORED follows). */
  handleUnmount(): void {
    for (const w of [...this.watches.values()]) {
      w.owner.queueEvent(w, IN.UNMOUNT, 0, '');
      this.expire(w);
    }
  }

  private expire(w: Watch): void {
    if (this.watches.get(w.owner) !== w) return;
    this.remove(w.owner);
    w.owner.watchRemoved(w);
  }
}

function dirBit(inode: Inode): number {
  return isDir(inode.stat().mode) ? IN.ISDIR : 0;
}

/**
 * fsnotify_name: an event about entry `name` of directory `dir`, to the
 * directory's watches only (IN_CREATE, IN_DELETE, IN_MOVED_FROM/TO). The
 * caller includes IN_ISDIR when the entry is a directory.
 */
export function notifyName(dir: Inode, mask: number, name: string, cookie = 0): void {
  Watches.peek(dir)?.notify(name, mask, cookie);
}

/**
 * fsnotify_inode: an event to `inode`'s own watches only (IN_MOVE_SELF,
 * IN_ATTRIB for a link count change), IN_ISDIR added for a directory.
 */
export function notifyInode(inode: Inode, mask: number): void {
  const w = Watches.peek(inode);
  if (w) w.notify('', mask | dirBit(inode), 0);
}

/**
 * fsnotify_parent: an event about the file at `dentry`, first to its parent
 * directory's watches with its name, then to its own watches; IN_ISDIR
 * added for a directory. `pathEvent` marks events from an open file (see
 * Watches.notify); a removed dentry still reports to its old parent, as
 * Linux does, unless the watch has IN_EXCL_UNLINK.
 */
export function notifyDentry(dentry: Dentry, mask: number, pathEvent = false): void {
  if (!Watches.any) return;
  let parent = dentry.parent ? Watches.peek(dentry.parent.inode) : undefined;
  const self = Watches.peek(dentry.inode);
  if (!parent && !self) return;
  const type = dentry.inode.stat().mode & S.IFMT;
  // Reads and writes of FIFOs and devices reach only their own watches (observed on Linux 6.18).
  if (pathEvent && mask & (IN.ACCESS | IN.MODIFY) && type !== S.IFREG && type !== S.IFDIR) parent = undefined;
  const m = type === S.IFDIR ? mask | IN.ISDIR : mask;
  parent?.notify(dentry.name, m, 0, pathEvent, dentry.dead);
  self?.notify('', m, 0, pathEvent, dentry.dead);
}

let lastCookie = 0;

/** A fresh cookie tying an IN_MOVED_FROM to its IN_MOVED_TO (never 0). */
export function newCookie(): number {
  lastCookie = (lastCookie + 1) >>> 0 || 1;
  return lastCookie;
}

/**
 * Open file descriptions per dentry. As on Linux, where an open file holds
 * a reference on its dentry and a dentry on its parent, an inode whose
 * last name is removed is deleted (IN_DELETE_SELF) only once the removed
 * dentry is unused: nothing open on it, and no removed-but-open dentry
 * below it still pinning it.
 */
const openCounts = new WeakMap<Dentry, number>();
/**
 * Removed dentries still in use, each with whether its removal took the
 * inode's last link: they are deleted when their last user goes, and they
 * pin their ancestors meanwhile.
 */
const removedInUse = new Map<Dentry, boolean>();

/**
 * Whether `d` is still in use: open descriptions on it, or a removed dentry
 * in use below it. The second is looked for only when `d`'s inode is
 * watched, the only case where deferring its deletion shows: an unwatched
 * dentry is not recorded as pending, and the dentries pinning it pin its
 * ancestors directly, being their descendants too.
 */
function inUse(d: Dentry): boolean {
  if ((openCounts.get(d) ?? 0) > 0) return true;
  if (!Watches.peek(d.inode)) return false;
  for (const p of removedInUse.keys()) if (p !== d && p.isDescendantOf(d)) return true;
  return false;
}

/** `inode` is gone: its watches see IN_DELETE_SELF and end. */
function deleted(inode: Inode): void {
  Watches.peek(inode)?.handleDeletion();
}

/** A file description was opened at `dentry` (FileDescription calls this). */
export function descriptionOpened(dentry: Dentry): void {
  openCounts.set(dentry, (openCounts.get(dentry) ?? 0) + 1);
  // An unnamed file (O_TMPFILE, or reopened after removal) pins its directory too.
  if (dentry.dead && !removedInUse.has(dentry)) removedInUse.set(dentry, false);
}

/**
 * The last reference to a description opened at `dentry` was dropped
 * (after its IN_CLOSE_* event). If that released a removed dentry, its
 * inode is deleted if no link is left, and so, in turn, are removed
 * ancestors it kept in use.
 */
export function descriptionClosed(dentry: Dentry): void {
  const n = (openCounts.get(dentry) ?? 1) - 1;
  if (n > 0) {
    openCounts.set(dentry, n);
    return;
  }
  openCounts.delete(dentry);
  if (!dentry.dead) return;
  // Release `dentry`, then the removed ancestors only it kept in use.
  for (let d: Dentry | null = dentry; d; d = d.parent) {
    const lastLink = removedInUse.get(d);
    if (lastLink === undefined) continue;
    if (inUse(d)) break;
    removedInUse.delete(d);
    if (Watches.peek(d.inode) && (lastLink || d.inode.stat().nlink === 0)) deleted(d.inode);
  }
}

/**
 * The VFS removed the name `dentry` (unlink, rmdir, rename over it), which
 * is now marked dead; `lastLink` says whether that was the inode's last
 * link. IN_DELETE_SELF follows now, or when the dentry's last user goes
 * (as Linux reports it when the dentry dies).
 */
export function dentryRemoved(dentry: Dentry, lastLink: boolean): void {
  if (inUse(dentry)) removedInUse.set(dentry, lastLink);
  else if (lastLink) deleted(dentry.inode);
}

/** An unlinked inode got a name again (linkat of an open unlinked or O_TMPFILE file): its removed dentries no longer delete it. */
export function inodeRelinked(inode: Inode): void {
  for (const d of removedInUse.keys()) if (d.inode === inode) removedInUse.set(d, false);
}

/** The last mount of `fs` went away: every watch on its inodes sees IN_UNMOUNT and ends. */
export function filesystemUnmounted(fs: Filesystem): void {
  for (const w of [...live]) if (w.inode.fs === fs) w.handleUnmount();
}

let scopeDepth = 0;
let scopeId = 0;

/**
 * Runs `fn` as one system call as far as inotify is concerned: the reads
 * and writes a file description does inside it (the chunks of one user
 * buffer, an iovec, a sendfile loop) report one IN_ACCESS / IN_MODIFY, as
 * Linux reports one per read(2), write(2), sendfile(2)... however the
 * transfer is split. Outside any such scope every read or write reports
 * its own event. Scopes nest (the outermost one counts).
 */
export function asOneSyscall<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  if (scopeDepth++ === 0) scopeId++;
  try {
    return fn(...args);
  } finally {
    scopeDepth--;
  }
}

/** The current asOneSyscall scope, or 0 outside any. */
export function currentSyscallScope(): number {
  return scopeDepth > 0 ? scopeId : 0;
}
