// Model-based test: random sequences of mmap/munmap/mprotect/mremap/brk and
// writes run against MemoryManager and against a page-array model of Linux's
// rules. After every step the VMA list, permissions, contents and the
// platform mirror must agree with the model.
import { Errno, MADV, MAP, MREMAP, PROT } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import type { MappableFile, MemoryFileRange } from '../src/mappable-file.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const BASE = 0x10000000;
const N = 40; // pages in the test region

const mf = MemoryFile.create('mm-model-test');
afterAll(() => mf.close());

/** An in-memory file (10.5 pages of a byte pattern) for private file mappings. */
class FakeFile implements MappableFile {
  readonly mapsName: string = '/fake/file';
  readonly dev = 0x801;
  readonly ino = 4242;
  readonly content = Uint8Array.from({ length: 10 * P + P / 2 }, (_, i) => (((i * 7) >> 3) % 251) + 1);
  size(): number {
    return this.content.length;
  }
  readAt(offset: number, dst: Uint8Array): number {
    const src = this.content.subarray(offset, offset + dst.length);
    dst.set(src);
    return src.length;
  }
  /** VMAs referring to the file, by the mapped/unmapped hooks. */
  mappings = 0;
  mapped(): void {
    this.mappings++;
  }
  unmapped(): void {
    this.mappings--;
  }
}
const file = new FakeFile();

/**
 * The same contents held in memory-file pages, as a page-cache file would
 * (it offers sharedPages): private mappings start on these pages
 * copy-on-write.
 */
class CachedFile extends FakeFile {
  override readonly mapsName = '/fake/cached';
  readonly pages = Math.ceil(this.content.length / P);
  readonly offset = mf.allocate(this.pages * P);
  constructor() {
    super();
    mf.bytes(this.offset, this.content.length).set(this.content);
  }
  sharedPages(offset: number, length: number): MemoryFileRange[] {
    if (offset + length > this.pages * P) throw new Error('past the end of the cached file');
    return [{ fileOffset: this.offset + offset, length }];
  }
}
const cachedFile = new CachedFile();
const CACHED_PAGES = cachedFile.pages;

interface PageState {
  prot: number;
  shared: boolean;
  file: FakeFile | null;
  /** For MAP_SHARED|MAP_ANONYMOUS: which mmap call made it (each is its own object). */
  shmem: number;
  /** The file (or shared object) page this page maps. */
  fpage: number;
  account: boolean;
  noReserve: boolean;
  locked: boolean;
  /** False while a private page of the cached file is still the file's own page (mapped read-only). */
  own: boolean;
  data: Uint8Array;
}

interface Model {
  pages: Array<PageState | undefined>;
  brkStart: number;
  brk: number;
}

interface ModelVma {
  start: number;
  end: number;
  prot: number;
  shared: boolean;
  account: boolean;
  fileOffset: number;
  /** What the VMA maps: a test file, shared anonymous memory, or nothing (private anonymous). */
  backing: string;
}

let nextShmem = 1;
/** The size in pages of each MAP_SHARED|MAP_ANONYMOUS object (fixed at mmap: mremap does not grow it). */
const shmemPages = new Map<number, number>();

/** Whether the page lies wholly past the end of the object it maps: it has no backing, and touching it is SIGBUS (EFAULT for a syscall). */
function pastEnd(p: PageState): boolean {
  if (p.file !== null) return p.fpage >= Math.ceil(p.file.size() / P);
  return p.shmem !== 0 && p.fpage >= shmemPages.get(p.shmem)!;
}
const addrOf = (i: number) => BASE + i * P;
const pageOf = (addr: number) => (addr - BASE) / P;

function filePage(fpage: number): Uint8Array {
  const d = new Uint8Array(P);
  d.set(file.content.subarray(fpage * P, fpage * P + P));
  return d;
}

function mergeable(a: PageState, b: PageState): boolean {
  return (
    a.prot === b.prot &&
    a.shared === b.shared &&
    a.file === b.file &&
    a.shmem === b.shmem &&
    a.account === b.account &&
    a.noReserve === b.noReserve &&
    a.locked === b.locked &&
    ((a.file === null && a.shmem === 0) || a.fpage + 1 === b.fpage)
  );
}

