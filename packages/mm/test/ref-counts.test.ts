import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RefCounts } from '../src/ref-counts.js';

const N = 32; // pages, each of size 1

describe('RefCounts', () => {
  it('agrees with a per-page count array and keeps maximal runs', () => {
    const op = fc.record({
      kind: fc.constantFrom('add', 'inc', 'dec'),
      start: fc.integer({ min: 0, max: N - 1 }),
      len: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const rc = new RefCounts();
        const model = new Array<number>(N).fill(0);
        for (const { kind, start, len } of ops) {
          const end = Math.min(N, start + len);
          const pages = model.slice(start, end);
          if (kind === 'add') {
            if (pages.some((c) => c > 0)) {
              expect(() => rc.add(start, end - start)).toThrow();
              continue;
            }
            rc.add(start, end - start);
            for (let i = start; i < end; i++) model[i] = 1;
          } else if (pages.some((c) => c === 0)) {
            // Adjusting free pages is a caller bug; skip (the structure may split, which is harmless).
            continue;
          } else if (kind === 'inc') {
            rc.incRef(start, end - start);
            for (let i = start; i < end; i++) model[i]++;
          } else {
            const freed = rc.decRef(start, end - start);
            const expected: Array<{ start: number; end: number }> = [];
            for (let i = start; i < end; i++) {
              model[i]--;
              if (model[i] === 0) {
                const last = expected[expected.length - 1];
                if (last !== undefined && last.end === i) last.end = i + 1;
                else expected.push({ start: i, end: i + 1 });
              }
            }
            expect(freed).toEqual(expected);
          }
          for (let i = 0; i < N; i++) expect(rc.countAt(i)).toBe(model[i]);
          const runs = rc.runs();
          for (let i = 1; i < runs.length; i++) {
            expect(runs[i - 1].end).toBeLessThanOrEqual(runs[i].start);
            if (runs[i - 1].end === runs[i].start) expect(runs[i - 1].count).not.toBe(runs[i].count);
          }
          expect(rc.maxCount(start, end - start)).toBe(Math.max(...model.slice(start, end)));
        }
      }),
      { numRuns: 200 },
    );
  });
});
