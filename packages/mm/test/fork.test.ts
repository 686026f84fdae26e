// Copy-on-write fork: parent and child never see each other's writes to
// private memory, do see them in shared memory, and memory grows only by the
// pages that get written.
import { MADV, MAP, PROT } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const RW = PROT.READ | PROT.WRITE;
const PRIVATE_ANON = MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED;
const BASE = 0x40000000;
const PAGES = 12;

const mf = MemoryFile.create('mm-fork-test');
afterAll(() => mf.close());

/** A write the way the application does it: fault if the mirror is not writable, then store through the mirror. */
/** An application write: through the mirror, after a fault if the page is not writable there. Returns whether it faulted. */
function appWrite(mm: MemoryManager, as: FakeAddressSpace, addr: number, byte: number): boolean {
  const page = addr - (addr % P);
  let m = as.pages.get(page);
  const faults = m === undefined || (m.prot & PROT.WRITE) === 0;
  if (faults) {
    expect(mm.handleFault(addr, true)).toBe('fixed');
    m = as.pages.get(page)!;
    expect(m.prot & PROT.WRITE).toBe(PROT.WRITE);
  }
  mf.bytes(m!.fileOffset + (addr - page), 1)[0] = byte;
  return faults;
}

/** The pages of the mapping in the aligned 16-page window a write fault at `page` copies. */
function faultWindow(page: number): number[] {
  const first = Math.floor((BASE / P + page) / 16) * 16 - BASE / P;
  return Array.from({ length: 16 }, (_, i) => first + i).filter((p) => p >= 0 && p < PAGES);
}