function modelVmas(m: Model): ModelVma[] {
  const out: ModelVma[] = [];
  for (let i = 0; i < N; i++) {
    const p = m.pages[i];
    if (p === undefined) continue;
    const prev = m.pages[i - 1];
    const last = out[out.length - 1];
    if (i > 0 && prev !== undefined && last !== undefined && last.end === addrOf(i) && mergeable(prev, p)) {
      last.end = addrOf(i + 1);
    } else {
      out.push({
        start: addrOf(i),
        end: addrOf(i + 1),
        prot: p.prot,
        shared: p.shared,
        account: p.account,
        fileOffset: p.file !== null || p.shmem !== 0 ? p.fpage * P : 0,
        backing: p.file !== null ? p.file.mapsName : p.shared ? '/dev/zero (deleted)' : 'none',
      });
    }
  }
  return out;
}

type Kind = 'anon' | 'noreserve' | 'shared' | 'file' | 'cached';

type Op =
  | { op: 'mmap'; a: number; n: number; prot: number; kind: Kind; fpage: number; noReplace: boolean }
  | { op: 'munmap'; a: number; n: number }
  | { op: 'mprotect'; a: number; n: number; prot: number }
  | { op: 'mremap'; a: number; oldN: number; newN: number; move: boolean; dest: number }
  | { op: 'brk'; pages: number; extra: number }
  | { op: 'dontneed'; a: number; n: number }
  | { op: 'lock'; a: number; n: number; lock: boolean }
  | { op: 'write'; a: number; off: number; len: number; byte: number };

const page = fc.integer({ min: 0, max: N - 1 });
const count = fc.integer({ min: 1, max: 8 });
const prot = fc.integer({ min: 0, max: 7 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('mmap' as const),
    a: page,
    n: count,
    prot,
    kind: fc.constantFrom<Kind>('anon', 'anon', 'noreserve', 'shared', 'file', 'cached'),
    fpage: fc.integer({ min: 0, max: 8 }),
    noReplace: fc.boolean(),
  }),
  fc.record({ op: fc.constant('munmap' as const), a: page, n: count }),
  fc.record({ op: fc.constant('mprotect' as const), a: page, n: count, prot }),
  fc.record({ op: fc.constant('mremap' as const), a: page, oldN: fc.integer({ min: 0, max: 6 }), newN: count, move: fc.boolean(), dest: page }),
  fc.record({ op: fc.constant('brk' as const), pages: fc.integer({ min: 0, max: 14 }), extra: fc.integer({ min: 0, max: P - 1 }) }),
  fc.record({ op: fc.constant('dontneed' as const), a: page, n: count }),
  fc.record({ op: fc.constant('lock' as const), a: page, n: count, lock: fc.boolean() }),
  fc.record({
    op: fc.constant('write' as const),
    a: page,
    off: fc.integer({ min: 0, max: P - 1 }),
    len: fc.integer({ min: 1, max: P + 64 }),
    byte: fc.integer({ min: 1, max: 255 }),
  }),
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

