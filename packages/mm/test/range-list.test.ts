import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeList } from '../src/range-list.js';

/** A range with a colour; neighbours of the same colour merge. */
interface Painted {
  start: number;
  end: number;
  colour: number;
}

const N = 48;

function list(): RangeList<Painted> {
  return new RangeList<Painted>(
    (item, at) => {
      const tail = { ...item, start: at };
      item.end = at;
      return tail;
    },
    (a, b) => a.colour === b.colour,
  );
}

describe('RangeList', () => {
  it('agrees with a per-unit colour array and stays sorted, disjoint and merged', () => {
    const op = fc.record({
      kind: fc.constantFrom('paint', 'erase', 'split'),
      start: fc.integer({ min: 0, max: N - 1 }),
      len: fc.integer({ min: 1, max: 10 }),
      colour: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const l = list();
        const model = new Array<number | undefined>(N).fill(undefined);
        for (const { kind, start, len, colour } of ops) {
          const end = Math.min(N, start + len);
          if (kind === 'paint') {
            l.removeRange(start, end);
            l.insert({ start, end, colour });
            model.fill(colour, start, end);
          } else if (kind === 'erase') {
            const removed = l.removeRange(start, end);
            const units = removed.reduce((n, r) => n + (r.end - r.start), 0);
            expect(units).toBe(model.slice(start, end).filter((c) => c !== undefined).length);
            model.fill(undefined, start, end);
          } else {
            l.splitAt(start);
            const [first, last] = l.isolate(start, end);
            for (let i = first; i < last; i++) {
              expect(l.items[i].start).toBeGreaterThanOrEqual(start);
              expect(l.items[i].end).toBeLessThanOrEqual(end);
            }
            l.mergeAround(first, last);
          }
          for (let i = 0; i < N; i++) {
            expect(l.find(i)?.colour).toBe(model[i]);
            expect(l.overlaps(i, i + 1)).toBe(model[i] !== undefined);
          }
          for (let i = 1; i < l.items.length; i++) {
            const a = l.items[i - 1];
            const b = l.items[i];
            expect(a.end).toBeLessThanOrEqual(b.start);
            if (a.end === b.start) expect(a.colour).not.toBe(b.colour);
          }
          const gaps = l.gaps(0, N).reduce((n, g) => n + (g.end - g.start), 0);
          expect(gaps).toBe(model.filter((c) => c === undefined).length);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses overlapping inserts', () => {
    const l = list();
    l.insert({ start: 0, end: 4, colour: 0 });
    expect(() => l.insert({ start: 3, end: 5, colour: 1 })).toThrow(/overlaps/);
  });
});
