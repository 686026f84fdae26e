import type { MappableFile, MemoryFileRange } from '@tvisor/mm';
import { Errno, S, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import type { MemoryFilePages } from './file-pages.js';
import { PageCache } from './page-cache.js';

const PAGE = 4096;

/**
 * A MAP_SHARED mapping's pages: the file's own (tmpfs files whose pages
 * live in the memory file), so the mapping and read/write share bytes.
 * Undefined when the file has none (host files): it can then be mapped
 * shared only read-only.
 */
function sharedFilePages(file: FileDescription, pages: MemoryFilePages): MappableFile['sharedPages'] {
  if (!file.hasMappablePages) return undefined;
  const offsetOf = (index: number) => {
    const off = pages.offsetOf(file.mappablePage(index));
    if (off === undefined) throw new SysError(Errno.ENODEV);
    return off;
  };
  return (offset, length) => {
    const out: MemoryFileRange[] = [];
    for (let pos = offset; pos < offset + length; pos += PAGE) {
      const fileOffset = offsetOf(pos / PAGE);
      const last = out[out.length - 1];
      if (last !== undefined && last.fileOffset + last.length === fileOffset) last.length += PAGE;
      else out.push({ fileOffset, length: PAGE });
    }
    return out;
  };
}

/**
 * An open file as mm sees it for mmap(2): its bytes (read at an offset into
 * a buffer), its identity for /proc/PID/maps, and its size.
 */
export function mappableFile(file: FileDescription, mapsName: string, backing: { cache: PageCache } | { shared: MemoryFilePages }): MappableFile {
  const st = file.stat();
  // A private mapping of a regular file shares the cached copy of its pages,
  // copy-on-write; a shared one maps the file's own pages where it has them.
  const sharedPages =
    'shared' in backing
      ? sharedFilePages(file, backing.shared)
      : (st.mode & S.IFMT) === S.IFREG
        ? (() => {
            const cached = backing.cache.pagesOf(file, st);
            return cached ? PageCache.ranges(cached) : undefined;
          })()
        : undefined;
  return {
    ...(sharedPages ? { sharedPages } : {}),
    mapsName,
    dev: st.dev,
    ino: st.ino,
    size: () => file.stat().size,
    readAt(offset, dst) {
      let done = 0;
      while (done < dst.length) {
        const n = file.readUnreported(dst.subarray(done), offset + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
  };
}
