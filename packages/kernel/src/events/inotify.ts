import { Errno, FIO, IN, InotifyEvent, POLL, SysError } from '@tvisor/abi';
import { WaiterQueue, Watch, Watches, type FileDescription, type Inode, type ReadinessCallback, type WatchOwner } from '@tvisor/vfs';
import type { Task } from '../task.js';
import { anonFile, anonInode, RecordStreamImpl } from './anon-inode.js';
import { RecordReader } from './record-reader.js';

/** Every bit inotify_add_watch accepts (ALL_INOTIFY_BITS). */
export const ALL_INOTIFY_BITS =
  0xfff | IN.UNMOUNT | IN.Q_OVERFLOW | IN.IGNORED | IN.ONLYDIR | IN.DONT_FOLLOW | IN.EXCL_UNLINK | IN.MASK_ADD | IN.MASK_CREATE | IN.ISDIR | IN.ONESHOT;
/** Bits that steer inotify_add_watch rather than select events; not stored in the watch. */
const ADD_FLAGS = IN.ONLYDIR | IN.DONT_FOLLOW | IN.MASK_ADD | IN.MASK_CREATE;
/** /proc/sys/fs/inotify/max_queued_events: events an instance queues before IN_Q_OVERFLOW. */
export const MAX_QUEUED_EVENTS = 16384;

/** One queued struct inotify_event, encoded, with what merging compares. */
interface QueuedEvent {
  readonly bytes: Uint8Array;
  readonly wd: number;
  readonly mask: number;
  readonly name: string;
}

/**
 * An inotify instance (inotify(7)): a watch (a vfs `Watch`) per watched
 * inode, each with a watch descriptor, and the queue of struct
 * inotify_event records read(2) returns. The VFS reports events through the
 * `WatchOwner` methods. As on Linux, an event identical to the last unread
 * one (same wd, mask and name; never IN_IGNORED) is merged into it, and
 * once `maxEvents` are queued one IN_Q_OVERFLOW (wd -1) is queued and
 * further events are dropped until the reader catches up.
 */
export class InotifyImpl extends RecordStreamImpl implements WatchOwner {
  private readonly watches = new Map<number, Watch>();
  private readonly queue: QueuedEvent[] = [];
  /** Whether the IN_Q_OVERFLOW event is in the queue (there is only ever one). */
  private overflowQueued = false;
  private nextWd = 1;
  private readonly records = new RecordReader();
  private readonly waiters = new WaiterQueue();

  constructor(private readonly maxEvents = MAX_QUEUED_EVENTS) {
    super(anonInode());
  }

  /**
   * inotify_add_watch on a resolved inode: updates the inode's existing
   * watch (replacing its mask, or OR-ing with IN_MASK_ADD; EEXIST with
   * IN_MASK_CREATE) or adds one with the next descriptor. Returns the wd.
   */
  addWatch(inode: Inode, mask: number): number {
    const events = mask & ~ADD_FLAGS;
    const set = Watches.of(inode);
    const existing = set.lookup(this);
    if (existing) {
      if (mask & IN.MASK_CREATE) throw new SysError(Errno.EEXIST);
      existing.mask = mask & IN.MASK_ADD ? existing.mask | events : events;
      return existing.wd;
    }
    const watch = new Watch(this, this.nextWd++, inode, events);
    set.add(watch);
    this.watches.set(watch.wd, watch);
    return watch.wd;
  }

  /** inotify_rm_watch: EINVAL for an unknown wd; queues IN_IGNORED for it, as Linux does. */
  removeWatch(wd: number): void {
    const watch = this.watches.get(wd);
    if (!watch) throw new SysError(Errno.EINVAL);
    Watches.of(watch.inode).remove(this);
    this.watches.delete(wd);
    this.enqueue(wd, IN.IGNORED, 0, '');
  }

  /** The events watched on `inode`'s watch, if it has one. */
  watchOf(inode: Inode): { wd: number; mask: number } | undefined {
    const w = Watches.peek(inode)?.lookup(this);
    return w && { wd: w.wd, mask: w.mask };
  }

  /** WatchOwner: an event for one of this instance's watches. */
  queueEvent(watch: Watch, mask: number, cookie: number, name: string): void {
    this.enqueue(watch.wd, mask, cookie, name);
  }

  /** WatchOwner: the VFS ended a watch (IN_ONESHOT, deletion, unmount). */
  watchRemoved(watch: Watch): void {
    this.watches.delete(watch.wd);
    this.enqueue(watch.wd, IN.IGNORED, 0, '');
  }

  /**
   * Appends an event record (name NUL-padded to a multiple of 16 bytes, as
   * Linux pads it), merging or overflowing as Linux's fsnotify_insert_event does.
   */
  enqueue(wd: number, mask: number, cookie: number, name: string): void {
    if (this.queue.length >= this.maxEvents) {
      if (this.overflowQueued) return;
      this.overflowQueued = true;
      this.push(-1, IN.Q_OVERFLOW, 0, '');
      return;
    }
    const last = this.queue[this.queue.length - 1];
    if (last && !(last.mask & IN.IGNORED) && last.wd === wd && last.mask === mask && last.name === name) return;
    this.push(wd, mask, cookie, name);
  }

  private push(wd: number, mask: number, cookie: number, name: string): void {
    const nameBytes = new TextEncoder().encode(name);
    const len = name === '' ? 0 : Math.ceil((nameBytes.length + 1) / InotifyEvent.size) * InotifyEvent.size;
    const bytes = new Uint8Array(InotifyEvent.size + len);
    InotifyEvent.encode(new DataView(bytes.buffer), 0, { wd, mask: mask >>> 0, cookie: cookie >>> 0, len });
    bytes.set(nameBytes, InotifyEvent.size);
    this.queue.push({ bytes, wd, mask, name });
    this.waiters.notify(POLL.IN | POLL.RDNORM);
  }

  override read(_fd: FileDescription, dst: Uint8Array): number {
    return this.records.read(
      dst,
      () => this.queue[0]?.bytes.length,
      () => {
        const e = this.queue.shift()!;
        if (e.mask & IN.Q_OVERFLOW) this.overflowQueued = false;
        return e.bytes;
      },
    );
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return this.queue.length > 0 || this.records.hasCarry ? mask & (POLL.IN | POLL.RDNORM) : 0;
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.waiters.subscribe(mask, cb);
  }

  /** Closing the instance drops its watches without events. */
  override release(): void {
    for (const w of this.watches.values()) Watches.of(w.inode).remove(this);
    this.watches.clear();
    this.queue.length = 0;
  }

  /** FIONREAD: the bytes of queued events. */
  userIoctl(task: Task, cmd: number, arg: number): number {
    if (cmd !== FIO.NREAD) throw new SysError(Errno.ENOTTY);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(
      0,
      this.queue.reduce((n, e) => n + e.bytes.length, 0),
      true,
    );
    task.mm.copyOut(arg, out);
    return 0;
  }
}

/** A new inotify description (`anon_inode:inotify`); the caller owns its reference. */
export function createInotify(statusFlags: number): FileDescription {
  return anonFile('inotify', new InotifyImpl(), statusFlags);
}
