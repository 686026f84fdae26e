/** A run of pages with the same reference count. */
interface Segment {
  start: number;
  end: number;
  count: number;
}

/**
 * Reference counts over ranges of the memory file, kept as a sorted list of
 * maximal runs with equal counts (a page that is not in any run has count 0,
 * i.e. is free). Ranges are in bytes; callers keep them page-aligned.
 */
export class RefCounts {
  private readonly segments: Segment[] = [];

  /** Marks a free range as in use with count 1. */
  add(start: number, length: number): void {
    const end = start + length;
    const i = this.firstEndingAfter(start);
    const s = this.segments[i];
    if (s !== undefined && s.start < end) throw new Error(`range ${start}+${length} is already referenced`);
    this.segments.splice(i, 0, { start, end, count: 1 });
    this.mergeAround(i, i);
  }

  /** Adds one reference to every page of an in-use range. */
  incRef(start: number, length: number): void {
    const [first, last] = this.isolate(start, start + length);
    for (let i = first; i <= last; i++) this.segments[i].count++;
    this.mergeAround(first, last);
  }

  /**
   * Drops one reference from every page of an in-use range; returns the
   * sub-ranges whose count reached zero (now free), in order.
   */
  decRef(start: number, length: number): Array<{ start: number; end: number }> {
    const [first, last] = this.isolate(start, start + length);
    const freed: Array<{ start: number; end: number }> = [];
    for (let i = first; i <= last; i++) {
      const s = this.segments[i];
      s.count--;
      if (s.count === 0) {
        const prevFreed = freed[freed.length - 1];
        if (prevFreed !== undefined && prevFreed.end === s.start) prevFreed.end = s.end;
        else freed.push({ start: s.start, end: s.end });
      }
    }
    let kept = 0;
    for (let i = first; i <= last; i++) {
      if (this.segments[i].count > 0) this.segments[first + kept++] = this.segments[i];
    }
    this.segments.splice(first + kept, last - first + 1 - kept);
    if (kept > 0) this.mergeAround(first, first + kept - 1);
    else this.mergeAround(first - 1, first - 1);
    return freed;
  }

  /** The reference count of the page at `offset` (0 when free). */
  countAt(offset: number): number {
    const s = this.segments[this.firstEndingAfter(offset)];
    return s !== undefined && s.start <= offset ? s.count : 0;
  }

  /** The highest count of any page in [start, start+length) (0 if all free). */
  maxCount(start: number, length: number): number {
    const end = start + length;
    let max = 0;
    for (let i = this.firstEndingAfter(start); i < this.segments.length; i++) {
      const s = this.segments[i];
      if (s.start >= end) break;
      if (s.count > max) max = s.count;
    }
    return max;
  }

  /** The runs clipped to [start, start+length), in order; free pages are left out. */
  runsIn(start: number, length: number): Segment[] {
    const end = start + length;
    const out: Segment[] = [];
    for (let i = this.firstEndingAfter(start); i < this.segments.length; i++) {
      const s = this.segments[i];
      if (s.start >= end) break;
      out.push({ start: Math.max(s.start, start), end: Math.min(s.end, end), count: s.count });
    }
    return out;
  }

  /** The runs, in order (a copy, for tests and stats). */
  runs(): Segment[] {
    return this.segments.map((s) => ({ ...s }));
  }

  private firstEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Splits runs so that [start, end) is exactly covered by whole runs and
   * returns their index range; throws if some page in it is free.
   */
  private isolate(start: number, end: number): [number, number] {
    let i = this.firstEndingAfter(start);
    const head = this.segments[i];
    if (head !== undefined && head.start < start) {
      this.segments.splice(i, 1, { start: head.start, end: start, count: head.count }, { start, end: head.end, count: head.count });
      i++;
    }
    const first = i;
    let pos = start;
    while (pos < end) {
      const s = this.segments[i];
      if (s === undefined || s.start > pos) throw new Error(`page at ${pos} is not referenced`);
      if (s.end > end) {
        this.segments.splice(i, 1, { start: s.start, end, count: s.count }, { start: end, end: s.end, count: s.count });
      }
      pos = this.segments[i].end;
      i++;
    }
    return [first, i - 1];
  }

  /** Merges equal-count neighbours of the runs first..last. */
  private mergeAround(first: number, last: number): void {
    const from = Math.max(0, first - 1);
    let to = Math.min(this.segments.length - 1, last + 1);
    let i = from;
    while (i < to) {
      const a = this.segments[i];
      const b = this.segments[i + 1];
      if (a.end === b.start && a.count === b.count) {
        a.end = b.end;
        this.segments.splice(i + 1, 1);
        to--;
      } else {
        i++;
      }
    }
  }
}
