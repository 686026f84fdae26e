import { EPOLL, EPOLL_CTL, Errno, POLL, S, SysError } from '@tvisor/abi';
import { exclusiveWaiter, FileImplBase, WaiterQueue, type FileDescription, type ReadinessCallback } from '@tvisor/vfs';
import { anonFile, anonInode } from './anon-inode.js';

/** Flags that steer epoll itself rather than name events (EP_PRIVATE_BITS). */
const PRIVATE_BITS = EPOLL.WAKEUP | EPOLL.ONESHOT | EPOLL.ET | EPOLL.EXCLUSIVE;
/** What EPOLLEXCLUSIVE may be combined with (EPOLLEXCLUSIVE_OK_BITS). */
const EXCLUSIVE_OK_BITS = EPOLL.IN | EPOLL.OUT | EPOLL.ERR | EPOLL.HUP | EPOLL.WAKEUP | EPOLL.ET | EPOLL.EXCLUSIVE;
/** How deep epoll instances may watch each other (EP_MAX_NESTS). */
const MAX_NESTS = 4;

/** One event epoll_wait reports: the ready events and the caller's data, untouched. */
export interface EpollEvent {
  events: number;
  data: bigint;
}

/** A watched (file, fd) pair: Linux keys items by both, so a dup is a different item. */
interface EpollItem {
  readonly file: FileDescription;
  readonly fd: number;
  /** The requested events plus EPOLLERR|EPOLLHUP; only PRIVATE_BITS once a oneshot fired. */
  events: number;
  data: bigint;
  unsubscribe: () => void;
}

/**
 * An epoll instance (epoll(7)). Each item subscribes to its file's
 * readiness; a notification that matches the item's events puts it on the
 * ready list (FIFO, like Linux's rdllist). Harvesting re-checks each ready
 * item's current readiness: level-triggered items go back to the tail of
 * the list while they stay ready, edge-triggered ones wait for the next
 * notification, and oneshot ones are disabled until EPOLL_CTL_MOD.
 */
export class EpollImpl extends FileImplBase {
  private readonly items = new Map<FileDescription, Map<number, EpollItem>>();
  /** Insertion-ordered: a Set iterates in the order items became ready. */
  private readonly ready = new Set<EpollItem>();
  private readonly waiters = new WaiterQueue();

  constructor() {
    super(anonInode());
  }

  /** epoll_ctl(2) for a target already resolved (checks that need the fd table are the caller's). */
  control(op: number, target: FileDescription, fd: number, events: number, data: bigint): void {
    if (target.impl === this) throw new SysError(Errno.EINVAL);
    const targetIsEpoll = target.impl instanceof EpollImpl;
    if (op !== EPOLL_CTL.DEL && events & EPOLL.EXCLUSIVE) {
      if (op === EPOLL_CTL.MOD) throw new SysError(Errno.EINVAL);
      if (op === EPOLL_CTL.ADD && (targetIsEpoll || events & ~EXCLUSIVE_OK_BITS)) throw new SysError(Errno.EINVAL);
    }
    if (op === EPOLL_CTL.ADD && target.impl instanceof EpollImpl) {
      // Would the new edge close a cycle, or nest instances too deeply?
      if (target.impl.reaches(this) || this.height() + 1 + target.impl.depth() > MAX_NESTS) {
        throw new SysError(Errno.ELOOP);
      }
    }
    const existing = this.items.get(target)?.get(fd);
    switch (op) {
      case EPOLL_CTL.ADD: {
        if (existing) throw new SysError(Errno.EEXIST);
        const item: EpollItem = { file: target, fd, events: events | EPOLL.ERR | EPOLL.HUP, data, unsubscribe: () => {} };
        let byFd = this.items.get(target);
        if (!byFd) this.items.set(target, (byFd = new Map()));
        byFd.set(fd, item);
        if (target.impl instanceof EpollImpl) target.impl.adoptedBy(this);
        this.watch(item);
        break;
      }
      case EPOLL_CTL.MOD: {
        if (!existing) throw new SysError(Errno.ENOENT);
        if (existing.events & EPOLL.EXCLUSIVE) throw new SysError(Errno.EINVAL);
        existing.unsubscribe();
        existing.events = events | EPOLL.ERR | EPOLL.HUP;
        existing.data = data;
        this.watch(existing);
        break;
      }
      case EPOLL_CTL.DEL:
        if (!existing) throw new SysError(Errno.ENOENT);
        this.remove(existing);
        break;
      default:
        throw new SysError(Errno.EINVAL);
    }
  }

  /**
   * Subscribes `item` to its file and queues it if it is ready now
   * (ep_insert/ep_modify). An EPOLLEXCLUSIVE item subscribes as an
   * exclusive waiter: a readiness event reaches, of all the instances that
   * added the file that way, only the first one (in the order they added
   * it) with a thread waiting in epoll_wait, plus every non-exclusive item.
   */
  private watch(item: EpollItem): void {
    const mask = item.events & ~PRIVATE_BITS;
    const onEvent = (events: number) => this.onFileEvent(item, events);
    item.unsubscribe = item.file.subscribe(mask, item.events & EPOLL.EXCLUSIVE ? exclusiveWaiter(onEvent) : onEvent);
    if (item.file.readiness(mask) & mask) this.markReady(item);
  }

