import { PROT } from '@tvisor/abi';
import { TASK_SIZE } from './layout.js';
import type { MmState } from './mm-state.js';
import type { PageFaults } from './page-faults.js';
import { pmasMergeable, type Pma } from './pma.js';
import type { Vma } from './vma.js';

/**
 * How fork gives the child its private memory: shared copy-on-write pages
 * (write-protected in both until one writes), or an eager copy of the pages
 * touched so far.
 */
export type ForkStrategy = 'cow' | 'eager';

/**
 * fork(2): copies the parent's address space into the child's (new, empty)
 * state. Private pages are shared copy-on-write (both sides map them
 * read-only until a write copies the page) or, with the eager strategy,
 * copied; MAP_SHARED pages are shared; MADV_DONTFORK areas are left out and
 * MADV_WIPEONFORK areas start empty. mlock does not carry over, as on Linux.
 * Flushes both address spaces.
 */
export function forkMemory(parent: MmState, parentFaults: PageFaults, child: MmState, childFaults: PageFaults, strategy: ForkStrategy): void {
  child.brkStart = parent.brkStart;
  child.brkEnd = parent.brkEnd;
  child.stackStart = parent.stackStart;
  child.vmPeak = parent.vmPeak;
  Object.assign(child.limits, parent.limits);
  for (const v of parent.vmas.items) {
    if (v.dontFork) continue;
    v.file?.mapped?.();
    child.vmas.items.push({ ...v, locked: false });
    if (v.wipeOnFork) continue;
    if (!v.shared && strategy === 'eager') {
      copyPrivatePages(parent, child, v);
      continue;
    }
    if (!v.shared) {
      // Cut pmas at the VMA's edges so only this VMA's part turns COW.
      const [first, last] = parent.pmas.isolate(v.start, v.end);
      for (let i = first; i < last; i++) parent.pmas.items[i].cow = true;
      if ((v.prot & PROT.WRITE) !== 0) parentFaults.protectRange(v.start, v.end);
    }
    for (let i = parent.pmas.indexAfter(v.start); i < parent.pmas.length; i++) {
      const p = parent.pmas.items[i];
      if (p.start >= v.end) break;
      const s = Math.max(p.start, v.start);
      const e = Math.min(p.end, v.end);
      const off = p.off + (s - p.start);
      parent.memoryFile.incRef(off, e - s);
      const last = child.pmas.items[child.pmas.length - 1];
      const piece: Pma = { start: s, end: e, off, cow: !v.shared, fromFile: p.fromFile };
      if (last !== undefined && last.end === s && pmasMergeable(last, piece)) last.end = e;
      else child.pmas.items.push(piece);
    }
  }
  // The child's VMAs stay split exactly as the parent's (Linux's dup_mmap copies them one by one).
  parent.pmas.mergeAround(0, parent.pmas.length);
  childFaults.mirror(0, TASK_SIZE);
  parent.flushUnlessBatched();
  child.addressSpace.flush();
}

/**
 * fork's eager strategy for private memory: the child gets its own copy
 * of every page the parent has touched (the memory file's SEEK_DATA and
 * SEEK_HOLE find them; holes stay holes), so neither side needs
 * write-protection or copy-on-write faults afterwards. Pages a file
 * already lends copy-on-write (the page cache) stay shared, still COW.
 */
function copyPrivatePages(parent: MmState, child: MmState, v: Vma): void {
  const memoryFile = parent.memoryFile;
  for (let i = parent.pmas.indexAfter(v.start); i < parent.pmas.length; i++) {
    const p = parent.pmas.items[i];
    if (p.start >= v.end) break;
    const s = Math.max(p.start, v.start);
    const e = Math.min(p.end, v.end);
    const off = p.off + (s - p.start);
    let piece: Pma;
    if (p.fromFile) {
      memoryFile.incRef(off, e - s);
      piece = { start: s, end: e, off, cow: true, fromFile: true };
    } else {
      const copy = memoryFile.allocate(e - s);
      for (const r of memoryFile.committedRanges(off, e - s)) {
        memoryFile.copy(copy + (r.start - off), r.start, r.end - r.start);
      }
      piece = { start: s, end: e, off: copy, cow: false, fromFile: false };
    }
    const last = child.pmas.items[child.pmas.length - 1];
    if (last !== undefined && last.end === s && pmasMergeable(last, piece)) last.end = e;
    else child.pmas.items.push(piece);
  }
}
