/** A half-open address range [start, end). */
export interface Range {
  start: number;
  end: number;
}

/**
 * A sorted list of non-overlapping ranges with attributes (VMAs, or the
 * memory-file runs that back them). Splitting and merging are delegated to
 * the owner: `splitItem(item, at)` shrinks `item` to [start, at) and returns
 * the [at, end) remainder; `canMerge(a, b)` says whether `a` followed directly
 * by `b` may become one item (then `a` grows over `b`).
 *
 * Lookups are binary searches that first try the last index found, since
 * consecutive lookups (copy helpers, fault loops) tend to hit the same item.
 */
export class RangeList<T extends Range> {
  readonly items: T[] = [];
  private cached = 0;

  constructor(
    private readonly splitItem: (item: T, at: number) => T,
    private readonly canMerge: (a: T, b: T) => boolean,
    /** Called with each item that a merge absorbs into its left neighbour. */
    private readonly onAbsorb: (item: T) => void = () => undefined,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** The index of the first item with end > addr (items.length if none). */
  indexAfter(addr: number): number {
    const items = this.items;
    const c = this.cached;
    if (c < items.length && items[c].end > addr && (c === 0 || items[c - 1].end <= addr)) return c;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid].end <= addr) lo = mid + 1;
      else hi = mid;
    }
    this.cached = lo;
    return lo;
  }

  /** The item containing addr, if any. */
  find(addr: number): T | undefined {
    const item = this.items[this.indexAfter(addr)];
    return item !== undefined && item.start <= addr ? item : undefined;
  }

  /** Whether any item overlaps [start, end). */
  overlaps(start: number, end: number): boolean {
    const item = this.items[this.indexAfter(start)];
    return item !== undefined && item.start < end;
  }

  /** Makes `addr` a boundary between items if it falls strictly inside one. */
  splitAt(addr: number): void {
    const i = this.indexAfter(addr);
    const item = this.items[i];
    if (item !== undefined && item.start < addr && addr < item.end) {
      this.items.splice(i + 1, 0, this.splitItem(item, addr));
    }
  }

  /**
   * Splits at start and end and returns the index range [first, last) of the
   * items that lie inside [start, end).
   */
  isolate(start: number, end: number): [number, number] {
    this.splitAt(start);
    this.splitAt(end);
    const first = this.indexAfter(start);
    let last = first;
    while (last < this.items.length && this.items[last].start < end) last++;
    return [first, last];
  }

  /** Removes and returns every part of an item that lies inside [start, end). */
  removeRange(start: number, end: number): T[] {
    const [first, last] = this.isolate(start, end);
    const removed = this.items.splice(first, last - first);
    this.cached = 0;
    return removed;
  }

  /** Inserts an item that overlaps none, merges it with its neighbours, returns its index. */
  insert(item: T): number {
    const i = this.indexAfter(item.start);
    const next = this.items[i];
    if (next !== undefined && next.start < item.end) {
      throw new Error(`range ${item.start.toString(16)}-${item.end.toString(16)} overlaps an existing one`);
    }
    this.items.splice(i, 0, item);
    return this.mergeAround(i, i + 1);
  }

  /**
   * Merges mergeable neighbours among the items [first-1, last] (i.e. the
   * items first..last-1 and the ones just outside); returns the index of the
   * item that now holds the old items[first].
   */
  mergeAround(first: number, last: number): number {
    const items = this.items;
    let i = Math.max(0, first - 1);
    let end = Math.min(items.length - 1, last);
    let result = first;
    while (i < end) {
      const a = items[i];
      const b = items[i + 1];
      if (a.end === b.start && this.canMerge(a, b)) {
        a.end = b.end;
        items.splice(i + 1, 1);
        this.onAbsorb(b);
        if (i + 1 <= result) result--;
        end--;
      } else {
        i++;
      }
    }
    this.cached = 0;
    return Math.max(0, Math.min(result, items.length - 1));
  }

  /** The sub-ranges of [start, end) that no item covers, in order. */
  gaps(start: number, end: number): Range[] {
    const out: Range[] = [];
    let pos = start;
    for (let i = this.indexAfter(start); i < this.items.length && pos < end; i++) {
      const item = this.items[i];
      if (item.start >= end) break;
      if (item.start > pos) out.push({ start: pos, end: item.start });
      pos = Math.max(pos, item.end);
    }
    if (pos < end) out.push({ start: pos, end });
    return out;
  }
}
