import { decodeStruct, encodeStruct, Errno, IPC, MAP, PROT, SHMF, ShmidDs, ShmInfoLimits, ShmInfoUsage, SysError } from '@tvisor/abi';
import { PAGE_SIZE, pageAlignUp } from '@tvisor/mm';
import { ipcNamespaceOf } from '../namespaces.js';
import { ipcNow } from '../ipc/registry.js';
import { ShmSegment } from '../ipc/shm-segment.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** SHMMIN: the smallest segment. */
const SHM_MIN = 1;
/** SHMLBA: attach addresses are multiples of this (a page on x86-64). */
const SHM_LBA = PAGE_SIZE;

function shmget(t: Task, key: number, size: number, flags: number): number {
  const ns = ipcNamespaceOf(t);
  const kernel = t.kernel;
  return ns.shm.get(
    key,
    flags,
    t.creds,
    () => {
      if (size < SHM_MIN || BigInt(size) > ns.shmmax) throw new SysError(Errno.EINVAL);
      const pages = ns.shm.all().reduce((n, s) => n + s.pageCount, 0);
      if (BigInt(pages + Math.ceil(size / PAGE_SIZE)) > ns.shmall) throw new SysError(Errno.ENOSPC);
      const seg = new ShmSegment(
        key,
        t.creds,
        flags,
        size,
        t.group.pid,
        kernel.memoryFile,
        () => kernel.current?.group.pid ?? 0,
        (gone) => ns.shm.remove(gone),
      );
      ns.segments.set(seg.mappable, seg);
      return seg;
    },
    (existing) => {
      if (size > existing.size) throw new SysError(Errno.EINVAL);
    },
  );
}

function shmat(t: Task, id: number, addr: number, flags: number): number {
  const ns = ipcNamespaceOf(t);
  let mapFlags = MAP.SHARED;
  if (addr !== 0) {
    if (addr % SHM_LBA !== 0) {
      if (!(flags & SHMF.RND)) throw new SysError(Errno.EINVAL);
      addr -= addr % SHM_LBA;
      if (addr === 0 && flags & SHMF.REMAP) throw new SysError(Errno.EINVAL);
    }
    mapFlags |= MAP.FIXED;
  } else if (flags & SHMF.REMAP) {
    throw new SysError(Errno.EINVAL);
  }
  const seg = ns.shm.lookup(id);
  const readOnly = (flags & SHMF.RDONLY) !== 0;
  let prot = readOnly ? PROT.READ : PROT.READ | PROT.WRITE;
  if (flags & SHMF.EXEC) prot |= PROT.EXEC;
  seg.checkAccess(t.creds, (readOnly ? 4 : 6) | (flags & SHMF.EXEC ? 1 : 0));
  const length = pageAlignUp(seg.size);
  // Without SHM_REMAP an attach never replaces what is mapped there.
  if (mapFlags & MAP.FIXED && !(flags & SHMF.REMAP) && t.mm.vmaList().some((v) => v.start < addr + length && v.end > addr)) throw new SysError(Errno.EINVAL);
  const at = t.mm.mmap({
    addr,
    length,
    prot,
    flags: mapFlags,
    file: seg.mappable,
    offset: 0,
    maxProt: readOnly ? PROT.READ | PROT.EXEC : PROT.READ | PROT.WRITE | PROT.EXEC,
  });
  seg.attached(t.group.pid);
  return at;
}

/**
 * shmdt: unmaps the attach that starts at `addr` (a VMA of a segment at
 * offset 0 there), and every later VMA of the same segment within its
 * size at the matching offset, as Linux does after partial munmaps.
 */
function shmdt(t: Task, addr: number): number {
  const ns = ipcNamespaceOf(t);
  if (addr % PAGE_SIZE !== 0) throw new SysError(Errno.EINVAL);
  const vmas = t.mm.vmaList();
  const first = vmas.find((v) => v.start === addr && v.file !== null && ns.segments.has(v.file) && v.fileOffset === 0);
  if (first === undefined) throw new SysError(Errno.EINVAL);
  const seg = ns.segments.get(first.file!)!;
  const end = addr + pageAlignUp(seg.size);
  for (const v of vmas) {
    if (v.start < addr || v.start >= end || v.file !== first.file || v.fileOffset !== v.start - addr) continue;
    t.mm.munmap(v.start, Math.min(v.end, end) - v.start);
  }
  return 0;
}

