import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpuTimers } from './cpu-time.js';

/** A manual tick source standing in for the kernel's setTimer. */
function fakeTimers() {
  const pending = new Set<() => void>();
  const setTimer = (_ms: number, fn: () => void) => {
    pending.add(fn);
    return () => pending.delete(fn);
  };
  const tick = () => {
    const due = [...pending];
    pending.clear();
    for (const fn of due) fn();
  };
  return {
    setTimer,
    tick,
    get armed() {
      return pending.size;
    },
  };
}

describe('CpuTimers', () => {
  it('fires each timer at the first tick its clock has reached the deadline, never before, and only once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ deadline: fc.bigInt(0n, 100n), cancelAt: fc.option(fc.nat(20)) }), { maxLength: 12 }),
        fc.array(fc.bigInt(0n, 15n), { minLength: 1, maxLength: 20 }),
        (timers, steps) => {
          const ticks = fakeTimers();
          const queue = new CpuTimers(ticks.setTimer);
          let clock = 0n;
          let step = 0;
          const fired: Array<{ index: number; at: bigint; step: number }> = [];
          const cancels = timers.map((t, index) =>
            queue.add(
              () => clock,
              t.deadline,
              () => fired.push({ index, at: clock, step }),
            ),
          );
          const cancelled = new Map<number, number>();
          steps.forEach((advance, i) => {
            step = i;
            timers.forEach((t, index) => {
              if (t.cancelAt === i) {
                cancels[index]();
                cancelled.set(index, i);
              }
            });
            clock += advance;
            ticks.tick();
          });
          for (const f of fired) expect(f.at).toBeGreaterThanOrEqual(timers[f.index].deadline);
          expect(new Set(fired.map((f) => f.index)).size).toBe(fired.length);
          timers.forEach((t, index) => {
            const firing = fired.find((f) => f.index === index);
            const cancelStep = cancelled.get(index);
            // A cancelled timer fires only at a tick before its cancellation; any other fires once its clock gets there.
            if (cancelStep === undefined) expect(firing !== undefined).toBe(t.deadline <= clock);
            else if (firing) expect(firing.step).toBeLessThan(cancelStep);
          });
          // No tick keeps running once nothing is armed.
          expect(ticks.armed).toBe(queue.size > 0 ? 1 : 0);
        },
      ),
    );
  });
});
