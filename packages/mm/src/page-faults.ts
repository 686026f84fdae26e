import { PROT, SysError } from '@tvisor/abi';
import { MMAP_MIN_ADDR, PAGE_SIZE, STACK_GUARD_GAP, TASK_SIZE, pageAlignDown, pageAlignUp } from './layout.js';
import type { MappableFile } from './mappable-file.js';
import { MEMORY_FILE_WINDOW } from './memory-file.js';
import { READABLE, effectiveProt, type MmState } from './mm-state.js';
import type { Pma } from './pma.js';
import type { Range } from './range-list.js';
import { SharedMemory } from './shared-memory.js';
import { hasOffset, offsetAt, type Vma } from './vma.js';

/**
 * What handleFault decided: the access may be retried, or the application
 * gets SIGSEGV (no mapping / not permitted) or SIGBUS (the mapped file could
 * not supply the page, as when a read fails with EIO).
 */
export type FaultResult = 'fixed' | { signal: 'SIGSEGV'; code: 'SEGV_MAPERR' | 'SEGV_ACCERR' } | { signal: 'SIGBUS'; code: 'BUS_ADRERR' };

/** Anonymous mappings up to this size get all their memory-file space at mmap time. */
const EAGER_ANON_LIMIT = 1024 * 1024 * 1024;
/** Private file mappings up to this size are read in at mmap time. */
const EAGER_FILE_LIMIT = 16 * 1024 * 1024;
/** Lazily populated anonymous memory is allocated in aligned chunks of this size. */
const ANON_FAULT_CHUNK = 64 * 1024 * 1024;
/** Lazily populated file memory is read in aligned chunks of this size. */
const FILE_FAULT_CHUNK = 1024 * 1024;
/**
 * A write fault on a copy-on-write page copies the copy-on-write pages of
 * the aligned window around it too: writes cluster (stack, heap, .data), and
 * copying a page costs far less than the fault it saves (a round trip
 * through the platform).
 */
const COW_FAULT_AROUND = 16 * PAGE_SIZE;
/** No single memory-file allocation exceeds this. */
const MAX_ALLOCATION = Math.min(MEMORY_FILE_WINDOW, 1024 * 1024 * 1024);

/**
 * Faults and page mappings: backs VMAs with memory-file pages (populate),
 * gives private copies of copy-on-write pages (breakCow), grows stacks,
 * resolves the page faults the platform reports, and keeps the platform's
 * AddressSpace mirroring the pmas. The other parts of MemoryManager call
 * these to make memory accessible or to drop it.
 *
 * Strategy: anonymous memory gets one contiguous memory-file range per
 * mapping at mmap/brk time, mapped with one AddressSpace call; the host then
 * materializes pages on first touch at no cost to us.
 */
export class PageFaults {
  /** The page handleFault last re-mirrored without finding anything to fix (-1: none). */
  private remirroredPage = -1;
  private readonly vmas: MmState['vmas'];
  private readonly pmas: MmState['pmas'];
  private readonly memoryFile: MmState['memoryFile'];
  private readonly addressSpace: MmState['addressSpace'];

  constructor(private readonly state: MmState) {
    this.vmas = state.vmas;
    this.pmas = state.pmas;
    this.memoryFile = state.memoryFile;
    this.addressSpace = state.addressSpace;
  }

