import { Errno } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordReader } from './record-reader.js';

/** The page size of these tests: small, so reads cross pages often. */
const PAGE = 16;

/**
 * One read(2) of `size` bytes at offset `start` in its page, the way the
 * kernel hands it over: chunks split at page boundaries, stopping after a
 * short one.
 */
function readInChunks(reader: RecordReader, start: number, size: number, peek: () => number | undefined, next: () => Uint8Array): Uint8Array {
  const buf = new Uint8Array(start + size).subarray(start);
  const cuts: number[] = [];
  for (let c = PAGE - start; c < size; c += PAGE) if (c > 0) cuts.push(c);
  const bounds = [0, ...cuts, size];
  let done = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const chunk = buf.subarray(bounds[i], bounds[i + 1]);
    let got: number;
    try {
      got = reader.read(chunk, peek, next);
    } catch (e) {
      // As the kernel's copy loop: an error after some bytes ends the read with them.
      if (done === 0) throw e;
      break;
    }
    done += got;
    if (got < chunk.length) break;
  }
  return buf.subarray(0, done);
}

describe('RecordReader', () => {
  it('reads of any sizes, split anywhere, deliver every record byte once and in order; a read ending inside a page ends on a record boundary', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 120 }), start: fc.integer({ min: 0, max: PAGE - 1 }) }), { minLength: 1, maxLength: 30 }),
        (sizes, reads) => {
          const records = sizes.map((n, i) => new Uint8Array(n).fill(i + 1));
          const queue = [...records];
          const boundaries = new Set<number>();
          let offset = 0;
          for (const r of records) boundaries.add((offset += r.length));
          const reader = new RecordReader({ pageSize: PAGE });
          const out: number[] = [];
          let i = 0;
          while (queue.length > 0 || reader.hasCarry) {
            // Past 200 reads, a big one, so that small reads cannot starve the loop.
            const { size, start } = i < 200 ? reads[i % reads.length] : { size: 120, start: 0 };
            i++;
            const startedClean = !reader.hasCarry;
            // Too small for the next record and ending inside a page: the caller's whole buffer is too small.
            const tooSmall = startedClean && start + size < PAGE && size < queue[0].length;
            let got: Uint8Array;
            try {
              got = readInChunks(
                reader,
                start,
                size,
                () => queue[0]?.length,
                () => queue.shift()!,
              );
            } catch (e) {
              expect(e).toEqual(expect.objectContaining({ errno: Errno.EINVAL }));
              expect(tooSmall).toBe(true);
              continue;
            }
            expect(tooSmall).toBe(false);
            expect(got.length).toBeGreaterThan(0);
            out.push(...got);
            // A read ending inside a page is not the start of a split one: it ends on a record boundary.
            if (startedClean && start + size < PAGE) expect(boundaries.has(out.length)).toBe(true);
          }
          expect(Uint8Array.from(out)).toEqual(Uint8Array.from(records.flatMap((r) => [...r])));
          expect(() =>
            reader.read(
              new Uint8Array(8),
              () => undefined,
              () => new Uint8Array(0),
            ),
          ).toThrow(expect.objectContaining({ errno: Errno.EAGAIN }));
        },
      ),
    );
  });

  it('a buffer smaller than the next record is EINVAL unless it ends on a page boundary (the start of a split read)', () => {
    const rec = () => new Uint8Array(24).fill(7);
    const reader = new RecordReader({ pageSize: PAGE });
    expect(() => reader.read(new Uint8Array(32).subarray(3, 20), () => 24, rec)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    const first = new Uint8Array(32).subarray(6, 16);
    expect(reader.read(first, () => 24, rec)).toBe(10);
    expect(reader.hasCarry).toBe(true);
  });

  it('with fixed-size records, a buffer too small for one is EINVAL even when nothing is queued', () => {
    const reader = new RecordReader({ fixedSize: 24, pageSize: PAGE });
    expect(() =>
      reader.read(
        new Uint8Array(32).subarray(3, 20),
        () => undefined,
        () => new Uint8Array(24),
      ),
    ).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() =>
      reader.read(
        new Uint8Array(32).subarray(0, 28),
        () => undefined,
        () => new Uint8Array(24),
      ),
    ).toThrow(expect.objectContaining({ errno: Errno.EAGAIN }));
  });
});
