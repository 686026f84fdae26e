import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FutexTable } from './futex.js';
import type { Task } from './task.js';

type Op =
  | { kind: 'wait'; key: number; bitset: number }
  | { kind: 'wake'; key: number; count: number; bitset: number }
  | { kind: 'requeue'; from: number; to: number; wake: number; move: number }
  | { kind: 'cancel'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), key: fc.integer({ min: 0, max: 2 }), bitset: fc.constantFrom(0xffffffff, 1, 2, 3) }),
  fc.record({
    kind: fc.constant('wake' as const),
    key: fc.integer({ min: 0, max: 2 }),
    count: fc.integer({ min: 0, max: 4 }),
    bitset: fc.constantFrom(0xffffffff, 1, 2),
  }),
  fc.record({
    kind: fc.constant('requeue' as const),
    from: fc.integer({ min: 0, max: 2 }),
    to: fc.integer({ min: 0, max: 2 }),
    wake: fc.integer({ min: 0, max: 3 }),
    move: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
);

describe('FutexTable against a FIFO model', () => {
  it('wakes the oldest matching waiters, exactly once each, and requeues in order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const table = new FutexTable();
        // The model: per key, the waiters (ids) in arrival order, with their bitsets.
        const model = new Map<string, Array<{ id: number; bitset: number }>>();
        const woken: number[] = [];
        const expectedWoken: number[] = [];
        const cancels = new Map<number, () => void>();
        let next = 0;
        const q = (k: string) => model.get(k) ?? (model.set(k, []), model.get(k)!);
        for (const op of ops) {
          if (op.kind === 'wait') {
            const id = next++;
            const key = `k${op.key}`;
            const task = { tid: id } as unknown as Task;
            cancels.set(id, table.enqueue(key, { task, bitset: op.bitset, wake: () => woken.push(id) }));
            q(key).push({ id, bitset: op.bitset });
          } else if (op.kind === 'wake') {
            const key = `k${op.key}`;
            const n = table.wake(key, op.count, op.bitset);
            const list = q(key);
            const hits = list.filter((w) => (w.bitset & op.bitset) !== 0).slice(0, op.count);
            model.set(
              key,
              list.filter((w) => !hits.includes(w)),
            );
            expectedWoken.push(...hits.map((w) => w.id));
            expect(n).toBe(hits.length);
          } else if (op.kind === 'requeue') {
            const from = `k${op.from}`;
            const to = `k${op.to}`;
            const n = table.requeue(from, to, op.wake, op.move);
            const list = q(from);
            const wakeNow = list.slice(0, op.wake);
            const rest = list.slice(op.wake);
            const moved = rest.slice(0, op.move);
            expectedWoken.push(...wakeNow.map((w) => w.id));
            if (from === to) model.set(from, [...rest.slice(op.move), ...moved]);
            else {
              model.set(from, rest.slice(op.move));
              q(to).push(...moved);
            }
            expect(n).toBe(wakeNow.length + moved.length);
          } else {
            const waiting = [...model.values()].flat();
            if (waiting.length === 0) continue;
            const victim = waiting[op.pick % waiting.length];
            cancels.get(victim.id)!();
            for (const [k, list] of model)
              model.set(
                k,
                list.filter((w) => w.id !== victim.id),
              );
          }
          expect(woken).toEqual(expectedWoken);
        }
        for (const [k, list] of model) expect(table.waiters(k).map((t) => t.tid)).toEqual(list.map((w) => w.id));
      }),
      { numRuns: 300 },
    );
  });
});
