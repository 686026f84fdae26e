import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExtentAllocator } from '../src/extent-allocator.js';

const W = 64; // a small window so crossings are frequent

describe('ExtentAllocator', () => {
  it('never hands out overlapping or window-crossing ranges, and coalesces frees', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ alloc: fc.integer({ min: 1, max: W }) }), fc.record({ free: fc.nat() })), {
          maxLength: 80,
        }),
        (ops) => {
          const a = new ExtentAllocator(W);
          const live: Array<{ start: number; end: number }> = [];
          for (const op of ops) {
            if ('alloc' in op) {
              const start = a.allocate(op.alloc);
              const end = start + op.alloc;
              expect(Math.floor(start / W)).toBe(Math.floor((end - 1) / W));
              for (const r of live) expect(end <= r.start || start >= r.end).toBe(true);
              live.push({ start, end });
            } else if (live.length > 0) {
              const [r] = live.splice(op.free % live.length, 1);
              a.release(r.start, r.end - r.start);
            }
            // Free list: sorted, disjoint, not touching (coalesced), below top, disjoint from live.
            const free = a.freeExtents();
            for (let i = 0; i < free.length; i++) {
              expect(free[i].start).toBeLessThan(free[i].end);
              if (i > 0) expect(free[i - 1].end).toBeLessThan(free[i].start);
              expect(free[i].end).toBeLessThan(a.top + 1);
              for (const r of live) expect(free[i].end <= r.start || free[i].start >= r.end).toBe(true);
            }
            // Everything below top is either live or free.
            const covered = [...free, ...live].reduce((n, r) => n + (r.end - r.start), 0);
            expect(covered).toBe(a.top);
          }
          for (const r of live) a.release(r.start, r.end - r.start);
          expect(a.top).toBe(0);
          expect(a.freeExtents()).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects double frees and oversized allocations', () => {
    const a = new ExtentAllocator(W);
    const x = a.allocate(8);
    a.allocate(8);
    a.release(x, 8);
    expect(() => a.release(x, 8)).toThrow(/double free/);
    expect(() => a.allocate(W + 1)).toThrow(RangeError);
  });
});