  /**
   * ep_poll_callback: queues the item if the event is one it asked for.
   * Returns whether this took an exclusive wakeup: only if a thread was
   * waiting on this instance and the event is the item's input or output
   * readiness (what Linux counts; an instance nobody waits on lets the
   * wakeup go on to the next exclusive one, though it queued the item).
   */
  private onFileEvent(item: EpollItem, events: number): boolean {
    if (item.file.refCount === 0) {
      this.remove(item);
      return false;
    }
    // Only events the item asked for; a oneshot item that fired asks for
    // none until EPOLL_CTL_MOD re-arms it.
    if (!(item.events & ~PRIVATE_BITS & events)) return false;
    const waiting = this.waiters.size > 0;
    this.markReady(item);
    if (!waiting) return false;
    const inout = events & (EPOLL.IN | EPOLL.OUT);
    if (inout === EPOLL.IN) return (item.events & EPOLL.IN) !== 0;
    if (inout === EPOLL.OUT) return (item.events & EPOLL.OUT) !== 0;
    return inout === 0;
  }

  /**
   * Queues the item (once) and wakes the instance's waiters even when it was
   * queued already, as ep_poll_callback does: a level-triggered item stays
   * queued after its file drained, and an epoll watching this one must still
   * hear of the file's next event.
   */
  private markReady(item: EpollItem): void {
    this.ready.add(item);
    this.waiters.notify(POLL.IN | POLL.RDNORM);
  }

  private remove(item: EpollItem): void {
    item.unsubscribe();
    if (item.file.impl instanceof EpollImpl) item.file.impl.releasedBy(this);
    this.ready.delete(item);
    const byFd = this.items.get(item.file);
    byFd?.delete(item.fd);
    if (byFd?.size === 0) this.items.delete(item.file);
  }

  /**
   * Takes up to `max` events off the ready list (ep_send_events): items whose
   * file is no longer ready are dropped, level-triggered ones are queued
   * again at the tail, oneshot ones are disabled.
   */
  harvest(max: number): EpollEvent[] {
    const out: EpollEvent[] = [];
    for (const item of [...this.ready]) {
      if (out.length >= max) break;
      this.ready.delete(item);
      if (item.file.refCount === 0) {
        // The file was closed everywhere: Linux removes its items on release.
        this.remove(item);
        continue;
      }
      const mask = item.events & ~PRIVATE_BITS;
      const revents = item.file.readiness(mask) & mask;
      if (revents === 0) continue;
      out.push({ events: revents, data: item.data });
      if (item.events & EPOLL.ONESHOT) item.events &= PRIVATE_BITS;
      else if (!(item.events & EPOLL.ET)) this.ready.add(item);
    }
    return out;
  }

  /** Whether some ready item really has events (ep_eventpoll_poll), without consuming anything. */
  private hasEvents(): boolean {
    for (const item of this.ready) {
      if (item.file.refCount === 0) continue;
      const mask = item.events & ~PRIVATE_BITS;
      if (item.file.readiness(mask) & mask) return true;
    }
    return false;
  }

  /** The epoll instances this one watches, directly. */
  private children(): EpollImpl[] {
    const out: EpollImpl[] = [];
    for (const file of this.items.keys()) if (file.impl instanceof EpollImpl && file.refCount > 0) out.push(file.impl);
    return out;
  }

  /** Whether `other` is this instance or is watched by it, directly or through other instances. */
  private reaches(other: EpollImpl, seen = new Set<EpollImpl>()): boolean {
    if (other === this) return true;
    if (seen.has(this)) return false;
    seen.add(this);
    return this.children().some((c) => c.reaches(other, seen));
  }

  /** Longest chain of epoll instances below this one (0: it watches none). */
  private depth(seen = new Set<EpollImpl>()): number {
    if (seen.has(this)) return 0;
    seen.add(this);
    return Math.max(0, ...this.children().map((c) => 1 + c.depth(seen)));
  }

  /** Instances that watch this one. */
  private readonly parents = new Set<EpollImpl>();

  /** Longest chain of epoll instances watching this one (0: none does). */
  private height(seen = new Set<EpollImpl>()): number {
    if (seen.has(this)) return 0;
    seen.add(this);
    return Math.max(0, ...[...this.parents].map((p) => 1 + p.height(seen)));
  }

  /** Records that `parent` watches this instance (for the nesting limit). */
  adoptedBy(parent: EpollImpl): void {
    this.parents.add(parent);
  }
  /** `parent` stopped watching this instance. */
  releasedBy(parent: EpollImpl): void {
    this.parents.delete(parent);
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return this.hasEvents() ? mask & (POLL.IN | POLL.RDNORM) : 0;
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.waiters.subscribe(mask, cb);
  }

  override read(): number {
    throw new SysError(Errno.EINVAL);
  }
  override write(): number {
    throw new SysError(Errno.EINVAL);
  }
  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }

  override release(): void {
    for (const byFd of this.items.values()) {
      for (const item of byFd.values()) {
        item.unsubscribe();
        if (item.file.impl instanceof EpollImpl) item.file.impl.releasedBy(this);
      }
    }
    this.items.clear();
    this.ready.clear();
  }

  /** Number of watched items (for tests). */
  get size(): number {
    let n = 0;
    for (const byFd of this.items.values()) n += byFd.size;
    return n;
  }
}

/**
 * Whether epoll can watch `file`: regular files and directories have no
 * poll operation on Linux, and epoll_ctl refuses them with EPERM.
 */
export function epollCanWatch(file: FileDescription): boolean {
  const type = file.stat().mode & S.IFMT;
  return type !== S.IFREG && type !== S.IFDIR;
}

/** A new epoll description (`anon_inode:[eventpoll]`); the caller owns its reference. */
export function createEpoll(statusFlags: number): FileDescription {
  return anonFile('[eventpoll]', new EpollImpl(), statusFlags);
}
