import { ExtentAllocator } from './extent-allocator.js';
import { RefCounts } from './ref-counts.js';
import { PAGE_SIZE } from './layout.js';
import { closeFd, createMemfd, dropMappedPages, mapShared, punchHole, seekData, seekHole, truncate, unmapShared, type HostMapping } from './native/memfd.js';

/** The sentry views the file through mappings of this size (koffi.view's limit). */
export const MEMORY_FILE_WINDOW = 4 * 1024 * 1024 * 1024;

/** The file size reserved up front; memfd pages cost nothing until touched. */
const INITIAL_FILE_SIZE = 64 * 1024 * 1024 * 1024;

/** A range of the memory file, [start, end). */
export interface FileRange {
  start: number;
  end: number;
}

/**
 * The memory file: one memfd holding every page of application memory (the
 * gVisor design). Platforms map ranges of it into the application; the sentry
 * sees the same pages through MAP_SHARED windows, so copies between the
 * kernel and the application are plain array copies.
 *
 * Ranges are reference-counted: `allocate` returns a range with count 1,
 * `incRef`/`decRef` adjust it, and a page whose count drops to zero is freed
 * (hole-punched, so it reads as zeros when it is handed out again).
 * Every allocation lies within one window, so `bytes` never straddles one.
 */
export class MemoryFile {
  private readonly windows: Array<HostMapping | undefined> = [];
  private readonly words: Array<Int32Array | undefined> = [];
  private readonly allocator = new ExtentAllocator(MEMORY_FILE_WINDOW);
  private readonly refs = new RefCounts();
  private fileSize: number;
  private closed = false;

  private constructor(
    readonly fd: number,
    initialSize: number,
  ) {
    this.fileSize = initialSize;
  }

