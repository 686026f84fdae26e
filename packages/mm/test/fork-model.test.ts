// Model test of copy-on-write across processes: random forks, writes (by
// the kernel or through faults), mprotect, munmap, fresh mappings and
// mremap moves in several processes that share pages. Each process must see
// exactly its own model, and the platform mirror must never let a process
// write a page that another process still holds.
import { MAP, MREMAP, PROT } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const RW = PROT.READ | PROT.WRITE;
const BASE = 0x48000000;
const N = 16;
const MAX_PROCS = 4;

const mf = MemoryFile.create('mm-fork-model-test');
afterAll(() => mf.close());

interface Page {
  prot: number;
  data: number; // one byte stands for the page's contents
}

interface Proc {
  mm: MemoryManager;
  as: FakeAddressSpace;
  pages: Array<Page | undefined>;
}

type Op =
  | { op: 'fork'; who: number }
  | { op: 'write'; who: number; page: number; byte: number; viaFault: boolean }
  | { op: 'protect'; who: number; page: number; n: number; writable: boolean }
  | { op: 'unmap'; who: number; page: number; n: number }
  | { op: 'map'; who: number; page: number; n: number }
  | { op: 'move'; who: number; page: number; n: number; dest: number }
  | { op: 'exit'; who: number };

const who = fc.nat({ max: MAX_PROCS - 1 });
const page = fc.nat({ max: N - 1 });
const n = fc.integer({ min: 1, max: 4 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('fork' as const), who }),
  fc.record({ op: fc.constant('write' as const), who, page, byte: fc.integer({ min: 1, max: 255 }), viaFault: fc.boolean() }),
  fc.record({ op: fc.constant('write' as const), who, page, byte: fc.integer({ min: 1, max: 255 }), viaFault: fc.boolean() }),
  fc.record({ op: fc.constant('protect' as const), who, page, n, writable: fc.boolean() }),
  fc.record({ op: fc.constant('unmap' as const), who, page, n }),
  fc.record({ op: fc.constant('map' as const), who, page, n }),
  fc.record({ op: fc.constant('move' as const), who, page, n, dest: page }),
  fc.record({ op: fc.constant('exit' as const), who }),
);

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    if (errno === undefined) throw e;
    return errno;
  }
  return 0;
}

function step(procs: Proc[], o: Op): void {
  if (procs.length === 0) return;
  const p = procs[o.who % procs.length];
  const addr = (i: number) => BASE + i * P;
  switch (o.op) {
    case 'fork': {
      if (procs.length >= MAX_PROCS) return;
      const as = new FakeAddressSpace();
      procs.push({ mm: p.mm.fork(as), as, pages: p.pages.map((x) => (x === undefined ? undefined : { ...x })) });
      return;
    }
    case 'exit': {
      p.mm.release();
      procs.splice(procs.indexOf(p), 1);
      return;
    }
    case 'write': {
      const m = p.pages[o.page];
      const writable = m !== undefined && (m.prot & PROT.WRITE) !== 0;
      if (o.viaFault) {
        // The application stores through its mapping, faulting first if the mirror says read-only.
        let mirrored = p.as.pages.get(addr(o.page));
        if (mirrored === undefined || (mirrored.prot & PROT.WRITE) === 0) {
          const r = p.mm.handleFault(addr(o.page), true);
          if (!writable) {
            expect(r).not.toBe('fixed');
            return;
          }
          expect(r).toBe('fixed');
          mirrored = p.as.pages.get(addr(o.page))!;
        }
        expect(writable).toBe(true);
        mf.bytes(mirrored.fileOffset, 1)[0] = o.byte;
      } else {
        expect(errnoOf(() => p.mm.copyOut(addr(o.page), new Uint8Array([o.byte])))).toBe(writable ? 0 : 14);
        if (!writable) return;
      }
      m!.data = o.byte;
      return;
    }
    case 'protect': {
      const count = Math.min(o.n, N - o.page);
      const prot = o.writable ? RW : PROT.READ;
      let expected = 0;
      for (let i = o.page; i < o.page + count; i++) {
        const m = p.pages[i];
        if (m === undefined) {
          expected = 12;
          break;
        }
        m.prot = prot;
      }
      expect(errnoOf(() => p.mm.mprotect(addr(o.page), count * P, prot))).toBe(expected);
      return;
    }
    case 'unmap': {
      p.mm.munmap(addr(o.page), o.n * P);
      for (let i = o.page; i < Math.min(N, o.page + o.n); i++) p.pages[i] = undefined;
      return;
    }
    case 'map': {
      const count = Math.min(o.n, N - o.page);
      p.mm.mmap({ addr: addr(o.page), length: count * P, prot: RW, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED });
      for (let i = o.page; i < o.page + count; i++) p.pages[i] = { prot: RW, data: 0 };
      return;
    }
    case 'move': {
      const count = Math.min(o.n, N - o.page, N - o.dest);
      if (o.page < o.dest + count && o.dest < o.page + count) return; // overlapping moves are EINVAL
      if (p.pages[o.page] === undefined) {
        expect(errnoOf(() => p.mm.mremap(addr(o.page), count * P, count * P, MREMAP.MAYMOVE | MREMAP.FIXED, addr(o.dest)))).toBe(14);
        return;
      }
      p.mm.mremap(addr(o.page), count * P, count * P, MREMAP.MAYMOVE | MREMAP.FIXED, addr(o.dest));
      const src = p.pages.slice(o.page, o.page + count);
      for (let i = 0; i < count; i++) if (src[i] !== undefined) p.pages[o.page + i] = undefined;
      for (let i = 0; i < count; i++) if (src[i] !== undefined) p.pages[o.dest + i] = src[i];
      return;
    }
  }
}

function check(procs: Proc[]): void {
  for (const p of procs) {
    for (let i = 0; i < N; i++) {
      const m = p.pages[i];
      const a = BASE + i * P;
      const mirrored = p.as.pages.get(a);
      if (m === undefined) {
        expect(mirrored).toBeUndefined();
        expect(errnoOf(() => p.mm.copyIn(a, 1))).toBe(14);
        continue;
      }
      expect(p.mm.copyIn(a, 1)[0]).toBe(m.data);
      if (mirrored === undefined) continue; // not populated yet (WIPEONFORK-like cases)
      // The mirror never grants more than the VMA, shows the right page, and
      // grants write only to pages no other process holds.
      expect(mirrored.prot & ~m.prot).toBe(0);
      expect(mf.bytes(mirrored.fileOffset, 1)[0]).toBe(m.data);
      if ((mirrored.prot & PROT.WRITE) !== 0) expect(mf.refCount(mirrored.fileOffset)).toBe(1);
    }
  }
}

describe('copy-on-write across processes', () => {
  it('keeps every process on its own model whatever they do to shared pages', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const baseline = mf.allocatedBytes();
        const as = new FakeAddressSpace();
        const first: Proc = { mm: new MemoryManager(mf, as), as, pages: new Array<Page | undefined>(N).fill(undefined) };
        first.mm.mmap({ addr: BASE, length: N * P, prot: RW, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED });
        first.pages.fill(undefined);
        for (let i = 0; i < N; i++) first.pages[i] = { prot: RW, data: 0 };
        const procs = [first];
        try {
          for (const o of ops) {
            step(procs, o);
            check(procs);
          }
        } finally {
          for (const p of procs) p.mm.release();
        }
        expect(mf.allocatedBytes()).toBe(baseline);
      }),
      { numRuns: 150 },
    );
  });
});