  /**
   * Resolves an application page fault the platform reported at `addr`:
   * populates the page (or its chunk), breaks COW, grows a MAP_GROWSDOWN
   * stack, and mirrors the result; or says which SIGSEGV the application
   * gets.
   *
   * Platforms often cannot tell the access type (ptrace sees only si_code),
   * so `write`/`exec` are hints that mm double-checks: a fault on a COW page
   * of a writable mapping is a write whatever the hint says (reads of it are
   * allowed by the mirror), and a fault that repeats on a page whose mapping
   * was already right gets SEGV_ACCERR instead of looping (e.g. executing a
   * non-executable page reported as a write).
   */
  handleFault(addr: number, write: boolean, exec = false): FaultResult {
    const vma = addr >= 0 && addr < TASK_SIZE ? this.vmaForAccess(addr) : undefined;
    if (vma === undefined) return { signal: 'SIGSEGV', code: 'SEGV_MAPERR' };
    const need = write ? PROT.WRITE : exec ? PROT.EXEC : READABLE;
    if ((vma.prot & need) === 0) return { signal: 'SIGSEGV', code: 'SEGV_ACCERR' };
    const page = pageAlignDown(addr);
    const pma = this.pmas.find(page);
    if (pma === undefined) {
      try {
        this.makeAccessible(vma, page, page + PAGE_SIZE, write);
        if (write && !vma.shared) this.breakCow(...this.cowWindow(vma, page));
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        this.state.flushUnlessBatched();
        return { signal: 'SIGBUS', code: 'BUS_ADRERR' };
      }
      // Still unbacked: the page lies past the end of the mapped file.
      if (this.pmas.find(page) === undefined) {
        this.state.flushUnlessBatched();
        return { signal: 'SIGBUS', code: 'BUS_ADRERR' };
      }
    } else if (pma.cow && !vma.shared && (vma.prot & PROT.WRITE) !== 0) {
      this.breakCow(...this.cowWindow(vma, page));
    } else {
      if (this.remirroredPage === page) {
        this.remirroredPage = -1;
        return { signal: 'SIGSEGV', code: 'SEGV_ACCERR' };
      }
      // Nothing to do as far as mm knows: the platform may have lost the
      // mapping, so map it again, once.
      this.mirror(page, page + PAGE_SIZE);
      this.state.flushUnlessBatched();
      this.remirroredPage = page;
      return 'fixed';
    }
    this.remirroredPage = -1;
    this.state.flushUnlessBatched();
    return 'fixed';
  }

  /** The aligned fault-around window of `page` inside `vma`. */
  private cowWindow(vma: Vma, page: number): [number, number] {
    const start = Math.floor(page / COW_FAULT_AROUND) * COW_FAULT_AROUND;
    return [Math.max(vma.start, start), Math.min(vma.end, start + COW_FAULT_AROUND)];
  }

  /** Whether a VMA of this size gets its backing at creation time. */
  shouldPopulateEagerly(vma: Vma, size: number): boolean {
    if (vma.locked) return true;
    const anonymous = vma.file === null || (vma.file instanceof SharedMemory && vma.file.anonymous);
    return size <= (anonymous ? EAGER_ANON_LIMIT : EAGER_FILE_LIMIT);
  }

  /** The VMA containing addr, growing a MAP_GROWSDOWN VMA just above it if allowed. */
  vmaForAccess(addr: number): Vma | undefined {
    const i = this.vmas.indexAfter(addr);
    const v = this.vmas.items[i];
    if (v === undefined) return undefined;
    if (v.start <= addr) return v;
    if (!v.growsDown) return undefined;
    const newStart = pageAlignDown(addr);
    if (v.end - newStart > this.state.limits.stack) return undefined;
    if (!this.state.mayExpand(v.start - newStart, false, 0, 0)) return undefined;
    const prev = this.vmas.items[i - 1];
    if (prev !== undefined && !prev.growsDown && prev.prot !== 0 && newStart < prev.end + STACK_GUARD_GAP) {
      return undefined;
    }
    if (prev !== undefined && newStart < prev.end) return undefined;
    if (newStart < MMAP_MIN_ADDR) return undefined;
    // A mapped object cannot grow below its offset 0 (Linux checks vm_pgoff).
    if (hasOffset(v) && v.fileOffset < v.start - newStart) return undefined;
    const oldStart = v.start;
    v.start = newStart;
    if (hasOffset(v)) v.fileOffset -= oldStart - newStart;
    this.populate(newStart, oldStart);
    this.state.flushUnlessBatched();
    this.state.notePeak();
    return v;
  }

