import { Errno, MAP, MFD, S, SysError } from '@tvisor/abi';
import { makeDev } from '@tvisor/vfs';
import { IoUringImpl } from '../events/io-uring.js';
import { mappableFile } from '../mappable.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** /dev/zero, which Linux maps as anonymous memory (shared memory for MAP_SHARED). */
const DEV_ZERO = makeDev(1, 5);

function fileToMap(t: Task, fd: number, flags: number) {
  const file = t.group.fds.get(fd);
  const st = file.stat();
  const type = st.mode & S.IFMT;
  // Only regular files have pages to map: a pipe, a terminal, a socket or a
  // directory is ENODEV, as on Linux (never a read that would consume input).
  if (type === S.IFCHR && st.rdev === DEV_ZERO) return 'zero';
  if (type !== S.IFREG) throw new SysError(Errno.ENODEV);
  if (!file.readable) throw new SysError(Errno.EACCES);
  const fs = t.group.fs;
  // Only private mappings may share the page cache: a shared mapping's
  // writes must reach the file, and the cache is a copy.
  const shared = (flags & MAP.TYPE) !== MAP.PRIVATE;
  const mappable = mappableFile(file, fs.vfs.pathOf(file.vd, fs.root).path, shared ? { shared: t.kernel.filePages } : { cache: t.kernel.pageCache });
  return { mappable, noExec: file.mount.flags.noExec === true };
}

/** brk and the anonymous-memory syscalls, served by the process's MemoryManager. */
export function registerMemorySyscalls(table: SyscallTable): void {
  table.register({
    brk: { args: ['ptr'], handler: (t, a) => t.mm.brk(a.arg(0)) },
    mmap: {
      args: ['ptr', 'uint', 'hex', 'hex', 'fd', 'hex'],
      handler: (t, a) => {
        const fd = a.argInt(4);
        let flags = a.argUint(3);
        const offset = a.arg(5);
        // An io_uring's rings: the offset selects which object, each mapped from its start.
        const ring = flags & MAP.ANONYMOUS ? undefined : t.group.fds.get(fd).impl;
        if (ring instanceof IoUringImpl) {
          const file = ring.mappingAt(offset, a.arg(1));
          return t.mm.mmap({ addr: a.arg(0), length: a.arg(1), prot: a.argUint(2), flags, file, offset: 0 });
        }
        const mapped = flags & MAP.ANONYMOUS ? undefined : fileToMap(t, fd, flags);
        if (mapped === 'zero') flags |= MAP.ANONYMOUS;
        const file = mapped === 'zero' ? undefined : mapped?.mappable;
        const noExec = mapped !== undefined && mapped !== 'zero' && mapped.noExec;
        return t.mm.mmap({ addr: a.arg(0), length: a.arg(1), prot: a.argUint(2), flags, file, offset, noExec });
      },
    },
    munmap: {
      args: ['ptr', 'uint'],
      handler: (t, a) => {
        t.mm.munmap(a.arg(0), a.arg(1));
        return 0;
      },
    },
    mremap: {
      args: ['ptr', 'uint', 'uint', 'hex', 'ptr'],
      handler: (t, a) => t.mm.mremap(a.arg(0), a.arg(1), a.arg(2), a.argUint(3), a.arg(4)),
    },
    madvise: {
      args: ['ptr', 'uint', 'int'],
      handler: (t, a) => {
        t.mm.madvise(a.arg(0), a.arg(1), a.argInt(2));
        return 0;
      },
    },
    msync: {
      args: ['ptr', 'uint', 'hex'],
      handler: (t, a) => {
        t.mm.msync(a.arg(0), a.arg(1), a.argInt(2));
        return 0;
      },
    },
    mincore: {
      args: ['ptr', 'uint', 'ptr'],
      handler: (t, a) => {
        t.mm.copyOut(a.arg(2), t.mm.mincore(a.arg(0), a.arg(1)));
        return 0;
      },
    },
    mlock: { args: ['ptr', 'uint'], handler: (t, a) => (t.mm.mlock(a.arg(0), a.arg(1)), 0) },
    mlock2: { args: ['ptr', 'uint', 'hex'], handler: (t, a) => (t.mm.mlock(a.arg(0), a.arg(1), (a.argUint(2) & 1) !== 0), 0) },
    munlock: { args: ['ptr', 'uint'], handler: (t, a) => (t.mm.munlock(a.arg(0), a.arg(1)), 0) },
    mlockall: { args: ['hex'], handler: (t, a) => (t.mm.mlockall(a.argInt(0)), 0) },
    munlockall: { args: [], handler: (t) => (t.mm.munlockall(), 0) },
    memfd_create: {
      args: ['str', 'hex'],
      support: 'partial',
      note: 'a tmpfs file; sealing (F_ADD_SEALS) is not supported',
      handler: (t, a) => {
        const flags = a.argUint(1);
        if (flags & ~(MFD.CLOEXEC | MFD.ALLOW_SEALING)) throw new SysError(Errno.EINVAL);
        const name = t.mm.readCString(a.arg(0), 250);
        const file = t.kernel.memfds.create(name, t);
        return t.group.fds.add(file, (flags & MFD.CLOEXEC) !== 0);
      },
    },
    mprotect: {
      args: ['ptr', 'uint', 'hex'],
      handler: (t, a) => {
        t.mm.mprotect(a.arg(0), a.arg(1), a.argUint(2));
        return 0;
      },
    },
    membarrier: {
      args: ['int', 'hex', 'int'],
      support: 'partial',
      note: 'QUERY reports no commands: glibc and runtimes fall back',
      handler: (_t, a) => {
        if (a.argInt(0) === 0) return 0;
        throw new SysError(Errno.EINVAL);
      },
    },
  });
}
