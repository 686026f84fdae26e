import { POLL } from './abi.js';

/**
 * Callback run when some of the subscribed readiness bits may have become
 * set. What it returns is ignored, except for an exclusive waiter (made by
 * `exclusiveWaiter`), which returns whether it took the wakeup.
 */
export type ReadinessCallback = (mask: number) => void;

const exclusiveCallbacks = new WeakSet<ReadinessCallback>();

/**
 * Marks `cb` as an exclusive waiter (epoll's EPOLLEXCLUSIVE, Linux's
 * WQ_FLAG_EXCLUSIVE): a WaiterQueue's notify calls every ordinary waiter,
 * then the exclusive ones in the order they subscribed until one returns
 * true, so one event wakes one of them. A file whose readiness does not go
 * through a WaiterQueue treats it as an ordinary waiter (Linux promises
 * "one or more" woken). Returns `cb`, to pass to `subscribe`.
 */
export function exclusiveWaiter(cb: (mask: number) => boolean): ReadinessCallback {
  exclusiveCallbacks.add(cb);
  return cb;
}

/**
 * The list of parties waiting on a file's readiness, like Linux's
 * wait_queue_head: files call `notify(events)` when state changes, and every
 * subscriber whose mask intersects `events` is called synchronously, except
 * that of the exclusive waiters only the first to take the wakeup is.
 */
export class WaiterQueue {
  private readonly waiters = new Set<{ mask: number; cb: ReadinessCallback; exclusive: boolean }>();

  /** Register `cb` for `mask`; returns the unsubscribe function. */
  subscribe(mask: number, cb: ReadinessCallback): () => void {
    // POLLERR and POLLHUP are always reported, whether asked for or not.
    const entry = { mask: mask | POLL.ERR | POLL.HUP, cb, exclusive: exclusiveCallbacks.has(cb) };
    this.waiters.add(entry);
    return () => {
      this.waiters.delete(entry);
    };
  }

  /**
   * Calls every ordinary waiter whose mask intersects `events`, then the
   * matching exclusive waiters in subscription order until one returns true
   * (Linux's __wake_up_common with one exclusive wakeup).
   */
  notify(events: number): void {
    const all = [...this.waiters];
    let exclusive = false;
    for (const w of all) {
      if (w.exclusive) exclusive = true;
      else if (w.mask & events) w.cb(events & w.mask);
    }
    if (!exclusive) return;
    for (const w of all) {
      if (!w.exclusive || !(w.mask & events) || !this.waiters.has(w)) continue;
      const took: unknown = w.cb(events & w.mask);
      if (took === true) break;
    }
  }

  get size(): number {
    return this.waiters.size;
  }
}

/** Readiness of a file that never blocks (regular files, directories). */
export const ALWAYS_READY = POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM;