function shmStat(t: Task, seg: ShmSegment, addr: number, checkRead: boolean): void {
  if (checkRead) seg.checkAccess(t.creds, 4);
  t.mm.copyOut(
    addr,
    encodeStruct(ShmidDs, {
      perm: seg.perm(),
      segsz: seg.size,
      atime: seg.atime,
      dtime: seg.dtime,
      ctime: seg.ctime,
      cpid: seg.cpid,
      lpid: seg.lpid,
      nattch: seg.nattch,
    }),
  );
}

function shmctl(t: Task, id: number, cmd: number, addr: number): number {
  const ns = ipcNamespaceOf(t);
  if (id < 0 || cmd < 0) throw new SysError(Errno.EINVAL);
  const creds = t.creds;
  switch (cmd) {
    case IPC.INFO:
      t.mm.copyOut(addr, encodeStruct(ShmInfoLimits, { shmmax: ns.shmmax, shmmin: SHM_MIN, shmmni: ns.shm.limit, shmseg: ns.shm.limit, shmall: ns.shmall }));
      return ns.shm.highestSlot();
    case SHMF.INFO: {
      const segs = ns.shm.all();
      t.mm.copyOut(
        addr,
        encodeStruct(ShmInfoUsage, {
          used_ids: segs.length,
          shm_tot: segs.reduce((n, s) => n + s.pageCount, 0),
          shm_rss: segs.reduce((n, s) => n + s.residentPages(), 0),
          shm_swp: 0,
          swap_attempts: 0,
          swap_successes: 0,
        }),
      );
      return ns.shm.highestSlot();
    }
    case SHMF.STAT:
    case SHMF.STAT_ANY: {
      const seg = ns.shm.atSlot(id);
      shmStat(t, seg, addr, cmd === SHMF.STAT);
      return seg.id;
    }
  }
  const seg = ns.shm.lookup(id);
  switch (cmd) {
    case IPC.STAT:
      shmStat(t, seg, addr, true);
      return 0;
    case IPC.SET: {
      const ds = decodeStruct(ShmidDs, t.mm.copyIn(addr, ShmidDs.size));
      seg.checkOwner(creds);
      seg.setPerm(ds.perm);
      return 0;
    }
    case IPC.RMID:
      seg.checkOwner(creds);
      // Its key is free at once; the segment stays for its attaches (SHM_DEST).
      ns.shm.forgetKey(seg);
      seg.remove();
      return 0;
    case SHMF.LOCK:
    case SHMF.UNLOCK:
      seg.checkOwner(creds);
      if (cmd === SHMF.LOCK) seg.mode |= SHMF.LOCKED;
      else seg.mode &= ~SHMF.LOCKED;
      seg.ctime = ipcNow();
      return 0;
    default:
      throw new SysError(Errno.EINVAL);
  }
}

/** System V shared memory (shmget(2), shmat(2), shmdt(2), shmctl(2)), backed by the memory file. */
export function registerSysvShmSyscalls(table: SyscallTable): void {
  table.register({
    shmget: { args: ['hex', 'uint', 'oct'], handler: (t, a) => shmget(t, a.argInt(0), a.arg(1), a.argInt(2)) },
    shmat: { args: ['int', 'ptr', 'hex'], handler: (t, a) => shmat(t, a.argInt(0), a.arg(1), a.argInt(2)) },
    shmdt: { args: ['ptr'], handler: (t, a) => shmdt(t, a.arg(0)) },
    shmctl: { args: ['int', 'int', 'ptr'], handler: (t, a) => shmctl(t, a.argInt(0), a.argInt(1), a.arg(2)) },
  });
}
