// The stack's only notion of time. The core never touches real timers: it is
// handed a Clock, so tests drive it with a VirtualClock and the kernel (or a
// standalone program) with a RealClock tied to its event loop.

/** A scheduled callback that can be cancelled. */
export interface Timer {
  /** Prevents the callback from running if it has not run yet; idempotent. */
  cancel(): void;
}

/** A monotonic clock with one-shot timers. */
export interface Clock {
  /** Milliseconds on a monotonic timeline (fractional allowed); never decreases. */
  now(): number;
  /**
   * Runs `callback` once, no earlier than `delayMs` from now (0 = as soon as
   * the current work has finished, never synchronously inside this call).
   * Timers due at the same instant run in the order they were set.
   */
  setTimer(delayMs: number, callback: () => void): Timer;
}
