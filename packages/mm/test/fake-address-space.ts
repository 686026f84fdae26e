import type { AddressSpace } from '@tvisor/platform';
import { PAGE_SIZE } from '../src/layout.js';
import { RangeList } from '../src/range-list.js';

/** One page of a platform mapping as the fake records it. */
export interface MirroredPage {
  fileOffset: number;
  prot: number;
}

/** A run of mapped pages: [start, end) shows the memory file from `fileOffset` with `prot`. */
interface Mapping {
  start: number;
  end: number;
  fileOffset: number;
  prot: number;
}

/** Page-by-page read access to the recorded mappings. */
export class MirrorView {
  constructor(private readonly mappings: RangeList<Mapping>) {}

  /** The mapping of the page at `addr`, if any. */
  get(addr: number): MirroredPage | undefined {
    const m = this.mappings.find(addr);
    if (m === undefined) return undefined;
    const page = addr - (addr % PAGE_SIZE);
    return { fileOffset: m.fileOffset + (page - m.start), prot: m.prot };
  }

  /** How many pages are mapped. */
  get size(): number {
    let n = 0;
    for (const m of this.mappings.items) n += (m.end - m.start) / PAGE_SIZE;
    return n;
  }
}

/**
 * An AddressSpace that records what a platform would have mapped, so tests
 * can compare it with mm's VMAs and backing. It enforces the interface
 * contract (aligned, non-empty ranges; protect only mapped pages; no use
 * after release).
 */
export class FakeAddressSpace implements AddressSpace {
  private readonly mappings = new RangeList<Mapping>(
    (m, at) => {
      const tail = { ...m, start: at, fileOffset: m.fileOffset + (at - m.start) };
      m.end = at;
      return tail;
    },
    (a, b) => a.prot === b.prot && a.fileOffset + (a.end - a.start) === b.fileOffset,
  );
  readonly pages = new MirrorView(this.mappings);
  calls = 0;
  flushes = 0;
  released = false;

  mapFile(addr: number, length: number, fileOffset: number, prot: number): void {
    this.check(addr, length);
    if (fileOffset % PAGE_SIZE !== 0) throw new Error(`unaligned file offset ${fileOffset}`);
    this.mappings.removeRange(addr, addr + length);
    this.mappings.insert({ start: addr, end: addr + length, fileOffset, prot });
  }

  unmap(addr: number, length: number): void {
    this.check(addr, length);
    this.mappings.removeRange(addr, addr + length);
  }

  protect(addr: number, length: number, prot: number): void {
    this.check(addr, length);
    if (this.mappings.gaps(addr, addr + length).length > 0) {
      throw new Error(`protect of unmapped pages in ${addr.toString(16)}+${length.toString(16)}`);
    }
    const [first, last] = this.mappings.isolate(addr, addr + length);
    for (let i = first; i < last; i++) this.mappings.items[i].prot = prot;
    this.mappings.mergeAround(first, last);
  }

  flush(): void {
    this.flushes++;
  }

  release(): void {
    this.released = true;
    this.mappings.removeRange(0, Number.MAX_SAFE_INTEGER);
  }

  private check(addr: number, length: number): void {
    if (this.released) throw new Error('address space used after release');
    if (addr % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || length <= 0) {
      throw new Error(`bad range ${addr.toString(16)}+${length.toString(16)}`);
    }
    this.calls++;
  }
}
