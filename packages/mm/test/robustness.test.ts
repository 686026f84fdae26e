// Robustness: any sequence of calls with any arguments (unaligned, huge,
// overlapping, nonsensical flags) either succeeds or throws a SysError — the
// sentry must never crash on what an application passes — and leaves the
// structures consistent: sorted VMAs, backing inside them and mirrored
// exactly, live memory-file references, and nothing leaked at the end.
import { MAP, MREMAP, SysError } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE, TASK_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const BASE = 0x30000000;

const mf = MemoryFile.create('mm-robustness-test');
afterAll(() => mf.close());

/** Addresses near the test region, odd ones and extremes. */
const addr = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 48 }).map((i) => BASE + i * P) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 48 * P }).map((o) => BASE + o) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, P, TASK_SIZE - P, TASK_SIZE, 2 ** 47, 2 ** 53 - 1) },
);
const len = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => n * P) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 9 * P }) },
  { weight: 1, arbitrary: fc.constantFrom(0, TASK_SIZE, 2 ** 40, 2 ** 53 - 1) },
);
const bits = fc.integer({ min: 0, max: 0x3fffffff });

type Call = { name: string; args: readonly number[] };
const call: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    name: fc.constant('mmap'),
    args: fc.tuple(
      addr,
      len,
      fc.integer({ min: 0, max: 7 }),
      fc.oneof(
        bits,
        fc.constantFrom(
          MAP.PRIVATE | MAP.ANONYMOUS,
          MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED,
          MAP.SHARED | MAP.ANONYMOUS | MAP.FIXED,
          MAP.PRIVATE | MAP.ANONYMOUS | MAP.GROWSDOWN | MAP.FIXED,
        ),
      ),
    ),
  }),
  fc.record({ name: fc.constant('munmap'), args: fc.tuple(addr, len) }),
  fc.record({ name: fc.constant('mprotect'), args: fc.tuple(addr, len, fc.oneof(fc.integer({ min: 0, max: 7 }), bits)) }),
  fc.record({
    name: fc.constant('mremap'),
    args: fc.tuple(addr, len, len, fc.oneof(fc.constantFrom(0, MREMAP.MAYMOVE, MREMAP.MAYMOVE | MREMAP.FIXED, MREMAP.MAYMOVE | MREMAP.DONTUNMAP), bits), addr),
  }),
  fc.record({ name: fc.constant('brk'), args: fc.tuple(addr) }),
  fc.record({ name: fc.constant('madvise'), args: fc.tuple(addr, len, fc.integer({ min: 0, max: 30 })) }),
  fc.record({ name: fc.constant('mlock'), args: fc.tuple(addr, len) }),
  fc.record({ name: fc.constant('munlock'), args: fc.tuple(addr, len) }),
  fc.record({ name: fc.constant('msync'), args: fc.tuple(addr, len, fc.integer({ min: 0, max: 7 })) }),
  fc.record({ name: fc.constant('mincore'), args: fc.tuple(addr, len) }),
  fc.record({ name: fc.constant('copyOut'), args: fc.tuple(addr, fc.integer({ min: 0, max: 3 * P })) }),
  fc.record({ name: fc.constant('copyIn'), args: fc.tuple(addr, fc.integer({ min: 0, max: 3 * P })) }),
  fc.record({ name: fc.constant('readCString'), args: fc.tuple(addr, fc.integer({ min: 0, max: 3 * P })) }),
  fc.record({ name: fc.constant('fault'), args: fc.tuple(addr, fc.integer({ min: 0, max: 2 })) }),
  fc.record({ name: fc.constant('fork'), args: fc.constant([]) }),
);

function run(mm: MemoryManager, c: Call, forks: MemoryManager[]): void {
  const [a, b, x, y, z] = c.args;
  switch (c.name) {
    case 'mmap':
      mm.mmap({ addr: a, length: b, prot: x, flags: y });
      return;
    case 'munmap':
      mm.munmap(a, b);
      return;
    case 'mprotect':
      mm.mprotect(a, b, x);
      return;
    case 'mremap':
      mm.mremap(a, b, x, y, z);
      return;
    case 'brk':
      mm.brk(a);
      return;
    case 'madvise':
      mm.madvise(a, b, x);
      return;
    case 'mlock':
      mm.mlock(a, b);
      return;
    case 'munlock':
      mm.munlock(a, b);
      return;
    case 'msync':
      mm.msync(a, b, x);
      return;
    case 'mincore':
      mm.mincore(a, b);
      return;
    case 'copyOut':
      mm.copyOut(a, new Uint8Array(b).fill(7));
      return;
    case 'copyIn':
      mm.copyIn(a, b);
      return;
    case 'readCString':
      mm.readCString(a, b);
      return;
    case 'fault':
      mm.handleFault(a, x === 1, x === 2);
      return;
    case 'fork':
      if (forks.length < 3) forks.push(mm.fork(new FakeAddressSpace()));
      return;
  }
}

function checkConsistent(mm: MemoryManager, as: FakeAddressSpace): void {
  const vmas = mm.vmaList();
  for (let i = 0; i < vmas.length; i++) {
    expect(vmas[i].start).toBeLessThan(vmas[i].end);
    expect(vmas[i].start % P).toBe(0);
    expect(vmas[i].end % P).toBe(0);
    if (i > 0) expect(vmas[i - 1].end).toBeLessThanOrEqual(vmas[i].start);
  }
  const inVma = (a: number) => vmas.some((v) => v.start <= a && a < v.end);
  let backed = 0;
  for (const p of mm.backingList()) {
    for (let a = p.start; a < p.end; a += P) {
      expect(inVma(a)).toBe(true);
      const m = as.pages.get(a);
      expect(m).toBeDefined();
      expect(m!.fileOffset).toBe(p.off + (a - p.start));
      expect(mf.refCount(m!.fileOffset)).toBeGreaterThan(0);
      backed++;
    }
  }
  // The mirror holds exactly the backed pages.
  expect(as.pages.size).toBe(backed);
}

describe('robustness', () => {
  it('never throws anything but SysError and stays consistent', () => {
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 25 }), (calls) => {
        const baseline = mf.allocatedBytes();
        const as = new FakeAddressSpace();
        const mm = new MemoryManager(mf, as);
        mm.setBrkStart(BASE + 20 * P);
        const forks: MemoryManager[] = [];
        try {
          for (const c of calls) {
            try {
              run(mm, c, forks);
            } catch (e) {
              if (!(e instanceof SysError)) throw e;
            }
            checkConsistent(mm, as);
          }
        } finally {
          for (const f of forks) f.release();
          mm.release();
        }
        expect(mf.allocatedBytes()).toBe(baseline);
      }),
      { numRuns: 150 },
    );
  });
});
