import { Errno, POLL, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTimerFd, TimerFdImpl, type TimerEnvironment } from './timerfd.js';

const MS = 1_000_000n;

/** A clock the test moves by hand, and the host timers armed on it. */
class FakeTime implements TimerEnvironment {
  nowNs = 1000n * MS;
  timers: Array<{ at: bigint; fn: () => void; live: boolean }> = [];
  now(): bigint {
    return this.nowNs;
  }
  schedule(ms: number, fn: () => void): () => void {
    const t = { at: this.nowNs + BigInt(ms) * MS, fn, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }
  /** Moves the clock, firing due timers in order (each may arm the next). */
  advance(ns: bigint): void {
    const end = this.nowNs + ns;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => Number(a.at - b.at))[0];
      if (!due) break;
      due.live = false;
      this.nowNs = due.at > this.nowNs ? due.at : this.nowNs;
      due.fn();
    }
    this.nowNs = end;
  }
  get armed(): number {
    return this.timers.filter((t) => t.live).length;
  }
}

function timer(time: FakeTime): [FileDescription, TimerFdImpl] {
  const file = createTimerFd(1, time, 0);
  return [file, file.impl as TimerFdImpl];
}

function readCount(file: FileDescription): bigint | 'EAGAIN' {
  const buf = new Uint8Array(8);
  try {
    file.read(buf);
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.EAGAIN) return 'EAGAIN';
    throw e;
  }
  return new DataView(buf.buffer).getBigUint64(0, true);
}

describe('timerfd', () => {
  it('counts interval expirations from the clock: 1 + floor((elapsed - value) / interval)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 3000 }), (value, interval, elapsed) => {
        const time = new FakeTime();
        const [file, impl] = timer(time);
        impl.set({ value: BigInt(value) * MS, interval: BigInt(interval) * MS }, false);
        time.advance(BigInt(elapsed) * MS);
        const want = elapsed < value ? 0 : 1 + Math.floor((elapsed - value) / interval);
        expect(readCount(file)).toBe(want === 0 ? 'EAGAIN' : BigInt(want));
        // A read resets the count.
        expect(readCount(file)).toBe('EAGAIN');
        file.decRef();
        expect(time.armed).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('wakes waiters when it expires, reports the time left, and disarms with a zero value (returning the old setting)', () => {
    const time = new FakeTime();
    const [file, impl] = timer(time);
    let wakes = 0;
    file.subscribe(POLL.IN, () => wakes++);
    impl.set({ value: 100n * MS, interval: 0n }, false);
    time.advance(40n * MS);
    expect(impl.get()).toEqual({ value: 60n * MS, interval: 0n });
    expect(file.readiness(POLL.IN)).toBe(0);
    time.advance(60n * MS);
    expect(wakes).toBe(1);
    expect(file.readiness(POLL.IN)).toBe(POLL.IN);
    expect(impl.get()).toEqual({ value: 0n, interval: 0n });
    impl.set({ value: 50n * MS, interval: 10n * MS }, false);
    const old = impl.set({ value: 0n, interval: 0n }, false);
    expect(old).toEqual({ value: 50n * MS, interval: 10n * MS });
    // Re-setting dropped the pending expiration.
    expect(readCount(file)).toBe('EAGAIN');
    expect(time.armed).toBe(0);
  });

  it('a timer beyond the host timer limit (~24.8 days) does not fire early', () => {
    const time = new FakeTime();
    const [file, impl] = timer(time);
    const days40 = 40n * 86_400_000n * MS;
    impl.set({ value: days40, interval: 0n }, false);
    time.advance(days40 - MS);
    expect(readCount(file)).toBe('EAGAIN');
    let wakes = 0;
    file.subscribe(POLL.IN, () => wakes++);
    time.advance(MS);
    expect(wakes).toBe(1);
    expect(readCount(file)).toBe(1n);
  });

  it('an absolute time in the past expires at once; short reads are EINVAL', () => {
    const time = new FakeTime();
    const [file, impl] = timer(time);
    impl.set({ value: 10n * MS, interval: 0n }, true);
    expect(() => file.read(new Uint8Array(4))).toThrow(SysError);
    expect(readCount(file)).toBe(1n);
  });
});
