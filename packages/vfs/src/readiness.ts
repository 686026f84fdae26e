import { POLL } from './abi.js';

/** Callback run when some of the subscribed readiness bits may have become set. */
export type ReadinessCallback = (mask: number) => void;

/**
 * The list of parties waiting on a file's readiness, like Linux's
 * wait_queue_head: files call `notify(events)` when state changes, and every
 * subscriber whose mask intersects `events` is called synchronously.
 */
export class WaiterQueue {
  private readonly waiters = new Set<{ mask: number; cb: ReadinessCallback }>();

  /** Register `cb` for `mask`; returns the unsubscribe function. */
  subscribe(mask: number, cb: ReadinessCallback): () => void {
    // POLLERR and POLLHUP are always reported, whether asked for or not.
    const entry = { mask: mask | POLL.ERR | POLL.HUP, cb };
    this.waiters.add(entry);
    return () => {
      this.waiters.delete(entry);
    };
  }

  notify(events: number): void {
    for (const w of [...this.waiters]) if (w.mask & events) w.cb(events & w.mask);
  }

  get size(): number {
    return this.waiters.size;
  }
}

/** Readiness of a file that never blocks (regular files, directories). */
export const ALWAYS_READY = POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM;