  /** Backs [start, end) ∩ vma with pages (populating) and, for writes, private copies. */
  makeAccessible(vma: Vma, start: number, end: number, write: boolean): void {
    const s = pageAlignDown(start);
    const e = Math.min(pageAlignUp(end), vma.end);
    if (this.pmas.gaps(s, e).length > 0) {
      // Populate a whole aligned chunk around the access, so faults are rare.
      const anonymous = vma.file === null || (vma.file instanceof SharedMemory && vma.file.anonymous);
      const chunk = anonymous ? ANON_FAULT_CHUNK : FILE_FAULT_CHUNK;
      const cs = Math.max(vma.start, Math.floor(s / chunk) * chunk);
      const ce = Math.min(vma.end, Math.max(e, Math.ceil(e / chunk) * chunk));
      this.populate(cs, ce);
    }
    if (write && !vma.shared) this.breakCow(s, e);
  }

  /**
   * Gives every page of [start, end) that has no pma one: shared file pages,
   * or fresh memory-file pages (filled from the file for private file
   * mappings), and maps them. [start, end) must be inside VMAs.
   */
  populate(start: number, end: number): void {
    for (let vi = this.vmas.indexAfter(start); vi < this.vmas.length; vi++) {
      const vma = this.vmas.items[vi];
      if (vma.start >= end) break;
      const s = Math.max(start, vma.start);
      const e = Math.min(end, vma.end);
      for (const gap of this.pmas.gaps(s, e)) this.populateGap(vma, gap);
    }
  }

  private populateGap(vma: Vma, gap: Range): void {
    const file = vma.file;
    // Pages wholly past the object's end have no backing: touching them is
    // SIGBUS (EFAULT for a syscall), as on Linux, for shared and private
    // mappings alike.
    if (file !== null) {
      const objectEnd = vma.start + (pageAlignUp(file.size()) - vma.fileOffset);
      if (objectEnd <= gap.start) return;
      if (objectEnd < gap.end) gap = { start: gap.start, end: objectEnd };
    }
    if (file !== null && file.sharedPages !== undefined) {
      if (vma.shared) {
        this.mapFilePages(file, vma, gap.start, gap.end, false);
        return;
      }
      // A private mapping starts on the file's own pages, copy-on-write (as
      // Linux maps the page cache).
      this.mapFilePages(file, vma, gap.start, gap.end, true);
      return;
    }
    this.populateFresh(vma, gap.start, gap.end);
  }

  /** Backs [start, end) of a file VMA with the file's own memory-file pages. */
  private mapFilePages(file: MappableFile, vma: Vma, start: number, end: number, cow: boolean): void {
    let addr = start;
    for (const r of file.sharedPages!(offsetAt(vma, start), end - start)) {
      // Keep each pma inside one memory-file window.
      let off = r.fileOffset;
      let left = r.length;
      while (left > 0) {
        const n = Math.min(left, MEMORY_FILE_WINDOW - (off % MEMORY_FILE_WINDOW));
        this.memoryFile.incRef(off, n);
        this.addPma({ start: addr, end: addr + n, off, cow, fromFile: true });
        addr += n;
        off += n;
        left -= n;
      }
    }
    if (addr !== end) throw new Error('MappableFile.sharedPages did not cover the requested range');
  }

  /** Backs [start, end) with new pages: zeros, or a copy of the file for a private file mapping. */
  private populateFresh(vma: Vma, start: number, end: number): void {
    const file = vma.file;
    for (let addr = start; addr < end;) {
      const n = Math.min(end - addr, MAX_ALLOCATION);
      const off = this.memoryFile.allocate(n);
      if (file !== null) {
        try {
          this.fillFromFile(file, offsetAt(vma, addr), off, n);
        } catch (e) {
          this.memoryFile.decRef(off, n);
          throw e;
        }
      }
      this.addPma({ start: addr, end: addr + n, off, cow: false, fromFile: false });
      addr += n;
    }
  }