/** Runs one op on both; returns nothing, asserts the outcomes agree. */
function step(mm: MemoryManager, m: Model, o: Op): void {
  switch (o.op) {
    case 'mmap': {
      const n = Math.min(o.n, N - o.a);
      const overlaps = m.pages.slice(o.a, o.a + n).some((p) => p !== undefined);
      const flags =
        (o.kind === 'shared' ? MAP.SHARED : MAP.PRIVATE) |
        (o.kind === 'file' || o.kind === 'cached' ? 0 : MAP.ANONYMOUS) |
        (o.kind === 'noreserve' ? MAP.NORESERVE : 0) |
        (o.noReplace ? MAP.FIXED_NOREPLACE : MAP.FIXED);
      const call = () =>
        mm.mmap({
          addr: addrOf(o.a),
          length: n * P,
          prot: o.prot,
          flags,
          file: o.kind === 'file' ? file : o.kind === 'cached' ? cachedFile : undefined,
          offset: o.kind === 'file' || o.kind === 'cached' ? o.fpage * P : 0,
        });
      if (o.noReplace && overlaps) {
        expect(errnoOf(call)).toBe(Errno.EEXIST);
        return;
      }
      expect(call()).toBe(addrOf(o.a));
      const shmem = o.kind === 'shared' ? nextShmem++ : 0;
      if (shmem !== 0) shmemPages.set(shmem, n);
      const isFile = o.kind === 'file' || o.kind === 'cached';
      for (let i = 0; i < n; i++) {
        m.pages[o.a + i] = {
          prot: o.prot,
          shared: o.kind === 'shared',
          file: o.kind === 'file' ? file : o.kind === 'cached' ? cachedFile : null,
          shmem,
          fpage: isFile ? o.fpage + i : o.kind === 'shared' ? i : 0,
          account: o.kind !== 'shared' && o.kind !== 'noreserve' && (o.prot & PROT.WRITE) !== 0,
          noReserve: o.kind === 'noreserve',
          locked: false,
          own: o.kind !== 'cached' || o.fpage + i >= CACHED_PAGES,
          data: isFile ? filePage(o.fpage + i) : new Uint8Array(P),
        };
      }
      return;
    }
    case 'munmap': {
      mm.munmap(addrOf(o.a), o.n * P);
      for (let i = o.a; i < Math.min(N, o.a + o.n); i++) m.pages[i] = undefined;
      return;
    }
    case 'mprotect': {
      const n = Math.min(o.n, N - o.a);
      let expected = 0;
      for (let i = o.a; i < o.a + n; i++) {
        const p = m.pages[i];
        if (p === undefined) {
          expected = Errno.ENOMEM;
          break;
        }
        if ((o.prot & PROT.WRITE) !== 0 && !p.account && (p.prot & PROT.WRITE) === 0 && !p.shared && !p.noReserve) {
          p.account = true;
        }
        p.prot = o.prot;
      }
      expect(errnoOf(() => mm.mprotect(addrOf(o.a), n * P, o.prot))).toBe(expected);
      return;
    }
    case 'mremap':
      return stepMremap(mm, m, o);
    case 'brk':
      return stepBrk(mm, m, BASE + o.pages * P + o.extra);
    case 'dontneed': {
      const n = Math.min(o.n, N - o.a);
      let expected = 0;
      for (let i = o.a; i < o.a + n; i++) {
        const p = m.pages[i];
        if (p === undefined) {
          expected = Errno.ENOMEM;
          continue;
        }
        if (p.locked) {
          expected = Errno.EINVAL;
          break;
        }
        if (!p.shared) {
          p.data = p.file !== null ? filePage(p.fpage) : new Uint8Array(P);
          p.own = p.file !== cachedFile || p.fpage >= CACHED_PAGES;
        }
      }
      expect(errnoOf(() => mm.madvise(addrOf(o.a), n * P, MADV.DONTNEED))).toBe(expected);
      return;
    }
    case 'lock': {
      const n = Math.min(o.n, N - o.a);
      let expected = 0;
      for (let i = o.a; i < o.a + n; i++) {
        const p = m.pages[i];
        if (p === undefined) {
          expected = Errno.ENOMEM;
          break;
        }
        p.locked = o.lock;
        // PROT_NONE pages are locked but cannot be populated: ENOMEM after the walk.
        if (o.lock && (p.prot & 7) === 0) expected = Errno.ENOMEM;
      }
      const call = () => (o.lock ? mm.mlock(addrOf(o.a), n * P) : mm.munlock(addrOf(o.a), n * P));
      expect(errnoOf(call)).toBe(expected);
      return;
    }
    case 'write': {
      const start = addrOf(o.a) + o.off;
      const len = Math.min(o.len, addrOf(N) - start);
      let expected = 0;
      for (let pos = start; pos < start + len;) {
        const i = Math.floor(pageOf(pos));
        const p = m.pages[i];
        if (p === undefined || (p.prot & PROT.WRITE) === 0 || pastEnd(p)) {
          expected = Errno.EFAULT;
          break;
        }
        const end = Math.min(start + len, addrOf(i + 1));
        p.data.fill(o.byte, pos - addrOf(i), end - addrOf(i));
        p.own = true;
        pos = end;
      }
      expect(errnoOf(() => mm.copyOut(start, new Uint8Array(len).fill(o.byte)))).toBe(expected);
      return;
    }
  }
}

