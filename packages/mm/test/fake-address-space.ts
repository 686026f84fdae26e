import type { AddressSpace } from '../src/address-space.js';
import { PAGE_SIZE } from '../src/layout.js';

/** One page of a platform mapping as the fake records it. */
export interface MirroredPage {
  fileOffset: number;
  prot: number;
}

/**
 * An AddressSpace that records, page by page, what a platform would have
 * mapped, so tests can compare it with mm's VMAs and backing. It enforces the
 * interface contract (aligned, non-empty ranges; protect only mapped pages;
 * no use after release).
 */
export class FakeAddressSpace implements AddressSpace {
  readonly pages = new Map<number, MirroredPage>();
  calls = 0;
  flushes = 0;
  released = false;

  mapFile(addr: number, length: number, fileOffset: number, prot: number): void {
    this.check(addr, length);
    if (fileOffset % PAGE_SIZE !== 0) throw new Error(`unaligned file offset ${fileOffset}`);
    for (let o = 0; o < length; o += PAGE_SIZE) this.pages.set(addr + o, { fileOffset: fileOffset + o, prot });
  }

  unmap(addr: number, length: number): void {
    this.check(addr, length);
    for (let o = 0; o < length; o += PAGE_SIZE) this.pages.delete(addr + o);
  }

  protect(addr: number, length: number, prot: number): void {
    this.check(addr, length);
    for (let o = 0; o < length; o += PAGE_SIZE) {
      const p = this.pages.get(addr + o);
      if (p === undefined) throw new Error(`protect of unmapped page ${(addr + o).toString(16)}`);
      p.prot = prot;
    }
  }

  flush(): void {
    this.flushes++;
  }

  release(): void {
    this.released = true;
    this.pages.clear();
  }

  private check(addr: number, length: number): void {
    if (this.released) throw new Error('address space used after release');
    if (addr % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || length <= 0) {
      throw new Error(`bad range ${addr.toString(16)}+${length.toString(16)}`);
    }
    this.calls++;
  }
}
