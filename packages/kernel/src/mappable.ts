import type { MappableFile } from '@tvisor/mm';
import type { FileDescription } from '@tvisor/vfs';

/**
 * An open file as mm sees it for mmap(2): its bytes (read at an offset into
 * a buffer), its identity for /proc/PID/maps, and its size.
 */
export function mappableFile(file: FileDescription, mapsName: string): MappableFile {
  const st = file.stat();
  return {
    mapsName,
    dev: st.dev,
    ino: st.ino,
    size: () => file.stat().size,
    readAt(offset, dst) {
      let done = 0;
      while (done < dst.length) {
        const n = file.read(dst.subarray(done), offset + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
  };
}