function stepMremap(mm: MemoryManager, m: Model, o: Extract<Op, { op: 'mremap' }>): void {
  let oldN = Math.min(o.oldN, N - o.a);
  const flags = o.move ? MREMAP.MAYMOVE | MREMAP.FIXED : 0;
  const dest = o.move ? o.dest : o.a;
  const newN = Math.min(o.newN, N - dest);
  const call = () => mm.mremap(addrOf(o.a), oldN * P, newN * P, flags, o.move ? addrOf(dest) : 0);
  const vmaAt = (i: number) => modelVmas(m).find((v) => v.start <= addrOf(i) && addrOf(i) < v.end);
  // Linux checks the parameters (overlap included) before looking at the VMA.
  if (o.move && o.a + oldN > dest && dest + newN > o.a) {
    expect(errnoOf(call)).toBe(Errno.EINVAL);
    return;
  }
  const v = vmaAt(o.a);
  if (v === undefined) {
    expect(errnoOf(call)).toBe(Errno.EFAULT);
    return;
  }
  if (o.move && oldN === newN) {
    // A pure move carries every mapped page of the range (several VMAs and gaps allowed).
    expect(call()).toBe(addrOf(dest));
    const src = m.pages.slice(o.a, o.a + oldN);
    for (let i = 0; i < oldN; i++) {
      if (src[i] === undefined) continue;
      m.pages[o.a + i] = undefined;
    }
    for (let i = 0; i < oldN; i++) if (src[i] !== undefined) m.pages[dest + i] = src[i];
    return;
  }
  const shrink = newN < oldN;
  if (o.move || newN > oldN) {
    if (oldN === 0 && !m.pages[o.a]!.shared) {
      expect(errnoOf(call)).toBe(Errno.EINVAL);
      return;
    }
    if (addrOf(o.a + (shrink ? newN : oldN)) > v.end) {
      expect(errnoOf(call)).toBe(Errno.EFAULT);
      return;
    }
  }
  if (o.move) {
    if (oldN === 0) {
      // A duplicate aliases the same pages, which a page model cannot express:
      // check the call succeeds, then drop the duplicate again.
      for (let i = dest; i < dest + newN; i++) m.pages[i] = undefined;
      if (addrOf(o.a + newN) > v.end) {
        expect(errnoOf(call)).toBe(Errno.EFAULT);
        return;
      }
      expect(call()).toBe(addrOf(dest));
      mm.munmap(addrOf(dest), newN * P);
      return;
    }
    expect(call()).toBe(addrOf(dest));
    for (let i = dest; i < dest + newN; i++) m.pages[i] = undefined;
    if (shrink) {
      for (let i = o.a + newN; i < o.a + oldN; i++) m.pages[i] = undefined;
      oldN = newN;
    }
    const src = m.pages.slice(o.a, o.a + oldN);
    for (let i = o.a; i < o.a + oldN; i++) m.pages[i] = undefined;
    const first = src[0]!;
    for (let i = 0; i < newN; i++) {
      m.pages[dest + i] =
        i < oldN
          ? src[i]
          : {
              ...first,
              fpage: first.fpage + i,
              own: first.file !== cachedFile || first.fpage + i >= CACHED_PAGES,
              data: first.file !== null ? filePage(first.fpage + i) : new Uint8Array(P),
            };
    }
    return;
  }
  if (newN <= oldN) {
    expect(call()).toBe(addrOf(o.a));
    for (let i = o.a + newN; i < o.a + oldN; i++) m.pages[i] = undefined;
    return;
  }
  const free = m.pages.slice(o.a + oldN, o.a + newN).every((p) => p === undefined);
  if (oldN === 0 || addrOf(o.a + oldN) !== v.end || !free) {
    expect(errnoOf(call)).toBe(Errno.ENOMEM);
    return;
  }
  expect(call()).toBe(addrOf(o.a));
  const first = m.pages[o.a]!;
  for (let i = oldN; i < newN; i++) {
    m.pages[o.a + i] = {
      ...first,
      fpage: first.fpage + i,
      own: first.file !== cachedFile || first.fpage + i >= CACHED_PAGES,
      data: first.file !== null ? filePage(first.fpage + i) : new Uint8Array(P),
    };
  }
}