  private fillFromFile(file: MappableFile, fileOff: number, memOff: number, length: number): void {
    const avail = Math.min(length, Math.max(0, file.size() - fileOff));
    if (avail === 0) return;
    const dst = this.memoryFile.bytes(memOff, avail);
    let done = 0;
    while (done < avail) {
      const n = file.readAt(fileOff + done, dst.subarray(done));
      if (n <= 0) break;
      done += n;
    }
  }

  /** Inserts a pma and maps it with its VMA's protection. */
  private addPma(p: Pma): void {
    const { start, end } = p;
    this.pmas.insert(p);
    this.mirror(start, end);
  }

  /** Gives [start, end) (page-aligned, backed) private copies of any COW pages. */
  breakCow(start: number, end: number): void {
    const [first, last] = this.pmas.isolate(start, end);
    for (let i = first; i < last; i++) {
      const p = this.pmas.items[i];
      if (!p.cow) continue;
      const len = p.end - p.start;
      if (this.memoryFile.maxRefCount(p.off, len) > 1) {
        const off = this.memoryFile.allocate(len);
        // Copy only pages that hold data: holes read as zeros in the new range too.
        for (const c of this.memoryFile.committedRanges(p.off, len)) {
          this.memoryFile.copy(off + (c.start - p.off), c.start, c.end - c.start);
        }
        this.memoryFile.decRef(p.off, len);
        p.off = off;
      }
      // Either a private copy, or the last reference (the file let go): the process's own now.
      p.cow = false;
      p.fromFile = false;
      this.mirror(p.start, p.end);
    }
    this.pmas.mergeAround(first, last);
  }

  /** Maps every backed part of [start, end) with its effective protection. */
  mirror(start: number, end: number): void {
    this.state.forEachSegment(start, end, (vma, pma, s, e) => {
      this.addressSpace.mapFile(s, e - s, pma.off + (s - pma.start), effectiveProt(vma, pma));
    });
  }

  /** Re-applies protections over the backed parts of [start, end), coalescing equal runs. */
  protectRange(start: number, end: number): void {
    let runStart = -1;
    let runEnd = -1;
    let runProt = 0;
    this.state.forEachSegment(start, end, (vma, pma, s, e) => {
      const prot = effectiveProt(vma, pma);
      if (s === runEnd && prot === runProt) {
        runEnd = e;
        return;
      }
      if (runStart >= 0) this.addressSpace.protect(runStart, runEnd - runStart, runProt);
      runStart = s;
      runEnd = e;
      runProt = prot;
    });
    if (runStart >= 0) this.addressSpace.protect(runStart, runEnd - runStart, runProt);
  }

  /**
   * The file (dev, ino) now ends at `size`: drops this process's backing of
   * its pages from the new end on, shared pages and private copies alike
   * (Linux's truncate unmaps COW copies too), so that touching them is
   * SIGBUS, or maps the file's new pages if it has grown again by then.
   */
  fileTruncated(dev: number, ino: number, size: number): void {
    const from = pageAlignUp(size);
    for (const v of this.vmas.items) {
      const f = v.file;
      if (f === null || f instanceof SharedMemory || f.dev !== dev || f.ino !== ino) continue;
      const s = Math.max(v.start, v.start + (from - v.fileOffset));
      if (s >= v.end) continue;
      const removed = this.pmas.removeRange(s, v.end);
      for (const p of removed) this.memoryFile.decRef(p.off, p.end - p.start);
      if (removed.length > 0) this.addressSpace.unmap(s, v.end - s);
    }
    this.state.flushUnlessBatched();
  }

  /** Removes VMAs and backing in [start, end), releasing pages and the platform mapping. */
  unmapRange(start: number, end: number): void {
    if (!this.vmas.overlaps(start, end)) return;
    for (const v of this.vmas.removeRange(start, end)) v.file?.unmapped?.();
    const removed = this.pmas.removeRange(start, end);
    for (const p of removed) this.memoryFile.decRef(p.off, p.end - p.start);
    // One call covers every backed part: unmapping a hole is a no-op.
    if (removed.length > 0) {
      const first = removed[0].start;
      this.addressSpace.unmap(first, removed[removed.length - 1].end - first);
    }
  }
}
