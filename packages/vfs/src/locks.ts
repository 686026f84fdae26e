import { Errno, F, LOCK, SEEK, SysError } from './abi.js';
import type { FileDescription } from './file-description.js';
import type { Inode } from './inode.js';
import { WaiterQueue, type ReadinessCallback } from './readiness.js';

/**
 * Who owns a POSIX record lock: a process (classic fcntl locks, released
 * when the process closes any fd of the file) or an open file description
 * (OFD locks, F_OFD_SETLK).
 */
export type LockOwner = number | FileDescription;

/** One record lock over the inclusive byte range [start, end]. */
export interface RecordLock {
  owner: LockOwner;
  /** F.RDLCK or F.WRLCK. */
  type: number;
  start: number;
  /** Inclusive; Infinity for "to end of file and beyond". */
  end: number;
  /** Reported by F_GETLK: the owning pid, or -1 for OFD locks. */
  pid: number;
}

class InodeLocks {
  readonly flocks = new Map<FileDescription, number>();
  records: RecordLock[] = [];
  readonly waiters = new WaiterQueue();
}

/** Bit used on the lock waiter queue: "some lock on this inode was released or changed". */
export const LOCK_CHANGED = 1;

/**
 * Advisory file locks (flock(2) and fcntl(2) record locks) for all inodes.
 * Conflicts throw EAGAIN; a blocking caller (LOCK_EX without LOCK_NB,
 * F_SETLKW) subscribes with `subscribe(inode, cb)` and retries when called.
 */
export class FileLocks {
  private readonly byInode = new WeakMap<Inode, InodeLocks>();

  private state(inode: Inode): InodeLocks {
    let s = this.byInode.get(inode);
    if (!s) {
      s = new InodeLocks();
      this.byInode.set(inode, s);
    }
    return s;
  }

  /** Be called when locks on `inode` change; returns the unsubscribe function. */
  subscribe(inode: Inode, cb: ReadinessCallback): () => void {
    return this.state(inode).waiters.subscribe(LOCK_CHANGED, cb);
  }

  /**
   * flock(2) for description `fd`: LOCK_SH, LOCK_EX or LOCK_UN (LOCK_NB is
   * the caller's business: a conflict always throws EAGAIN). Converting a
   * lock drops the old one first, as Linux does.
   */
  flock(fd: FileDescription, op: number): void {
    const kind = op & ~LOCK.NB;
    const s = this.state(fd.inode);
    if (kind === LOCK.UN) {
      if (s.flocks.delete(fd)) s.waiters.notify(LOCK_CHANGED);
      return;
    }
    if (kind !== LOCK.SH && kind !== LOCK.EX) throw new SysError(Errno.EINVAL);
    const current = s.flocks.get(fd);
    if (current === kind) return;
    for (const [other, k] of s.flocks) {
      if (other !== fd && (kind === LOCK.EX || k === LOCK.EX)) {
        if (current !== undefined) {
          s.flocks.delete(fd);
          s.waiters.notify(LOCK_CHANGED);
        }
        throw new SysError(Errno.EAGAIN);
      }
    }
    s.flocks.set(fd, kind);
    if (current === LOCK.EX) s.waiters.notify(LOCK_CHANGED);
  }

  /** F_GETLK: the first lock of another owner conflicting with the request, or null. */
  getRecordLock(inode: Inode, owner: LockOwner, type: number, start: number, end: number): RecordLock | null {
    const s = this.state(inode);
    for (const l of s.records) {
      if (l.owner === owner || l.end < start || l.start > end) continue;
      if (type === F.WRLCK || l.type === F.WRLCK) return { ...l };
    }
    return null;
  }

  /**
   * F_SETLK: take a read or write lock, or unlock (F.UNLCK), over
   * [start, end] for `owner`. The owner's own overlapping locks are replaced,
   * split or merged; another owner's conflicting lock throws EAGAIN.
   */
  setRecordLock(fd: FileDescription, owner: LockOwner, pid: number, type: number, start: number, end: number): void {
    if (type === F.RDLCK && !fd.readable) throw new SysError(Errno.EBADF);
    if (type === F.WRLCK && !fd.writable) throw new SysError(Errno.EBADF);
    if (type !== F.RDLCK && type !== F.WRLCK && type !== F.UNLCK) throw new SysError(Errno.EINVAL);
    const s = this.state(fd.inode);
    if (type !== F.UNLCK && this.getRecordLock(fd.inode, owner, type, start, end)) throw new SysError(Errno.EAGAIN);
    const kept: RecordLock[] = [];
    let released = false;
    for (const l of s.records) {
      if (l.owner !== owner || l.end < start || l.start > end) {
        kept.push(l);
        continue;
      }
      released = true;
      if (l.start < start) kept.push({ ...l, end: start - 1 });
      if (l.end > end) kept.push({ ...l, start: end + 1 });
    }
    if (type !== F.UNLCK) {
      let lock: RecordLock = { owner, type, start, end, pid };
      // Merge with adjacent or overlapping locks of the same owner and type.
      const rest: RecordLock[] = [];
      for (const l of kept) {
        if (l.owner === owner && l.type === type && l.end + 1 >= lock.start && l.start <= lock.end + 1) {
          lock = { ...lock, start: Math.min(l.start, lock.start), end: Math.max(l.end, lock.end) };
        } else rest.push(l);
      }
      rest.push(lock);
      s.records = rest.sort((a, b) => a.start - b.start);
    } else {
      s.records = kept;
    }
    if (released || type === F.UNLCK) s.waiters.notify(LOCK_CHANGED);
  }

  /** Drop every record lock `owner` holds on `inode` (a process closing any fd of it, or an OFD's last close). */
  releaseRecordLocks(inode: Inode, owner: LockOwner): void {
    const s = this.byInode.get(inode);
    if (!s) return;
    const before = s.records.length;
    s.records = s.records.filter((l) => l.owner !== owner);
    if (s.records.length !== before) s.waiters.notify(LOCK_CHANGED);
  }

  /** Drop the flock and OFD locks of a description on its last close. */
  releaseDescription(fd: FileDescription): void {
    const s = this.byInode.get(fd.inode);
    if (!s) return;
    const hadFlock = s.flocks.delete(fd);
    const before = s.records.length;
    s.records = s.records.filter((l) => l.owner !== fd);
    if (hadFlock || s.records.length !== before) s.waiters.notify(LOCK_CHANGED);
  }

  /** The locks held on `inode` (for /proc/locks). */
  list(inode: Inode): { flocks: Array<[FileDescription, number]>; records: RecordLock[] } {
    const s = this.byInode.get(inode);
    return { flocks: s ? [...s.flocks] : [], records: s ? s.records.map((l) => ({ ...l })) : [] };
  }
}

/**
 * Turn struct flock's (l_whence, l_start, l_len) into an inclusive byte
 * range, relative to `fd`'s offset or size. EINVAL for ranges that start
 * before 0; a negative length locks the bytes before start.
 */
export function lockRange(fd: FileDescription, whence: number, start: number, len: number): { start: number; end: number } {
  let base: number;
  if (whence === SEEK.SET) base = 0;
  else if (whence === SEEK.CUR) base = fd.offset;
  else if (whence === SEEK.END) base = fd.stat().size;
  else throw new SysError(Errno.EINVAL);
  let s = base + start;
  let e: number;
  if (len > 0) e = s + len - 1;
  else if (len === 0) e = Infinity;
  else {
    e = s - 1;
    s = s + len;
  }
  if (s < 0) throw new SysError(Errno.EINVAL);
  return { start: s, end: e };
}
