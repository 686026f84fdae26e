import type { MemoryFile } from '@tvisor/mm';
import type { TmpfsPageAllocator } from '@tvisor/vfs';

/**
 * tmpfs file pages that live in the memory file, so that a MAP_SHARED
 * mapping of a tmpfs file (a POSIX semaphore in /dev/shm, a memfd, a file in
 * /tmp) maps the very bytes read(2) and write(2) use. Each page is one
 * memory-file page; the file holds one reference on it, and every mapping
 * adds its own.
 */
export class MemoryFilePages implements TmpfsPageAllocator {
  private readonly offsets = new WeakMap<Uint8Array, number>();

  constructor(private readonly memoryFile: MemoryFile) {}

  allocate(size: number): Uint8Array {
    const offset = this.memoryFile.allocate(size);
    const page = this.memoryFile.bytes(offset, size);
    this.offsets.set(page, offset);
    return page;
  }

  free(pages: Uint8Array[]): void {
    const ranges: Array<[number, number]> = [];
    for (const page of pages) {
      const offset = this.offsets.get(page);
      if (offset === undefined) continue;
      this.offsets.delete(page);
      ranges.push([offset, page.length]);
    }
    // A file's pages were mostly allocated one after another: give them back
    // as runs, one decRef (one hole punched) each, not one per page.
    ranges.sort((a, b) => a[0] - b[0]);
    let i = 0;
    while (i < ranges.length) {
      const start = ranges[i][0];
      let end = start + ranges[i][1];
      for (i++; i < ranges.length && ranges[i][0] === end; i++) end += ranges[i][1];
      this.memoryFile.decRef(start, end - start);
    }
  }

  /** Where `page` lives in the memory file; undefined for a page this allocator did not give. */
  offsetOf(page: Uint8Array): number | undefined {
    return this.offsets.get(page);
  }
}
