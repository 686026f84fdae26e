import { Errno, FALLOC_FL, POSIX_FADV, S, SysError } from '@tvisor/abi';
import type { SyscallTable } from '../syscall-table.js';
import { checkFileGrowth } from '../user-io.js';

/** File space and caching advice: fallocate, fadvise64, readahead. */
export function registerFileSpaceSyscalls(table: SyscallTable): void {
  table.register({
    fallocate: {
      args: ['fd', 'hex', 'int', 'int'],
      handler: (t, a) => {
        const file = t.group.fds.get(a.argInt(0));
        const [mode, offset, length] = [a.argInt(1), a.argSigned(2), a.argSigned(3)];
        if (!(mode & FALLOC_FL.KEEP_SIZE) && offset >= 0 && length > 0 && file.writable) checkFileGrowth(t, () => file.stat(), offset + length);
        file.allocate(mode, offset, length);
        return 0;
      },
    },
    // Advice is only checked (the page cache needs no hints): as Linux's
    // vfs_fadvise, a FIFO is ESPIPE, a negative length or unknown advice EINVAL.
    fadvise64: {
      args: ['fd', 'int', 'int', 'int'],
      handler: (t, a) => {
        const file = t.group.fds.getOpenFile(a.argInt(0));
        if ((file.stat().mode & S.IFMT) === S.IFIFO) throw new SysError(Errno.ESPIPE);
        const advice = a.argInt(3);
        if (a.argSigned(2) < 0 || advice < POSIX_FADV.NORMAL || advice > POSIX_FADV.NOREUSE) throw new SysError(Errno.EINVAL);
        return 0;
      },
    },
    // readahead(2): only a readable regular file qualifies (Linux's ksys_readahead); a negative offset is allowed.
    readahead: {
      args: ['fd', 'int', 'uint'],
      handler: (t, a) => {
        const file = t.group.fds.getOpenFile(a.argInt(0));
        if (!file.readable) throw new SysError(Errno.EBADF);
        const type = file.stat().mode & S.IFMT;
        if (type !== S.IFREG && type !== S.IFBLK) throw new SysError(Errno.EINVAL);
        if (a.argSigned(2) < 0) throw new SysError(Errno.EINVAL);
        return 0;
      },
    },
  });
}
