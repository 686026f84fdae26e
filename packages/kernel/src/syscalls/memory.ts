import { Errno, MAP, SysError } from '@tvisor/abi';
import { mappableFile } from '../mappable.js';
import type { Task } from '../task.js';
import type { SyscallTable } from './table.js';

function fileToMap(t: Task, fd: number, flags: number) {
  const file = t.group.fds.get(fd);
  if (!file.readable) throw new SysError(Errno.EACCES);
  const fs = t.group.fs;
  // Only private mappings may share the page cache: a shared mapping's
  // writes must reach the file, and the cache is a copy.
  const shared = (flags & MAP.TYPE) !== MAP.PRIVATE;
  return mappableFile(file, fs.vfs.pathOf(file.vd, fs.root).path, shared ? undefined : t.kernel.pageCache);
}

/** brk and the anonymous-memory syscalls, served by the process's MemoryManager. */
export function registerMemorySyscalls(table: SyscallTable): void {
  table.register({
    brk: { args: ['ptr'], handler: (t, a) => t.mm.brk(a.arg(0)) },
    mmap: {
      args: ['ptr', 'uint', 'hex', 'hex', 'fd', 'hex'],
      handler: (t, a) => {
        const fd = a.argInt(4);
        const flags = a.argUint(3);
        const file = flags & MAP.ANONYMOUS ? undefined : fileToMap(t, fd, flags);
        return t.mm.mmap({ addr: a.arg(0), length: a.arg(1), prot: a.argUint(2), flags, file, offset: a.arg(5) });
      },
    },
    munmap: {
      args: ['ptr', 'uint'],
      handler: (t, a) => {
        t.mm.munmap(a.arg(0), a.arg(1));
        return 0;
      },
    },
    mprotect: {
      args: ['ptr', 'uint', 'hex'],
      handler: (t, a) => {
        t.mm.mprotect(a.arg(0), a.arg(1), a.argUint(2));
        return 0;
      },
    },
  });
}
