import type { MappableFile } from '@tvisor/mm';
import { S } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import { PageCache } from './page-cache.js';

/**
 * An open file as mm sees it for mmap(2): its bytes (read at an offset into
 * a buffer), its identity for /proc/PID/maps, and its size.
 */
export function mappableFile(file: FileDescription, mapsName: string, cache?: PageCache): MappableFile {
  const st = file.stat();
  // A private mapping of a regular file shares the cached copy of its pages, copy-on-write.
  const cached = cache && (st.mode & S.IFMT) === S.IFREG ? cache.pagesOf(file, st) : undefined;
  return {
    ...(cached ? { sharedPages: PageCache.ranges(cached) } : {}),
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
