import { Errno, SysError } from '@tvisor/abi';
import { MAP_32BIT_BASE, MAP_32BIT_END, MMAP_MIN_ADDR, PAGE_SIZE, STACK_GUARD_GAP, STUB_RESERVED_START, TASK_UNMAPPED_BASE, pageAlignDown } from './layout.js';
import type { RangeList } from './range-list.js';
import type { Vma } from './vma.js';

/** Linux's vm_start_gap: a MAP_GROWSDOWN VMA keeps a guard gap below it. */
export function startGap(v: Vma): number {
  return v.growsDown ? Math.max(0, v.start - STACK_GUARD_GAP) : v.start;
}

/**
 * Picks an address for a new mapping of `len` bytes, as x86-64 Linux does:
 * the hint if the area there is free, else the highest free area below
 * `mmapBase` (top-down), else the lowest free one above TASK_UNMAPPED_BASE;
 * MAP_32BIT mappings search [1 GiB, 2 GiB) bottom-up. Nothing is placed at or
 * above STUB_RESERVED_START. ENOMEM when nothing fits.
 */
export function findUnmappedArea(vmas: RangeList<Vma>, mmapBase: number, hint: number, len: number, below2G: boolean): number {
  const limit = STUB_RESERVED_START;
  if (hint !== 0) {
    // x86-64 rounds a hint down to a page; hints below mmap_min_addr are raised to it.
    const h = Math.max(pageAlignDown(hint), MMAP_MIN_ADDR);
    if (h + len <= limit && areaFree(vmas, h, h + len)) return h;
  }
  if (below2G) {
    const a = searchBottomUp(vmas, MAP_32BIT_BASE, MAP_32BIT_END, len);
    if (a >= 0) return a;
    throw new SysError(Errno.ENOMEM);
  }
  const top = searchTopDown(vmas, Math.max(MMAP_MIN_ADDR, PAGE_SIZE), Math.min(mmapBase, limit), len);
  if (top >= 0) return top;
  const bottom = searchBottomUp(vmas, TASK_UNMAPPED_BASE, limit, len);
  if (bottom >= 0) return bottom;
  throw new SysError(Errno.ENOMEM);
}

/** Whether [start, end) overlaps no VMA nor the guard gap of the VMA after it. */
function areaFree(vmas: RangeList<Vma>, start: number, end: number): boolean {
  const next = vmas.items[vmas.indexAfter(start)];
  return next === undefined || end <= startGap(next);
}

/** The highest start of a free [x, x+len) inside [low, high), or -1. */
function searchTopDown(vmas: RangeList<Vma>, low: number, high: number, len: number): number {
  const items = vmas.items;
  // Walk the gaps from the top: gap i lies between items[i-1] and items[i].
  for (let i = vmas.indexAfter(high); i >= 0; i--) {
    const gapEnd = Math.min(high, i < items.length ? startGap(items[i]) : high);
    const gapStart = Math.max(low, i > 0 ? items[i - 1].end : low);
    if (gapEnd - gapStart >= len) return gapEnd - len;
    if (gapStart <= low) break;
  }
  return -1;
}

/** The lowest start of a free [x, x+len) inside [low, high), or -1. */
function searchBottomUp(vmas: RangeList<Vma>, low: number, high: number, len: number): number {
  const items = vmas.items;
  for (let i = vmas.indexAfter(low); i <= items.length; i++) {
    const gapStart = Math.max(low, i > 0 ? items[i - 1].end : low);
    const gapEnd = Math.min(high, i < items.length ? startGap(items[i]) : high);
    if (gapEnd - gapStart >= len) return gapStart;
    if (gapEnd >= high) break;
  }
  return -1;
}
