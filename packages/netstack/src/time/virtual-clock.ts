// A deterministic Clock for tests: time moves only when the test advances it.

import type { Clock, Timer } from './clock.js';

interface Entry {
  at: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/** A Clock whose time is advanced explicitly; timers fire in (time, insertion) order. */
export class VirtualClock implements Clock {
  private time = 0;
  private order = 0;
  private heap: Entry[] = [];

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const e: Entry = { at: this.time + Math.max(0, delayMs), order: this.order++, callback, cancelled: false };
    this.push(e);
    return {
      cancel: () => {
        e.cancelled = true;
      },
    };
  }

  /** Number of live (uncancelled) timers. */
  get pending(): number {
    return this.heap.filter((e) => !e.cancelled).length;
  }

  /** Time of the next live timer, or null if none. */
  nextDeadline(): number | null {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    return this.heap.length > 0 ? this.heap[0].at : null;
  }

  /** Runs every timer due at or before now + ms, then sets the time to now + ms. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const next = this.nextDeadline();
      if (next === null || next > target) break;
      this.runNext();
    }
    this.time = target;
  }

  /**
   * Runs timers in order (jumping time forward) until `done()` holds or no
   * timer is left or `maxMs` of virtual time has passed. Returns done().
   */
  runUntil(done: () => boolean, maxMs = 3_600_000): boolean {
    const limit = this.time + maxMs;
    while (!done()) {
      const next = this.nextDeadline();
      if (next === null || next > limit) return done();
      this.runNext();
    }
    return true;
  }

  /** Runs all timers due now (zero-delay work included) without moving time. */
  runDue(): void {
    this.advance(0);
  }

  private runNext(): void {
    const e = this.pop();
    if (!e || e.cancelled) return;
    if (e.at > this.time) this.time = e.at;
    e.callback();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
