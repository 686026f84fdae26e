import { Errno, FIO, IN, POLL, SysError } from '@tvisor/abi';
import { WaiterQueue, type FileDescription, type Inode, type ReadinessCallback } from '@tvisor/vfs';
import type { Task } from '../task.js';
import { anonFile, anonInode, RecordStreamImpl } from './anon-inode.js';
import { RecordReader } from './record-reader.js';

/** Every bit inotify_add_watch accepts (ALL_INOTIFY_BITS). */
export const ALL_INOTIFY_BITS =
  0xfff | IN.UNMOUNT | IN.Q_OVERFLOW | IN.IGNORED | IN.ONLYDIR | IN.DONT_FOLLOW | IN.EXCL_UNLINK | IN.MASK_ADD | IN.MASK_CREATE | IN.ISDIR | IN.ONESHOT;
/** Bits that steer inotify_add_watch rather than select events; not stored in the watch. */
const ADD_FLAGS = IN.ONLYDIR | IN.DONT_FOLLOW | IN.MASK_ADD | IN.MASK_CREATE;
/** sizeof(struct inotify_event) without its name. */
const EVENT_HEADER_SIZE = 16;

/** One watch: an inode, the events wanted, and its descriptor. */
interface Watch {
  readonly wd: number;
  readonly inode: Inode;
  mask: number;
}

/**
 * An inotify instance (inotify(7)): a set of watches on inodes, each with a
 * watch descriptor, and a queue of struct inotify_event records read(2)
 * returns. The VFS has no change notifications yet, so the only events
 * queued are IN_IGNORED ones for removed watches (`queueEvent` is the entry
 * point a VFS hook would call).
 */
export class InotifyImpl extends RecordStreamImpl {
  private readonly watches = new Map<number, Watch>();
  private readonly byInode = new Map<Inode, Watch>();
  private readonly queue: Uint8Array[] = [];
  private nextWd = 1;
  private readonly records = new RecordReader();
  private readonly waiters = new WaiterQueue();

  constructor() {
    super(anonInode());
  }

  /**
   * inotify_add_watch on a resolved inode: updates the inode's existing
   * watch (replacing its mask, or OR-ing with IN_MASK_ADD; EEXIST with
   * IN_MASK_CREATE) or adds one with the next descriptor. Returns the wd.
   */
  addWatch(inode: Inode, mask: number): number {
    const events = mask & ~ADD_FLAGS;
    const existing = this.byInode.get(inode);
    if (existing) {
      if (mask & IN.MASK_CREATE) throw new SysError(Errno.EEXIST);
      existing.mask = mask & IN.MASK_ADD ? existing.mask | events : events;
      return existing.wd;
    }
    const watch: Watch = { wd: this.nextWd++, inode, mask: events };
    this.watches.set(watch.wd, watch);
    this.byInode.set(inode, watch);
    return watch.wd;
  }

  /** inotify_rm_watch: EINVAL for an unknown wd; queues IN_IGNORED for it, as Linux does. */
  removeWatch(wd: number): void {
    const watch = this.watches.get(wd);
    if (!watch) throw new SysError(Errno.EINVAL);
    this.watches.delete(wd);
    this.byInode.delete(watch.inode);
    this.queueEvent(wd, IN.IGNORED, 0, '');
  }

  /** The events watched on `inode`'s watch, if it has one (what a VFS hook would consult). */
  watchOf(inode: Inode): { wd: number; mask: number } | undefined {
    const w = this.byInode.get(inode);
    return w && { wd: w.wd, mask: w.mask };
  }

  /**
   * Appends an event record (name NUL-padded to a multiple of 16 bytes, as
   * Linux pads it). An event identical to the last queued one is merged.
   */
  queueEvent(wd: number, mask: number, cookie: number, name: string): void {
    const nameBytes = new TextEncoder().encode(name);
    const len = name === '' ? 0 : Math.ceil((nameBytes.length + 1) / EVENT_HEADER_SIZE) * EVENT_HEADER_SIZE;
    const rec = new Uint8Array(EVENT_HEADER_SIZE + len);
    const v = new DataView(rec.buffer);
    v.setInt32(0, wd, true);
    v.setUint32(4, mask >>> 0, true);
    v.setUint32(8, cookie >>> 0, true);
    v.setUint32(12, len, true);
    rec.set(nameBytes, EVENT_HEADER_SIZE);
    const last = this.queue[this.queue.length - 1];
    if (last && last.length === rec.length && last.every((b, i) => b === rec[i])) return;
    this.queue.push(rec);
    this.waiters.notify(POLL.IN | POLL.RDNORM);
  }

  override read(_fd: FileDescription, dst: Uint8Array): number {
    return this.records.read(
      dst,
      () => this.queue[0]?.length,
      () => this.queue.shift()!,
    );
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return this.queue.length > 0 || this.records.hasCarry ? mask & (POLL.IN | POLL.RDNORM) : 0;
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.waiters.subscribe(mask, cb);
  }

  /** FIONREAD: the bytes of queued events. */
  userIoctl(task: Task, cmd: number, arg: number): number {
    if (cmd !== FIO.NREAD) throw new SysError(Errno.ENOTTY);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, this.queue.reduce((n, r) => n + r.length, 0), true);
    task.mm.copyOut(arg, out);
    return 0;
  }
}

/** A new inotify description (`anon_inode:inotify`); the caller owns its reference. */
export function createInotify(statusFlags: number): FileDescription {
  return anonFile('inotify', new InotifyImpl(), statusFlags);
}
