// A Clock backed by the host's event loop (globalThis timers and
// performance.now()). It is the only place in the package that touches real
// timers; pass it to a Stack when running outside tests.

import type { Clock, Timer } from './clock.js';

/** Event-loop clock: zero-delay timers use setImmediate so I/O is not starved. */
export class RealClock implements Clock {
  private readonly origin = performance.now();

  now(): number {
    return performance.now() - this.origin;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    if (delayMs <= 0) {
      const h = setImmediate(callback);
      return { cancel: () => clearImmediate(h) };
    }
    const h = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(h) };
  }
}
