import { Errno, SysError } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordReader } from './record-reader.js';

/** One read(2) the way the kernel hands it over: chunks split at `cuts`, stopping after a short one. */
function readInChunks(reader: RecordReader, size: number, cuts: number[], peek: () => number | undefined, next: () => Uint8Array): Uint8Array {
  const buf = new Uint8Array(size);
  const bounds = [0, ...[...new Set(cuts.filter((c) => c > 0 && c < size))].sort((a, b) => a - b), size];
  let done = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const chunk = buf.subarray(bounds[i], bounds[i + 1]);
    let got: number;
    try {
      got = reader.read(chunk, peek, next);
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.EAGAIN) break;
      throw e;
    }
    done += got;
    if (got < chunk.length) break;
  }
  return buf.subarray(0, done);
}

describe('RecordReader', () => {
  it('reads of any sizes, split anywhere, deliver every record byte once and in order; an unsplit read big enough ends on a record boundary', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 120 }), cuts: fc.array(fc.integer({ min: 1, max: 119 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 30 }),
        (sizes, reads) => {
          const records = sizes.map((n, i) => new Uint8Array(n).fill(i + 1));
          const queue = [...records];
          const boundaries = new Set<number>();
          let offset = 0;
          for (const r of records) boundaries.add((offset += r.length));
          const reader = new RecordReader();
          const out: number[] = [];
          let i = 0;
          while (queue.length > 0 || reader.hasCarry) {
            const { size, cuts } = reads[i++ % reads.length];
            const startedClean = !reader.hasCarry;
            const got = readInChunks(reader, size, cuts, () => queue[0]?.length, () => queue.shift()!);
            expect(got.length).toBeGreaterThan(0);
            out.push(...got);
            if (startedClean && cuts.every((c) => c >= size) && size >= 40) expect(boundaries.has(out.length)).toBe(true);
          }
          expect(Uint8Array.from(out)).toEqual(Uint8Array.from(records.flatMap((r) => [...r])));
          expect(() => reader.read(new Uint8Array(8), () => undefined, () => new Uint8Array(0))).toThrow(SysError);
        },
      ),
    );
  });
});
