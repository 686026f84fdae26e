import type { MemoryFile, MemoryFileRange } from '@tvisor/mm';
import type { FileDescription, StatInfo } from '@tvisor/vfs';

const PAGE = 4096;
/** How much file content the cache keeps in the memory file before evicting the least recently used. */
const CACHE_LIMIT = 512 * 1024 * 1024;
/** Files larger than this are not cached whole (they would crowd out everything else). */
const FILE_LIMIT = 128 * 1024 * 1024;
/** How much of a file is read into the cache before the sentry drops its view of those pages. */
const FILL_CHUNK = 1024 * 1024;

interface CachedFile {
  offset: number;
  length: number;
}

/**
 * Whole-file copies of mapped files in the memory file, shared by every
 * private mapping of the same file version: ld.so maps libc into every
 * process, and with this each one maps the same pages copy-on-write instead
 * of reading and copying 2 MB. A file is identified by device, inode, size
 * and change times, so a file changed since is read afresh.
 */
export class PageCache {
  private readonly files = new Map<string, CachedFile>();
  private bytes = 0;

  constructor(private readonly memoryFile: MemoryFile) {}

  private static key(st: StatInfo): string {
    return `${st.dev}:${st.ino}:${st.size}:${st.mtime.sec}.${st.mtime.nsec}:${st.ctime.sec}.${st.ctime.nsec}`;
  }

  /** The memory-file pages holding `file`'s bytes, loading them on first use; undefined if it is not cacheable. */
  pagesOf(file: FileDescription, st: StatInfo): CachedFile | undefined {
    if (st.size === 0 || st.size > FILE_LIMIT) return undefined;
    const key = PageCache.key(st);
    const hit = this.files.get(key);
    if (hit) {
      // Most recently used last.
      this.files.delete(key);
      this.files.set(key, hit);
      return hit;
    }
    const length = Math.ceil(st.size / PAGE) * PAGE;
    const offset = this.memoryFile.allocate(length);
    const dst = this.memoryFile.bytes(offset, st.size);
    let done = 0;
    try {
      // In chunks, each let go of once filled: the copy is the application's
      // to map, and the sentry's RSS need not carry a whole file at once.
      while (done < st.size) {
        const chunkEnd = Math.min(st.size, done + FILL_CHUNK);
        const chunkStart = done;
        while (done < chunkEnd) {
          const n = file.readUnreported(dst.subarray(done, chunkEnd), done);
          if (n <= 0) break;
          done += n;
        }
        this.memoryFile.releaseView(offset + chunkStart, done - chunkStart);
        if (done < chunkEnd) break;
      }
    } catch (e) {
      this.memoryFile.decRef(offset, length);
      throw e;
    }
    const entry = { offset, length };
    this.files.set(key, entry);
    this.bytes += length;
    this.evict();
    return entry;
  }

  private evict(): void {
    for (const [key, f] of this.files) {
      if (this.bytes <= CACHE_LIMIT) break;
      this.files.delete(key);
      this.bytes -= f.length;
      // Mappings keep their own references: the pages live on until they are unmapped.
      this.memoryFile.decRef(f.offset, f.length);
    }
  }

  /** A sharedPages function over a cached file, in the form mm's MappableFile wants. */
  static ranges(f: CachedFile): (offset: number, length: number) => MemoryFileRange[] {
    return (offset, length) => [{ fileOffset: f.offset + offset, length }];
  }
}
