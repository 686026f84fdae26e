import { Errno, SysError } from '@tvisor/abi';
import { PAGE_SIZE, pageAlignDown, pageAlignUp } from './layout.js';
import type { MappableFile, MemoryFileRange } from './mappable-file.js';
import { MEMORY_FILE_WINDOW, type MemoryFile } from './memory-file.js';
import { RangeList } from './range-list.js';

/** A run of the object's pages: object offsets [start, end) live at memory-file offset `off`. */
interface Run {
  start: number;
  end: number;
  off: number;
}

/** Pages are allocated in runs of up to this size when first needed. */
const ALLOCATION_CHUNK = 2 * 1024 * 1024;

/** Inode numbers for anonymous shared memory, unique in the sandbox. */
let nextAnonymousIno = 1;

/** How a SharedMemory object shows in /proc/PID/maps and stat. */
export interface SharedMemoryIdentity {
  mapsName: string;
  dev: number;
  ino: number;
}

/**
 * A sparse, resizable object made of memory-file pages that any number of
 * mappings share: what Linux's shmem is to MAP_SHARED|MAP_ANONYMOUS,
 * memfd_create, SysV shm and tmpfs files. Reading a hole gives zeros; pages
 * are allocated (zeroed) on first write or first mapping.
 *
 * The object holds one reference on each of its pages. Mappings take their
 * own references through `sharedPages`, and count themselves with
 * `mapped`/`unmapped`; `release()` drops the object's references (the pages
 * live on while still mapped). An anonymous object releases itself when its
 * last mapping goes away.
 */
export class SharedMemory implements MappableFile {
  readonly mapsName: string;
  readonly dev: number;
  readonly ino: number;
  private readonly runs = new RangeList<Run>(
    (run, at) => {
      const tail = { start: at, end: run.end, off: run.off + (at - run.start) };
      run.end = at;
      return tail;
    },
    (a, b) =>
      a.off + (a.end - a.start) === b.off && Math.floor(a.off / MEMORY_FILE_WINDOW) === Math.floor((b.off + (b.end - b.start) - 1) / MEMORY_FILE_WINDOW),
  );
  private length: number;
  private mappings = 0;
  private released = false;

  /**
   * A new object of `size` bytes. Without an identity it is anonymous shared
   * memory ("/dev/zero (deleted)", device 00:01, a fresh inode number) and
   * frees itself when its last mapping goes away.
   */
  constructor(
    private readonly memoryFile: MemoryFile,
    size: number,
    identity?: SharedMemoryIdentity,
  ) {
    this.length = size;
    this.anonymous = identity === undefined;
    this.mapsName = identity?.mapsName ?? '/dev/zero (deleted)';
    this.dev = identity?.dev ?? 1;
    this.ino = identity?.ino ?? nextAnonymousIno++;
  }

  /** Whether this is MAP_SHARED|MAP_ANONYMOUS memory (no name of its own). */
  readonly anonymous: boolean;

  size(): number {
    return this.length;
  }

  /** Changes the size; pages wholly past the new end are dropped (ftruncate). */
  setSize(size: number): void {
    const keep = pageAlignUp(size);
    this.dropPages(keep, Math.max(keep, pageAlignUp(this.length)));
    // The tail of the last kept page reads as zeros again, as after ftruncate.
    if (size % PAGE_SIZE !== 0) this.zeroRange(size, keep);
    this.length = size;
  }

  readAt(offset: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, this.length - offset));
    let pos = offset;
    const end = offset + n;
    while (pos < end) {
      const run = this.runs.find(pos);
      if (run === undefined) {
        const next = this.runs.items[this.runs.indexAfter(pos)];
        const holeEnd = next === undefined ? end : Math.min(end, next.start);
        dst.fill(0, pos - offset, holeEnd - offset);
        pos = holeEnd;
        continue;
      }
      const e = Math.min(end, run.end);
      dst.set(this.memoryFile.bytes(run.off + (pos - run.start), e - pos), pos - offset);
      pos = e;
    }
    return n;
  }

  /** Writes `src` at `offset`, growing the object if it ends past the current size. */
  writeAt(offset: number, src: Uint8Array): number {
    if (src.length === 0) return 0;
    const end = offset + src.length;
    this.ensurePages(pageAlignDown(offset), pageAlignUp(end));
    let pos = offset;
    while (pos < end) {
      const run = this.runs.find(pos)!;
      const e = Math.min(end, run.end);
      this.memoryFile.bytes(run.off + (pos - run.start), e - pos).set(src.subarray(pos - offset, e - offset));
      pos = e;
    }
    if (end > this.length) this.length = end;
    return src.length;
  }

  sharedPages(offset: number, length: number): MemoryFileRange[] {
    if (this.released) throw new SysError(Errno.EIO);
    this.ensurePages(offset, offset + length);
    const out: MemoryFileRange[] = [];
    const end = offset + length;
    for (let i = this.runs.indexAfter(offset); i < this.runs.length; i++) {
      const run = this.runs.items[i];
      if (run.start >= end) break;
      const s = Math.max(offset, run.start);
      const e = Math.min(end, run.end);
      out.push({ fileOffset: run.off + (s - run.start), length: e - s });
    }
    return out;
  }

  /** Frees the pages of [offset, offset+length) (fallocate PUNCH_HOLE, MADV_REMOVE): they read as zeros. */
  punchHole(offset: number, length: number): void {
    const start = pageAlignUp(offset);
    const end = pageAlignDown(offset + length);
    if (end > start) this.dropPages(start, end);
    this.zeroRange(offset, Math.min(start, offset + length));
    if (end >= start) this.zeroRange(Math.max(end, offset), offset + length);
  }

  /** Bytes of memory the object holds (pages with data). */
  committedBytes(): number {
    let n = 0;
    for (const run of this.runs.items) n += this.memoryFile.committedBytes(run.off, run.end - run.start);
    return n;
  }

  mapped(): void {
    this.mappings++;
  }

  unmapped(): void {
    this.mappings--;
    if (this.mappings === 0 && this.anonymous) this.release();
  }

  /** Drops the object's references to its pages (the file was deleted and closed, or the segment removed). */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const run of this.runs.removeRange(0, Number.MAX_SAFE_INTEGER)) {
      this.memoryFile.decRef(run.off, run.end - run.start);
    }
  }

  /** Allocates pages for the holes of [start, end) (page-aligned). */
  private ensurePages(start: number, end: number): void {
    for (const gap of this.runs.gaps(start, end)) {
      for (let pos = gap.start; pos < gap.end;) {
        const n = Math.min(gap.end - pos, ALLOCATION_CHUNK);
        this.runs.insert({ start: pos, end: pos + n, off: this.memoryFile.allocate(n) });
        pos += n;
      }
    }
  }

  private dropPages(start: number, end: number): void {
    if (end <= start) return;
    for (const run of this.runs.removeRange(start, end)) this.memoryFile.decRef(run.off, run.end - run.start);
  }

  /** Writes zeros over the backed parts of [start, end) (within pages that stay). */
  private zeroRange(start: number, end: number): void {
    for (let i = this.runs.indexAfter(start); i < this.runs.length; i++) {
      const run = this.runs.items[i];
      if (run.start >= end) break;
      const s = Math.max(start, run.start);
      const e = Math.min(end, run.end);
      this.memoryFile.bytes(run.off + (s - run.start), e - s).fill(0);
    }
  }
}
