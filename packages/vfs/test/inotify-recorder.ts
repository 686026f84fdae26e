import { Errno, IN, S, SysError } from '@tvisor/abi';
import { Watch, Watches, type PathContext, type VirtualFilesystem, type WatchOwner } from '../src/index.js';

/** One event as read(2) on an inotify fd would report it. */
export interface RecordedEvent {
  wd: number;
  mask: number;
  cookie: number;
  name: string;
}

/** Flags of inotify_add_watch that steer it rather than being stored in the watch. */
const ADD_FLAGS = IN.ONLYDIR | IN.DONT_FOLLOW | IN.MASK_ADD | IN.MASK_CREATE;

/**
 * A minimal inotify instance for VFS tests: watches by wd, and a queue that
 * merges an event identical to the last unread one (never IN_IGNORED), as
 * Linux's inotify_merge does. The kernel's InotifyImpl is the real one.
 */
export class Recorder implements WatchOwner {
  private queue: RecordedEvent[] = [];
  private readonly byWd = new Map<number, Watch>();
  private nextWd = 1;

  /** inotify_add_watch: `mask` as passed to the syscall (IN_ONLYDIR: ENOTDIR for a non-directory). */
  watch(vfs: VirtualFilesystem, ctx: PathContext, path: string, mask: number): number {
    const inode = vfs.getVd(ctx, path, { follow: !(mask & IN.DONT_FOLLOW) }).dentry.inode;
    if (mask & IN.ONLYDIR && (inode.stat().mode & S.IFMT) !== S.IFDIR) throw new SysError(Errno.ENOTDIR);
    const set = Watches.of(inode);
    const old = set.lookup(this);
    const events = mask & ~ADD_FLAGS;
    if (old) {
      old.mask = mask & IN.MASK_ADD ? old.mask | events : events;
      return old.wd;
    }
    const w = new Watch(this, this.nextWd++, inode, events);
    set.add(w);
    this.byWd.set(w.wd, w);
    return w.wd;
  }

  /** inotify_rm_watch (EINVAL for an unknown wd). */
  unwatch(wd: number): void {
    const w = this.byWd.get(wd);
    if (!w) throw new SysError(Errno.EINVAL);
    Watches.of(w.inode).remove(this);
    this.byWd.delete(wd);
    this.queue.push({ wd, mask: IN.IGNORED, cookie: 0, name: '' });
  }

  /** Drop every watch without events (closing the inotify fd). */
  close(): void {
    for (const w of this.byWd.values()) Watches.of(w.inode).remove(this);
    this.byWd.clear();
  }

  queueEvent(watch: Watch, mask: number, cookie: number, name: string): void {
    const last = this.queue[this.queue.length - 1];
    if (last && !(last.mask & IN.IGNORED) && last.wd === watch.wd && last.mask === mask && last.name === name) return;
    this.queue.push({ wd: watch.wd, mask, cookie, name });
  }

  watchRemoved(watch: Watch): void {
    this.byWd.delete(watch.wd);
    this.queue.push({ wd: watch.wd, mask: IN.IGNORED, cookie: 0, name: '' });
  }

  /** The queued events (as a read of everything would return them); the queue is emptied. */
  take(): RecordedEvent[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }
}

const NAMES: Array<[number, string]> = [
  [IN.ACCESS, 'ACCESS'],
  [IN.MODIFY, 'MODIFY'],
  [IN.ATTRIB, 'ATTRIB'],
  [IN.CLOSE_WRITE, 'CLOSE_WRITE'],
  [IN.CLOSE_NOWRITE, 'CLOSE_NOWRITE'],
  [IN.OPEN, 'OPEN'],
  [IN.MOVED_FROM, 'MOVED_FROM'],
  [IN.MOVED_TO, 'MOVED_TO'],
  [IN.CREATE, 'CREATE'],
  [IN.DELETE, 'DELETE'],
  [IN.DELETE_SELF, 'DELETE_SELF'],
  [IN.MOVE_SELF, 'MOVE_SELF'],
  [IN.UNMOUNT, 'UNMOUNT'],
  [IN.Q_OVERFLOW, 'Q_OVERFLOW'],
  [IN.IGNORED, 'IGNORED'],
  [IN.ISDIR, 'ISDIR'],
];

/** An event mask as "CREATE|ISDIR". */
export function maskName(mask: number): string {
  const parts = NAMES.filter(([bit]) => mask & bit).map(([, n]) => n);
  const rest = mask & ~NAMES.reduce((m, [bit]) => m | bit, 0);
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

/**
 * Events as compact lines ("1 CREATE a", "2 MOVE_SELF"), with cookies
 * replaced by their order of first appearance ("c1") so that runs compare.
 */
export function describeEvents(events: readonly RecordedEvent[], cookies = new Map<number, number>()): string[] {
  return events.map((e) => {
    let line = `${e.wd} ${maskName(e.mask)}`;
    if (e.name) line += ` ${e.name}`;
    if (e.cookie) {
      if (!cookies.has(e.cookie)) cookies.set(e.cookie, cookies.size + 1);
      line += ` c${cookies.get(e.cookie)}`;
    }
    return line;
  });
}
