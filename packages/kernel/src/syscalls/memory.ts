import { CAP, Errno, MAP, MFD, MLOCK, O, PROT, RLIM_INFINITY, RLIMIT, S, SysError } from '@tvisor/abi';
import { hasCapability } from '../credentials.js';
import { makeDev } from '@tvisor/vfs';
import { IoUringImpl } from '../events/io-uring.js';
import { mappableFile } from '../mappable.js';
import { sealedSharedMapping } from '../memfd.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** /dev/zero, which Linux maps as anonymous memory (shared memory for MAP_SHARED). */
const DEV_ZERO = makeDev(1, 5);

/** The largest file offset a mapping may reach (Linux's MAX_LFS_FILESIZE, 2^63 - 1), plus one. */
const FILE_OFFSET_END = 2n ** 63n;

/**
 * The file behind a file mapping, checked in Linux's order: an O_PATH fd is
 * EBADF, an fd not open for reading EACCES, a shared writable mapping of an
 * fd not open for writing EACCES, and a file without pages to map (a pipe,
 * a terminal, a socket, a directory) ENODEV (never a read that would
 * consume input).
 */
function fileToMap(t: Task, fd: number, flags: number, prot: number) {
  const file = t.group.fds.getOpenFile(fd);
  if (!file.readable) throw new SysError(Errno.EACCES);
  const shared = (flags & MAP.TYPE) !== MAP.PRIVATE;
  if (shared && (prot & PROT.WRITE) !== 0 && (!file.writable || (file.statusFlags & O.APPEND) !== 0)) throw new SysError(Errno.EACCES);
  const st = file.stat();
  const type = st.mode & S.IFMT;
  if (type === S.IFCHR && st.rdev === DEV_ZERO) return 'zero';
  if (type !== S.IFREG) throw new SysError(Errno.ENODEV);
  const fs = t.group.fs;
  // Only private mappings may share the page cache: a shared mapping's
  // writes must reach the file, and the cache is a copy.
  const mapped = mappableFile(file, fs.vfs.pathOf(file.vd, fs.root).path, shared ? { shared: t.kernel.filePages } : { cache: t.kernel.pageCache });
  // A shared mapping of a read-only fd can never be made writable (Linux drops VM_MAYWRITE).
  const maxProt = file.writable ? PROT.READ | PROT.WRITE | PROT.EXEC : PROT.READ | PROT.EXEC;
  const noExec = file.mount.flags.noExec === true;
  return { ...(shared ? sealedSharedMapping(file, mapped, prot, maxProt) : { file: mapped, maxProt }), noExec };
}

/**
 * Gives mm the limits that hold for this caller now: RLIMIT_AS, RLIMIT_DATA,
 * and RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK (as Linux's can_do_mlock and
 * mlock_future_ok read them at each call).
 */
function applyMemoryLimits(t: Task): void {
  const r = t.group.rlimits;
  const bytes = (v: bigint) => (v === RLIM_INFINITY ? Infinity : Number(v));
  const l = t.mm.limits;
  l.addressSpace = bytes(r[RLIMIT.AS][0]);
  l.data = bytes(r[RLIMIT.DATA][0]);
  l.memlock = hasCapability(t.creds, CAP.IPC_LOCK) ? Infinity : bytes(r[RLIMIT.MEMLOCK][0]);
}

/** brk and the anonymous-memory syscalls, served by the process's MemoryManager. */
export function registerMemorySyscalls(table: SyscallTable): void {
  table.register({
    brk: {
      args: ['ptr'],
      handler: (t, a) => {
        applyMemoryLimits(t);
        return t.mm.brk(a.arg(0));
      },
    },
    mmap: {
      args: ['ptr', 'uint', 'hex', 'hex', 'fd', 'hex'],
      handler: (t, a) => {
        applyMemoryLimits(t);
        const fd = a.argInt(4);
        let flags = a.argUint(3);
        const prot = a.argUint(2);
        const offsetBig = a.argBig(5);
        // The offset is a 64-bit unsigned value here: one past 2^63 - 1 (or
        // a "negative" one) cannot be mapped (EOVERFLOW, after alignment).
        const fileMapping = (flags & MAP.ANONYMOUS) === 0;
        if (fileMapping && (offsetBig & 0xfffn) === 0n && offsetBig + BigInt(Math.ceil(Math.min(a.arg(1), 2 ** 62) / 4096) * 4096) >= FILE_OFFSET_END) {
          throw new SysError(Errno.EOVERFLOW);
        }
        const offset = Number(offsetBig);
        // An io_uring's rings: the offset selects which object, each mapped from its start.
        const ring = flags & MAP.ANONYMOUS ? undefined : t.group.fds.get(fd).impl;
        if (ring instanceof IoUringImpl) {
          const file = ring.mappingAt(offset, a.arg(1));
          return t.mm.mmap({ addr: a.arg(0), length: a.arg(1), prot: a.argUint(2), flags, file, offset: 0 });
        }
        const mapped = flags & MAP.ANONYMOUS ? undefined : fileToMap(t, fd, flags, prot);
        if (mapped === 'zero') flags |= MAP.ANONYMOUS;
        const target = mapped === 'zero' ? undefined : mapped;
        return t.mm.mmap({ addr: a.arg(0), length: a.arg(1), prot, flags, file: target?.file, maxProt: target?.maxProt, offset, noExec: target?.noExec });
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
      handler: (t, a) => {
        applyMemoryLimits(t);
        return t.mm.mremap(a.arg(0), a.arg(1), a.arg(2), a.argUint(3), a.arg(4));
      },
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
    mlock: { args: ['ptr', 'uint'], handler: (t, a) => (applyMemoryLimits(t), t.mm.mlock(a.arg(0), a.arg(1)), 0) },
    mlock2: {
      args: ['ptr', 'uint', 'hex'],
      handler: (t, a) => {
        const flags = a.argUint(2);
        if ((flags & ~MLOCK.ONFAULT) !== 0) throw new SysError(Errno.EINVAL);
        applyMemoryLimits(t);
        t.mm.mlock(a.arg(0), a.arg(1), (flags & MLOCK.ONFAULT) !== 0);
        return 0;
      },
    },
    munlock: { args: ['ptr', 'uint'], handler: (t, a) => (t.mm.munlock(a.arg(0), a.arg(1)), 0) },
    mlockall: { args: ['hex'], handler: (t, a) => (applyMemoryLimits(t), t.mm.mlockall(a.argInt(0)), 0) },
    munlockall: { args: [], handler: (t) => (t.mm.munlockall(), 0) },
    memfd_create: {
      args: ['str', 'hex'],
      handler: (t, a) => {
        const flags = a.argUint(1);
        if (flags & ~(MFD.CLOEXEC | MFD.ALLOW_SEALING)) throw new SysError(Errno.EINVAL);
        const name = t.mm.readCString(a.arg(0), 250);
        const file = t.kernel.memfds.create(name, t, (flags & MFD.ALLOW_SEALING) !== 0);
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