function stepBrk(mm: MemoryManager, m: Model, addr: number): void {
  const up = (x: number) => Math.ceil(x / P) * P;
  let expected = m.brk;
  const oldTop = up(m.brk);
  const newTop = up(addr);
  if (addr < m.brkStart) {
    expected = m.brk;
  } else if (newTop === oldTop) {
    expected = addr;
  } else if (newTop < oldTop) {
    const any = m.pages.slice(pageOf(newTop), pageOf(oldTop)).some((p) => p !== undefined);
    if (any) {
      for (let i = pageOf(newTop); i < pageOf(oldTop); i++) m.pages[i] = undefined;
      expected = addr;
    }
  } else {
    const next = m.pages.findIndex((p, i) => p !== undefined && addrOf(i) >= oldTop);
    if (next < 0 || newTop + P <= addrOf(next)) {
      for (let i = pageOf(oldTop); i < pageOf(newTop); i++) {
        m.pages[i] = {
          prot: PROT.READ | PROT.WRITE,
          shared: false,
          file: null,
          shmem: 0,
          fpage: 0,
          account: true,
          noReserve: false,
          locked: false,
          own: true,
          data: new Uint8Array(P),
        };
      }
      expected = addr;
    }
  }
  m.brk = expected;
  expect(mm.brk(addr)).toBe(expected);
}

/** Everything observable must match the model. */
function check(mm: MemoryManager, as: FakeAddressSpace, m: Model): void {
  const vmas = mm.vmaList();
  for (let i = 1; i < vmas.length; i++) expect(vmas[i - 1].end).toBeLessThanOrEqual(vmas[i].start);
  expect(
    vmas.map((v) => ({
      start: v.start,
      end: v.end,
      prot: v.prot,
      shared: v.shared,
      account: v.account,
      fileOffset: v.fileOffset,
      backing: v.file !== null ? v.file.mapsName : 'none',
    })),
  ).toEqual(modelVmas(m));

  // The files hear of every VMA that refers to them (vm_ops open/close).
  for (const f of [file, cachedFile]) expect(f.mappings).toBe(vmas.filter((v) => v.file === f).length);

  // The backing lies inside VMAs, sorted and disjoint.
  const pmas = mm.backingList();
  for (let i = 0; i < pmas.length; i++) {
    if (i > 0) expect(pmas[i - 1].end).toBeLessThanOrEqual(pmas[i].start);
    for (let a = pmas[i].start; a < pmas[i].end; a += P) {
      expect(m.pages[pageOf(a)]).toBeDefined();
      expect(pastEnd(m.pages[pageOf(a)]!)).toBe(false);
    }
  }

  // Contents through the copy helpers first (they bring back pages a
  // MADV_DONTNEED let go of), then the platform mirror.
  for (let i = 0; i < N; i++) {
    const p = m.pages[i];
    if (p === undefined || (p.prot & 7) === 0 || pastEnd(p)) {
      expect(errnoOf(() => mm.copyIn(addrOf(i), 1))).toBe(Errno.EFAULT);
    } else {
      expect(Buffer.compare(mm.copyIn(addrOf(i), P), p.data)).toBe(0);
    }
  }
  let mirroredPages = 0;
  for (let i = 0; i < N; i++) {
    const p = m.pages[i];
    const mirrored = as.pages.get(addrOf(i));
    if (p === undefined || pastEnd(p)) {
      expect(mirrored).toBeUndefined();
      continue;
    }
    // Small mappings are populated eagerly, so every mapped page is mirrored,
    // except shared memory this mapping let go of (MADV_DONTNEED) and has not touched since.
    if (mirrored === undefined && p.shared && (p.prot & 7) === 0) continue;
    expect(mirrored).toBeDefined();
    mirroredPages++;
    // A private page still shared with the cached file is mapped without write (COW).
    expect(mirrored!.prot).toBe(p.own || p.shared ? p.prot : p.prot & ~PROT.WRITE);
    expect(Buffer.compare(mf.bytes(mirrored!.fileOffset, P), p.data)).toBe(0);
  }
  expect(as.pages.size).toBe(mirroredPages);
}

describe('MemoryManager against a page model', () => {
  it('keeps VMAs, permissions, contents and the platform mirror in agreement', () => {
    const baseline = mf.allocatedBytes();
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
        const as = new FakeAddressSpace();
        const mm = new MemoryManager(mf, as);
        mm.setBrkStart(BASE);
        const m: Model = { pages: new Array<PageState | undefined>(N).fill(undefined), brkStart: BASE, brk: BASE };
        try {
          for (const o of ops) {
            step(mm, m, o);
            check(mm, as, m);
          }
        } finally {
          mm.release();
        }
        // Every page the run allocated was freed, and no file is left mapped.
        expect(mf.allocatedBytes()).toBe(baseline);
        expect(file.mappings + cachedFile.mappings).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
