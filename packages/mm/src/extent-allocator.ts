/** A free range of the memory file, [start, end). */
export interface Extent {
  start: number;
  end: number;
}

/**
 * Hands out ranges of an address space (the memory file's offsets) with a
 * first-fit search over a sorted, coalesced free list. No range it returns
 * crosses a multiple of `windowSize`, so the sentry can view any allocation
 * through a single window of the file. Everything at or above `top` is free
 * and has never been handed out (or was returned and coalesced back).
 */
export class ExtentAllocator {
  private readonly freeList: Extent[] = [];
  private topOffset = 0;

  constructor(readonly windowSize: number) {}

  /** The lowest offset above which nothing is allocated. */
  get top(): number {
    return this.topOffset;
  }

  /** The free extents below `top`, in order (a copy, for tests and stats). */
  freeExtents(): Extent[] {
    return this.freeList.map((e) => ({ start: e.start, end: e.end }));
  }

  /** Returns the start of a fresh range of `length` (0 < length <= windowSize). */
  allocate(length: number): number {
    if (!(length > 0) || length > this.windowSize) {
      throw new RangeError(`allocation of ${length} bytes does not fit a window`);
    }
    for (let i = 0; i < this.freeList.length; i++) {
      const e = this.freeList[i];
      const start = this.placeInWindow(e.start, length);
      if (start + length > e.end) continue;
      const pieces: Extent[] = [];
      if (start > e.start) pieces.push({ start: e.start, end: start });
      if (start + length < e.end) pieces.push({ start: start + length, end: e.end });
      this.freeList.splice(i, 1, ...pieces);
      return start;
    }
    const oldTop = this.topOffset;
    const start = this.placeInWindow(oldTop, length);
    this.topOffset = start + length;
    // The tail of the window that did not fit is free for smaller requests.
    if (start > oldTop) this.release(oldTop, start - oldTop);
    return start;
  }

  /** Returns [offset, offset+length) to the free list. */
  release(offset: number, length: number): void {
    if (length <= 0) return;
    let start = offset;
    let end = offset + length;
    // First free extent that starts after the released range.
    let lo = 0;
    let hi = this.freeList.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.freeList[mid].start < start) lo = mid + 1;
      else hi = mid;
    }
    let first = lo;
    let count = 0;
    const prev = this.freeList[lo - 1];
    if (prev !== undefined && prev.end >= start) {
      if (prev.end > start) throw new Error(`double free at ${start}`);
      start = prev.start;
      first = lo - 1;
      count++;
    }
    const next = this.freeList[lo];
    if (next !== undefined && next.start <= end) {
      if (next.start < end) throw new Error(`double free at ${next.start}`);
      end = next.end;
      count++;
    }
    if (end >= this.topOffset) {
      this.freeList.splice(first, count);
      this.topOffset = start;
    } else {
      this.freeList.splice(first, count, { start, end });
    }
  }

  /** The first offset >= `from` where `length` bytes stay inside one window. */
  private placeInWindow(from: number, length: number): number {
    const w = this.windowSize;
    const windowEnd = (Math.floor(from / w) + 1) * w;
    return from + length <= windowEnd ? from : windowEnd;
  }
}
