// Test support: an in-memory model of an address space implementing the
// loader's LoaderMemory seam, page by page, with the seam's contracts checked.
import { PAGE_SIZE, USER_ADDRESS_LIMIT } from '../elf-constants.js';
import type { LoaderMemory } from '../load-program.js';

export interface Page {
  bytes: Uint8Array;
  prot: number;
}

/** Where mappings without a fixed address are placed, growing down (like mmap_base). */
const MMAP_TOP = 0x7ffff7fff000;

export class SparseMemory implements LoaderMemory {
  readonly pages = new Map<number, Page>();
  readonly log: string[] = [];

  mapAnonymous(addr: number | undefined, length: number, prot: number): number {
    this.checkRange(addr ?? 0, length);
    const start = addr ?? this.findFree(length);
    for (let a = start; a < start + length; a += PAGE_SIZE) this.pages.set(a / PAGE_SIZE, { bytes: new Uint8Array(PAGE_SIZE), prot });
    this.log.push(`map ${start.toString(16)} ${length.toString(16)} ${prot}`);
    return start;
  }

  write(addr: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length;) {
      const page = this.page(addr + i);
      const at = (addr + i) % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - at, bytes.length - i);
      page.bytes.set(bytes.subarray(i, i + n), at);
      i += n;
    }
  }

  protect(addr: number, length: number, prot: number): void {
    this.checkRange(addr, length);
    for (let a = addr; a < addr + length; a += PAGE_SIZE) this.page(a).prot = prot;
    this.log.push(`protect ${addr.toString(16)} ${length.toString(16)} ${prot}`);
  }

  read(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length;) {
      const at = (addr + i) % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - at, length - i);
      out.set(this.page(addr + i).bytes.subarray(at, at + n), i);
      i += n;
    }
    return out;
  }

  protAt(addr: number): number | undefined {
    return this.pages.get(Math.floor(addr / PAGE_SIZE))?.prot;
  }

  isMapped(addr: number): boolean {
    return this.pages.has(Math.floor(addr / PAGE_SIZE));
  }

  private page(addr: number): Page {
    const page = this.pages.get(Math.floor(addr / PAGE_SIZE));
    if (!page) throw new Error(`access to unmapped ${addr.toString(16)}`);
    return page;
  }

  private checkRange(addr: number, length: number): void {
    if (addr % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || length <= 0 || addr + length > USER_ADDRESS_LIMIT) {
      throw new Error(`bad range ${addr.toString(16)}+${length.toString(16)}`);
    }
  }

  private findFree(length: number): number {
    for (let end = MMAP_TOP; end - length >= PAGE_SIZE; end -= PAGE_SIZE) {
      let free = true;
      for (let a = end - length; a < end && free; a += PAGE_SIZE) free = !this.pages.has(a / PAGE_SIZE);
      if (free) return end - length;
    }
    throw new Error('address space full');
  }
}