  /** Creates a memfd named `name` (visible in /proc/self/fd) and reserves its size. */
  static create(name = 'tvisor-memory'): MemoryFile {
    const fd = createMemfd(name);
    try {
      truncate(fd, INITIAL_FILE_SIZE);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
    return new MemoryFile(fd, INITIAL_FILE_SIZE);
  }

  /** The current file size (grows when allocations need it). */
  get size(): number {
    return this.fileSize;
  }

  /**
   * Allocates `length` bytes (rounded up to pages, at most one window) of
   * zeroed memory; returns its page-aligned offset, with reference count 1.
   */
  allocate(length: number): number {
    this.checkOpen();
    const len = roundUpToPage(length);
    const offset = this.allocator.allocate(len);
    const end = offset + len;
    if (end > this.fileSize) {
      const newSize = Math.max(this.fileSize * 2, Math.ceil(end / MEMORY_FILE_WINDOW) * MEMORY_FILE_WINDOW);
      truncate(this.fd, newSize);
      this.fileSize = newSize;
    }
    this.refs.add(offset, len);
    return offset;
  }

  /** Adds a reference to every page of [offset, offset+length). */
  incRef(offset: number, length: number): void {
    this.refs.incRef(offset, roundUpToPage(length));
  }

  /**
   * Drops a reference from every page of [offset, offset+length); pages that
   * reach zero are hole-punched and returned to the allocator.
   */
  decRef(offset: number, length: number): void {
    for (const r of this.refs.decRef(offset, roundUpToPage(length))) {
      punchHole(this.fd, r.start, r.end - r.start);
      this.allocator.release(r.start, r.end - r.start);
    }
  }

  /** The reference count of the page at `offset` (0 if it is free). */
  refCount(offset: number): number {
    return this.refs.countAt(offset);
  }

  /** The largest reference count of any page in the range. */
  maxRefCount(offset: number, length: number): number {
    return this.refs.maxCount(offset, length);
  }

  /** The reference-count runs of [offset, offset+length), free pages left out. */
  refCountRuns(offset: number, length: number): Array<{ start: number; end: number; count: number }> {
    return this.refs.runsIn(offset, length);
  }

  /**
   * A zero-copy view of [offset, offset+length). The range must not cross a
   * window boundary (no single allocation does).
   */
  bytes(offset: number, length: number): Uint8Array {
    const w = Math.floor(offset / MEMORY_FILE_WINDOW);
    const base = w * MEMORY_FILE_WINDOW;
    const rel = offset - base;
    if (rel + length > MEMORY_FILE_WINDOW) {
      throw new RangeError(`memory file range ${offset}+${length} crosses a window`);
    }
    return this.window(offset).subarray(rel, rel + length);
  }

  /**
   * The whole sentry window holding `offset` (offset % MEMORY_FILE_WINDOW
   * indexes it). For hot copy loops that must not allocate a view per call;
   * everything else should use `bytes`.
   */
  window(offset: number): Uint8Array {
    const w = Math.floor(offset / MEMORY_FILE_WINDOW);
    const window = this.windows[w];
    if (window !== undefined) return window.bytes;
    this.checkOpen();
    const mapping = mapShared(this.fd, w * MEMORY_FILE_WINDOW, MEMORY_FILE_WINDOW);
    this.windows[w] = mapping;
    return mapping.bytes;
  }

  /**
   * The window holding `offset` as 32-bit words (index (offset %
   * MEMORY_FILE_WINDOW) / 4), for atomic operations on aligned words.
   */
  wordWindow(offset: number): Int32Array {
    const w = Math.floor(offset / MEMORY_FILE_WINDOW);
    let words = this.words[w];
    if (words === undefined) {
      const bytes = this.window(offset);
      words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      this.words[w] = words;
    }
    return words;
  }

  /**
   * Drops the sentry's own view of the pages of [offset, offset+length)
   * (page aligned) without changing them: after the sentry fills pages only
   * the application reads (a file copied into the page cache), the sentry's
   * RSS no longer counts them; a later access through `bytes` faults them
   * back in.
   */
  releaseView(offset: number, length: number): void {
    const w = Math.floor(offset / MEMORY_FILE_WINDOW);
    const window = this.windows[w];
    if (window === undefined) return;
    dropMappedPages(window, offset - w * MEMORY_FILE_WINDOW, roundUpToPage(length));
  }

  /**
   * Drops the sentry's view of every page (releaseView over all windows):
   * pages the sentry touched to serve the application (a loaded image,
   * read(2) into its buffers) stop counting in the sentry's RSS.
   */
  releaseAllViews(): void {
    this.windows.forEach((window) => {
      if (window !== undefined) dropMappedPages(window, 0, MEMORY_FILE_WINDOW);
    });
  }

  /** Copies `length` bytes from offset `src` to offset `dst`, page run by page run. */
  copy(dst: number, src: number, length: number): void {
    this.bytes(dst, length).set(this.bytes(src, length));
  }

  /** Makes [offset, offset+length) of a live range read as zeros again, freeing its pages. */
  zero(offset: number, length: number): void {
    punchHole(this.fd, offset, roundUpToPage(length));
  }

  /** The sub-ranges of [offset, offset+length) that hold pages (were touched). */
  committedRanges(offset: number, length: number): FileRange[] {
    const end = offset + length;
    const out: FileRange[] = [];
    let pos = offset;
    while (pos < end) {
      const data = seekData(this.fd, pos);
      if (data < 0 || data >= end) break;
      const hole = Math.min(seekHole(this.fd, data), end);
      out.push({ start: data, end: hole });
      pos = hole;
    }
    return out;
  }

  /** The number of bytes of [offset, offset+length) that hold pages. */
  committedBytes(offset: number, length: number): number {
    let n = 0;
    for (const r of this.committedRanges(offset, length)) n += r.end - r.start;
    return n;
  }

  /** Bytes currently allocated (reference count > 0). */
  allocatedBytes(): number {
    let n = 0;
    for (const r of this.refs.runs()) n += r.end - r.start;
    return n;
  }

  /** Unmaps the sentry's windows and closes the memfd. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.windows) if (w !== undefined) unmapShared(w);
    this.windows.length = 0;
    this.words.length = 0;
    closeFd(this.fd);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('memory file is closed');
  }
}

function roundUpToPage(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}