describe('fork', () => {
  it('shares private pages read-only until a write copies them', () => {
    const baseline = mf.allocatedBytes();
    const pas = new FakeAddressSpace();
    const parent = new MemoryManager(mf, pas);
    parent.mmap({ addr: BASE, length: PAGES * P, prot: RW, flags: PRIVATE_ANON });
    for (let i = 0; i < PAGES; i++) parent.copyOut(BASE + i * P, new Uint8Array([i + 1]));
    const committedBefore = mf.committedBytes(0, mf.size);

    const cas = new FakeAddressSpace();
    const child = parent.fork(cas);
    // No page was copied: both mirrors show the same file pages, read-only.
    expect(mf.allocatedBytes()).toBe(baseline + PAGES * P);
    for (let i = 0; i < PAGES; i++) {
      const a = pas.pages.get(BASE + i * P)!;
      const b = cas.pages.get(BASE + i * P)!;
      expect(b.fileOffset).toBe(a.fileOffset);
      expect(a.prot).toBe(PROT.READ);
      expect(b.prot).toBe(PROT.READ);
      expect(child.copyIn(BASE + i * P, 1)[0]).toBe(i + 1);
    }
    expect(child.mapsText()).toBe(parent.mapsText());

    // The child writes through the kernel, the parent through a fault.
    child.copyOut(BASE + 3 * P, new Uint8Array([99]));
    appWrite(parent, pas, BASE + 5 * P, 77);
    expect(parent.copyIn(BASE + 3 * P, 1)[0]).toBe(4);
    expect(child.copyIn(BASE + 3 * P, 1)[0]).toBe(99);
    expect(parent.copyIn(BASE + 5 * P, 1)[0]).toBe(77);
    expect(child.copyIn(BASE + 5 * P, 1)[0]).toBe(6);
    // The kernel's write copied its one page. The fault copied every page
    // of its 64 KiB window the parent still shared (all but page 3, which
    // the child's copy left to the parent alone), so later writes nearby do
    // not fault.
    expect(mf.allocatedBytes()).toBe(baseline + (PAGES + 1 + (PAGES - 1)) * P);
    expect(mf.committedBytes(0, mf.size)).toBe(committedBefore + PAGES * P);
    expect(cas.pages.get(BASE + 3 * P)!.prot).toBe(RW);
    expect(cas.pages.get(BASE + 4 * P)!.prot).toBe(PROT.READ);
    for (let i = 0; i < PAGES; i++) expect(pas.pages.get(BASE + i * P)!.prot).toBe(RW);

    // Once the child is gone, the parent's pages are its own again: writes copy nothing.
    child.release();
    expect(cas.released).toBe(true);
    appWrite(parent, pas, BASE + 7 * P, 55);
    expect(mf.allocatedBytes()).toBe(baseline + PAGES * P);
    expect(parent.copyIn(BASE + 7 * P, 1)[0]).toBe(55);
    parent.release();
    expect(mf.allocatedBytes()).toBe(baseline);
  });

  it('keeps MAP_SHARED memory shared and honours MADV_DONTFORK / MADV_WIPEONFORK', () => {
    const baseline = mf.allocatedBytes();
    const parent = new MemoryManager(mf, new FakeAddressSpace());
    const shared = parent.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP.SHARED | MAP.ANONYMOUS });
    const dontFork = parent.mmap({ addr: 0, length: P, prot: RW, flags: MAP.PRIVATE | MAP.ANONYMOUS });
    const wipe = parent.mmap({ addr: 0, length: P, prot: RW, flags: MAP.PRIVATE | MAP.ANONYMOUS });
    parent.copyOut(wipe, new Uint8Array([5]));
    parent.madvise(dontFork, P, MADV.DONTFORK);
    parent.madvise(wipe, P, MADV.WIPEONFORK);
    const child = parent.fork(new FakeAddressSpace());
    child.copyOut(shared + 10, new Uint8Array([42]));
    expect(parent.copyIn(shared + 10, 1)[0]).toBe(42);
    parent.copyOut(shared + P, new Uint8Array([43]));
    expect(child.copyIn(shared + P, 1)[0]).toBe(43);
    expect(child.vmaAt(dontFork)).toBeUndefined();
    expect(child.copyIn(wipe, 1)[0]).toBe(0);
    expect(parent.copyIn(wipe, 1)[0]).toBe(5);
    child.release();
    parent.release();
    expect(mf.allocatedBytes()).toBe(baseline);
  });

  it('never leaks writes between random parents, children and grandchildren', () => {
    const action = fc.record({
      who: fc.integer({ min: 0, max: 2 }),
      page: fc.integer({ min: 0, max: PAGES - 1 }),
      byte: fc.integer({ min: 1, max: 255 }),
      viaFault: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 30 }), fc.integer({ min: 0, max: 30 }), (actions, forkAt) => {
        const baseline = mf.allocatedBytes();
        const spaces = [new FakeAddressSpace()];
        const mms = [new MemoryManager(mf, spaces[0])];
        try {
          mms[0].mmap({ addr: BASE, length: PAGES * P, prot: RW, flags: PRIVATE_ANON });
          const models = [new Uint8Array(PAGES)];
          // Which physical page each process's page is: a write to a page that
          // another process also holds gets a fresh one (the COW copy).
          let nextPage = PAGES;
          const frames = [Array.from({ length: PAGES }, (_, i) => i)];
          const fork = (from: number) => {
            spaces.push(new FakeAddressSpace());
            mms.push(mms[from].fork(spaces[spaces.length - 1]));
            models.push(models[from].slice());
            frames.push(frames[from].slice());
          };
          const distinctFrames = () => new Set(frames.flat()).size;
          fork(0); // a child right away, a grandchild later
          actions.forEach((act, i) => {
            if (i === forkAt && mms.length === 2) fork(1);
            const who = act.who % mms.length;
            const addr = BASE + act.page * P;
            let faulted = false;
            if (act.viaFault) faulted = appWrite(mms[who], spaces[who], addr, act.byte);
            else mms[who].copyOut(addr, new Uint8Array([act.byte]));
            models[who][act.page] = act.byte;
            // A kernel write copies its page; a fault copies every shared page
            // of its 64 KiB window (the whole mapping here).
            const copied = faulted ? faultWindow(act.page) : [act.page];
            for (const page of copied) {
              const frame = frames[who][page];
              if (frames.some((f, k) => k !== who && f[page] === frame)) frames[who][page] = nextPage++;
            }
            // Memory grows by exactly the pages that had to be copied.
            expect(mf.allocatedBytes() - baseline).toBe(distinctFrames() * P);
            for (let k = 0; k < mms.length; k++) {
              for (let p = 0; p < PAGES; p++) expect(mms[k].copyIn(BASE + p * P, 1)[0]).toBe(models[k][p]);
            }
          });
          if (mms.length === 2) fork(1);
          expect(mf.allocatedBytes() - baseline).toBe(distinctFrames() * P);
          // The resident size asked for alone matches the full statistics.
          for (const mm of mms) expect(mm.residentBytes()).toBe(mm.stats().rss);
        } finally {
          for (const mm of mms) mm.release();
        }
        expect(mf.allocatedBytes()).toBe(baseline);
      }),
      { numRuns: 100 },
    );
  });
});
