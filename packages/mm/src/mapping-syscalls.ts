import { Errno, MAP, MREMAP, PROT, SysError } from '@tvisor/abi';
import { MMAP_MIN_ADDR, PAGE_SIZE, STUB_RESERVED_START, TASK_SIZE, isPageAligned, pageAlignUp } from './layout.js';
import type { MappableFile } from './mappable-file.js';
import { MAX_MAP_COUNT, PROT_RWX, isDataVma } from './mm-state.js';
import { MmPart } from './mm-part.js';
import { findUnmappedArea, startGap } from './placement.js';
import type { Pma } from './pma.js';
import { SharedMemory } from './shared-memory.js';
import { offsetAt, type Vma } from './vma.js';

/** Arguments of mmap(2), with the fd already resolved to a file by the kernel. */
export interface MmapOptions {
  /** The hint, or the exact address with MAP_FIXED / MAP_FIXED_NOREPLACE. */
  addr: number;
  length: number;
  prot: number;
  flags: number;
  /** The file for a file-backed mapping (ignored with MAP_ANONYMOUS). */
  file?: MappableFile;
  /** The file offset (page-aligned). */
  offset?: number;
  /**
   * For MAP_SHARED file mappings: the protections the fd's open mode allows
   * (PROT_WRITE only if opened O_RDWR). Defaults to all. The kernel checks
   * the fd's mode against `prot` (EACCES) itself or through this.
   */
  maxProt?: number;
  /**
   * For a private mapping the kernel makes itself (the vvar page): the
   * protections mprotect may ever grant (Linux's special mappings lack
   * VM_MAYWRITE); EACCES if `prot` asks for more.
   */
  privateMaxProt?: number;
  /** The file lies on a noexec mount: PROT_EXEC is EPERM, and mprotect may never add it (EACCES). */
  noExec?: boolean;
  /** A /proc/PID/maps name for an anonymous mapping, such as "[stack]" or "[vvar]". */
  name?: string;
}

/** One past the largest offset a file mapping may reach (Linux's MAX_LFS_FILESIZE, 2^63 - 1). */
const MAX_FILE_OFFSET_END = 2 ** 63;

/** Flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK plus FIXED_NOREPLACE and 32BIT). */
const VALIDATED_MAP_FLAGS =
  MAP.SHARED |
  MAP.PRIVATE |
  MAP.FIXED |
  MAP.ANONYMOUS |
  MAP.DENYWRITE |
  MAP.EXECUTABLE |
  MAP.UNINITIALIZED |
  MAP.GROWSDOWN |
  MAP.LOCKED |
  MAP.NORESERVE |
  MAP.POPULATE |
  MAP.NONBLOCK |
  MAP.STACK |
  MAP.HUGETLB |
  MAP.FIXED_NOREPLACE |
  MAP['32BIT'];

/**
 * The mapping syscalls: mmap, munmap, mprotect, mremap and brk, plus the
 * loader's and prctl's setters for the break, the stack and anonymous
 * names. They change the VMAs; PageFaults backs, mirrors and drops the
 * pages under them.
 */
export class MappingSyscalls extends MmPart {
  /** mmap(2). Returns the mapping's address. */
  mmap(opts: MmapOptions): number {
    const { addr, length, flags } = opts;
    const offset = opts.offset ?? 0;
    const type = flags & MAP.TYPE;
    if (type !== MAP.SHARED && type !== MAP.PRIVATE && type !== MAP.SHARED_VALIDATE) throw new SysError(Errno.EINVAL);
    const anonymous = (flags & MAP.ANONYMOUS) !== 0;
    // MAP_SHARED_VALIDATE means something only for a file (Linux: EINVAL for anonymous memory).
    if (type === MAP.SHARED_VALIDATE && anonymous) throw new SysError(Errno.EINVAL);
    if (type === MAP.SHARED_VALIDATE && (flags & ~VALIDATED_MAP_FLAGS) !== 0) throw new SysError(Errno.EOPNOTSUPP);
    // File offsets reach 2^63 - 1, past the integers a double holds exactly; page-aligned ones stay exact.
    if (!Number.isInteger(offset) || offset < 0 || !isPageAligned(offset)) throw new SysError(Errno.EINVAL);
    if (!Number.isSafeInteger(addr) || addr < 0) throw new SysError(Errno.EINVAL);
    if (!(length > 0) || !Number.isInteger(length)) throw new SysError(Errno.EINVAL);
    if (length > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    if ((flags & MAP.HUGETLB) !== 0) throw new SysError(Errno.ENOMEM); // no huge page pool
    const len = pageAlignUp(length);
    let file = anonymous ? null : (opts.file ?? null);
    if (!anonymous && file === null) throw new SysError(Errno.EBADF);
    if (file !== null && offset + len >= MAX_FILE_OFFSET_END) throw new SysError(Errno.EOVERFLOW);
    const shared = type !== MAP.PRIVATE;
    const prot = opts.prot & PROT_RWX;
    let maxProt = PROT_RWX;
    if (shared && file !== null) {
      maxProt = (opts.maxProt ?? PROT_RWX) & PROT_RWX;
      if (file.sharedPages === undefined) {
        // Without shared pages, a shared mapping can only be a read-only snapshot.
        if ((prot & PROT.WRITE) !== 0) throw new SysError(Errno.ENODEV);
        maxProt &= ~PROT.WRITE;
      }
      if ((prot & ~maxProt) !== 0) throw new SysError(Errno.EACCES);
    } else if (file !== null && opts.privateMaxProt !== undefined) {
      maxProt = opts.privateMaxProt & PROT_RWX;
      if ((prot & ~maxProt) !== 0) throw new SysError(Errno.EACCES);
    }
    if (file !== null && opts.noExec) {
      if ((prot & PROT.EXEC) !== 0) throw new SysError(Errno.EPERM);
      maxProt &= ~PROT.EXEC;
    }

    const fixed = (flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) !== 0;
    let start: number;
    if (fixed) {
      if (!isPageAligned(addr)) throw new SysError(Errno.EINVAL);
      if (addr + len > STUB_RESERVED_START) throw new SysError(Errno.ENOMEM);
      if (addr < MMAP_MIN_ADDR) throw new SysError(Errno.EPERM);
      if ((flags & MAP.FIXED_NOREPLACE) !== 0 && this.vmas.overlaps(addr, addr + len)) {
        throw new SysError(Errno.EEXIST);
      }
      start = addr;
    } else {
      start = findUnmappedArea(this.vmas, this.state.layout.mmapBase, addr, len, (flags & MAP['32BIT']) !== 0);
    }
    if (this.vmas.length >= MAX_MAP_COUNT) throw new SysError(Errno.ENOMEM);
    // RLIMIT_MEMLOCK: 0 forbids MAP_LOCKED (EPERM); a locked mapping past it is EAGAIN.
    if ((flags & MAP.LOCKED) !== 0 && this.state.limits.memlock === 0) throw new SysError(Errno.EPERM);
    if (((flags & MAP.LOCKED) !== 0 || this.state.lockFuture) && !this.state.mayLock(len)) throw new SysError(Errno.EAGAIN);
    const isData = !shared && (prot & PROT.WRITE) !== 0 && (flags & MAP.GROWSDOWN) === 0;
    if (!this.state.mayExpand(len, isData, fixed ? start : 0, fixed ? start + len : 0)) throw new SysError(Errno.ENOMEM);

    const noReserve = (flags & MAP.NORESERVE) !== 0;
    const name = file === null ? (opts.name ?? null) : null;
    // Shared anonymous memory is an object of its own, shared across fork.
    if (shared && anonymous) file = new SharedMemory(this.memoryFile, len);
    const vma: Vma = {
      start,
      end: start + len,
      prot,
      maxProt,
      shared,
      growsDown: (flags & MAP.GROWSDOWN) !== 0,
      file,
      fileOffset: file !== null && !anonymous ? offset : 0,
      account: !shared && (prot & PROT.WRITE) !== 0 && !noReserve,
      noReserve,
      locked: (flags & MAP.LOCKED) !== 0 || this.state.lockFuture,
      dontFork: false,
      wipeOnFork: false,
      hints: 0,
      policy: 0,
      name,
    };
    if (fixed) this.faults.unmapRange(start, start + len);
    file?.mapped?.();
    this.vmas.insert(vma);
    try {
      if ((flags & MAP.POPULATE) !== 0 || this.faults.shouldPopulateEagerly(vma, len)) this.faults.populate(start, start + len);
    } catch (e) {
      this.faults.unmapRange(start, start + len);
      this.state.flushUnlessBatched();
      throw e;
    }
    this.state.flushUnlessBatched();
    this.state.notePeak();
    return start;
  }

  /** munmap(2). */
  munmap(addr: number, length: number): void {
    if (!isPageAligned(addr) || !(length > 0)) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    if (addr + len > TASK_SIZE) throw new SysError(Errno.EINVAL);
    this.faults.unmapRange(addr, addr + len);
    this.state.flushUnlessBatched();
  }

  /** mprotect(2), PROT_GROWSDOWN included. */
  mprotect(addr: number, length: number, prot: number): void {
    if (!isPageAligned(addr)) throw new SysError(Errno.EINVAL);
    if ((prot & ~(PROT_RWX | PROT.SEM | PROT.GROWSDOWN | PROT.GROWSUP)) !== 0) throw new SysError(Errno.EINVAL);
    if ((prot & PROT.GROWSDOWN) !== 0 && (prot & PROT.GROWSUP) !== 0) throw new SysError(Errno.EINVAL);
    if (length === 0) return;
    const len = pageAlignUp(length);
    let start = addr;
    const end = addr + len;
    if (end > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    // The first VMA overlapping the range; without PROT_GROWSDOWN it must hold `start`.
    const first = this.vmas.items[this.vmas.indexAfter(start)];
    if (first === undefined || first.start >= end) throw new SysError(Errno.ENOMEM);
    if ((prot & PROT.GROWSUP) !== 0) throw new SysError(Errno.EINVAL); // no VM_GROWSUP on x86
    if ((prot & PROT.GROWSDOWN) !== 0) {
      start = first.start;
      if (!first.growsDown) throw new SysError(Errno.EINVAL);
    } else if (first.start > start) {
      throw new SysError(Errno.ENOMEM);
    }
    const newProt = prot & PROT_RWX;
    let pos = start;
    let error = 0;
    while (pos < end) {
      const v = this.vmas.find(pos);
      if (v === undefined) {
        error = Errno.ENOMEM;
        break;
      }
      if ((newProt & ~v.maxProt) !== 0) {
        error = Errno.EACCES;
        break;
      }
      const segEnd = Math.min(v.end, end);
      this.state.changeVmas(pos, segEnd, (x) => {
        if ((newProt & PROT.WRITE) !== 0) {
          // Making private memory writable charges it (VM_ACCOUNT)...
          if (!x.account && (x.prot & PROT.WRITE) === 0 && !x.shared && !x.noReserve) x.account = true;
        } else if (x.account && x.file === null && !x.shared && !this.state.hasCommittedPages(x.start, x.end)) {
          // ...and Linux only uncharges anonymous memory that was never
          // touched (no anon_vma yet); untouched = no page in the memory file.
          x.account = false;
        }
        x.prot = newProt;
      });
      pos = segEnd;
    }
    this.faults.protectRange(start, pos);
    this.state.flushUnlessBatched();
    if (error !== 0) throw new SysError(error);
  }

  /** mremap(2). Returns the (possibly new) address of the mapping. */
  mremap(oldAddr: number, oldLength: number, newLength: number, flags: number, newAddr = 0): number {
    const result = this.remap(oldAddr, oldLength, newLength, flags, newAddr);
    this.state.notePeak();
    return result;
  }

  private remap(oldAddr: number, oldLength: number, newLength: number, flags: number, newAddr: number): number {
    // Parameter checks, in Linux's order.
    if ((flags & ~(MREMAP.MAYMOVE | MREMAP.FIXED | MREMAP.DONTUNMAP)) !== 0) throw new SysError(Errno.EINVAL);
    if (!isPageAligned(oldAddr)) throw new SysError(Errno.EINVAL);
    const mayMove = (flags & MREMAP.MAYMOVE) !== 0;
    const fixed = (flags & MREMAP.FIXED) !== 0;
    const dontUnmap = (flags & MREMAP.DONTUNMAP) !== 0;
    let oldLen = pageAlignUp(oldLength);
    const newLen = pageAlignUp(newLength);
    if (newLen === 0) throw new SysError(Errno.EINVAL);
    const target = fixed ? newAddr : 0;
    if (newLen > STUB_RESERVED_START || target > STUB_RESERVED_START - newLen) throw new SysError(Errno.EINVAL);
    const toNewAddress = fixed || dontUnmap;
    if (toNewAddress) {
      if (!isPageAligned(target)) throw new SysError(Errno.EINVAL);
      if (!mayMove) throw new SysError(Errno.EINVAL);
      if (dontUnmap && oldLen !== newLen) throw new SysError(Errno.EINVAL);
      if (fixed && oldAddr + oldLen > target && target + newLen > oldAddr) throw new SysError(Errno.EINVAL);
    }

    if (fixed && oldLen === newLen) {
      this.moveRange(oldAddr, oldLen, target, dontUnmap);
      this.state.flushUnlessBatched();
      return target;
    }

    let vma = this.vmas.find(oldAddr);
    if (vma === undefined) throw new SysError(Errno.EFAULT);
    const shrink = newLen < oldLen;
    const expand = newLen > oldLen;
    if (expand || toNewAddress) {
      // old_len 0 duplicates a shared mapping; a private one has nothing to share.
      if (oldLen === 0 && !vma.shared) throw new SysError(Errno.EINVAL);
      // The remapped range may not cross VMAs (a shrink's unmapped tail may).
      // Linux 6.18 checks this before unmapping anything (older kernels and
      // gVisor unmapped the target and the tail first).
      if (oldAddr + (shrink ? newLen : oldLen) > vma.end) throw new SysError(Errno.EFAULT);
    }

    if (toNewAddress) {
      if (fixed) {
        this.faults.unmapRange(target, target + newLen);
        vma = this.vmas.find(oldAddr);
        if (vma === undefined) throw new SysError(Errno.EFAULT);
      }
      if (shrink) {
        this.faults.unmapRange(oldAddr + newLen, oldAddr + oldLen);
        oldLen = newLen;
      }
      if (newLen > oldLen && vma.file?.dontExpand) throw new SysError(Errno.EFAULT);
      if (newLen > oldLen && vma.locked && !this.state.mayLock(newLen - oldLen)) throw new SysError(Errno.EAGAIN);
      if (newLen > oldLen && !this.state.mayExpand(newLen - oldLen, isDataVma(vma), 0, 0)) throw new SysError(Errno.ENOMEM);
      const dest = fixed ? target : findUnmappedArea(this.vmas, this.state.layout.mmapBase, 0, newLen, false);
      this.relocate(oldAddr, oldLen, dest, newLen, dontUnmap);
      this.state.flushUnlessBatched();
      return dest;
    }
    if (shrink) {
      this.faults.unmapRange(oldAddr + newLen, oldAddr + oldLen);
      this.state.flushUnlessBatched();
      return oldAddr;
    }
    if (!expand) return oldAddr;

    if (vma.file?.dontExpand) throw new SysError(Errno.EFAULT);
    if (vma.locked && !this.state.mayLock(newLen - oldLen)) throw new SysError(Errno.EAGAIN);
    if (!this.state.mayExpand(newLen - oldLen, isDataVma(vma), 0, 0)) throw new SysError(Errno.ENOMEM);
    // Grow in place when the range ends the VMA and the space after it is free.
    const growEnd = oldAddr + newLen;
    if (oldLen > 0 && oldAddr + oldLen === vma.end && growEnd <= STUB_RESERVED_START && !this.vmas.overlaps(vma.end, growEnd)) {
      const index = this.vmas.indexAfter(oldAddr);
      const oldEnd = vma.end;
      vma.end = growEnd;
      this.vmas.mergeAround(index, index + 1);
      if (this.faults.shouldPopulateEagerly(vma, growEnd - vma.start)) this.faults.populate(oldEnd, growEnd);
      this.state.flushUnlessBatched();
      return oldAddr;
    }
    if (!mayMove) throw new SysError(Errno.ENOMEM);
    const dest = findUnmappedArea(this.vmas, this.state.layout.mmapBase, 0, newLen, false);
    this.relocate(oldAddr, oldLen, dest, newLen, false);
    this.state.flushUnlessBatched();
    return dest;
  }

  /**
   * A pure move (MREMAP_FIXED, same length) may span several VMAs and the
   * gaps between them, as on Linux 6.17+: each VMA piece moves to the same
   * offset from `dest`; destination parts facing gaps are left alone. The
   * range must start inside a VMA.
   */
  private moveRange(start: number, len: number, dest: number, keepOld: boolean): void {
    const pieces = this.state.mappedParts(start, start + len).map((r) => ({ start: r.start, end: r.end }));
    if (pieces.length === 0 || pieces[0].start > start) throw new SysError(Errno.EFAULT);
    for (const piece of pieces) {
      const to = dest + (piece.start - start);
      const n = piece.end - piece.start;
      this.faults.unmapRange(to, to + n);
      this.move(piece.start, n, to, n, keepOld);
    }
  }

  /** Moves (or, with old length 0, duplicates) part of a VMA to `dest`. */
  private relocate(oldAddr: number, oldLen: number, dest: number, newLen: number, keepOld: boolean): void {
    const vma = this.vmas.find(oldAddr)!;
    if (oldLen === 0) {
      if (oldAddr + newLen > vma.end) throw new SysError(Errno.EFAULT);
      this.duplicateShared(vma, oldAddr, dest, newLen);
    } else {
      this.move(oldAddr, oldLen, dest, newLen, keepOld);
    }
  }

  /** Sets the program break's start (end of the ELF image's bss); called by the loader. */
  setBrkStart(addr: number): void {
    this.state.brkStart = addr;
    this.state.brkEnd = addr;
  }

  /** The current program break. */
  get brkValue(): number {
    return this.state.brkEnd;
  }

  /** brk(2): returns the new break, or the unchanged one when it cannot move. */
  brk(addr: number): number {
    if (addr < this.state.brkStart || this.state.brkStart === 0) return this.state.brkEnd;
    const oldTop = pageAlignUp(this.state.brkEnd);
    const newTop = pageAlignUp(addr);
    if (newTop === oldTop) {
      this.state.brkEnd = addr;
      return addr;
    }
    if (newTop < oldTop) {
      // Linux refuses to shrink a break whose pages are no longer mapped.
      if (!this.vmas.overlaps(newTop, oldTop)) return this.state.brkEnd;
      this.faults.unmapRange(newTop, oldTop);
      this.state.flushUnlessBatched();
      this.state.brkEnd = addr;
      return addr;
    }
    if (newTop > STUB_RESERVED_START) return this.state.brkEnd;
    // Like Linux, keep a page plus the stack guard gap below the next mapping.
    const next = this.vmas.items[this.vmas.indexAfter(oldTop)];
    if (next !== undefined && newTop + PAGE_SIZE > startGap(next)) return this.state.brkEnd;
    if (this.vmas.length >= MAX_MAP_COUNT) return this.state.brkEnd;
    if (newTop - this.state.brkStart > this.state.limits.data || !this.state.mayExpand(newTop - oldTop, true, 0, 0)) return this.state.brkEnd;
    this.vmas.insert({
      start: oldTop,
      end: newTop,
      prot: PROT.READ | PROT.WRITE,
      maxProt: PROT_RWX,
      shared: false,
      growsDown: false,
      file: null,
      fileOffset: 0,
      account: true,
      noReserve: false,
      locked: this.state.lockFuture,
      dontFork: false,
      wipeOnFork: false,
      hints: 0,
      policy: 0,
      name: null,
    });
    this.faults.populate(oldTop, newTop);
    this.state.flushUnlessBatched();
    this.state.notePeak();
    this.state.brkEnd = addr;
    return addr;
  }

  /**
   * mbind(2)'s part in mm: records `policy` on every VMA in [addr,
   * addr+length) (splitting at the ends). EINVAL for an unaligned start,
   * EFAULT (after changing nothing) if the range has an unmapped hole.
   */
  setPolicy(addr: number, length: number, policy: number): void {
    if (!isPageAligned(addr) || !(length >= 0)) throw new SysError(Errno.EINVAL);
    const end = addr + pageAlignUp(length);
    if (end > TASK_SIZE) throw new SysError(Errno.EFAULT);
    if (end === addr) return;
    if (this.vmas.gaps(addr, end).length > 0) throw new SysError(Errno.EFAULT);
    this.state.changeVmas(addr, end, (v) => {
      v.policy = policy;
    });
  }

  /**
   * prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME): names anonymous memory in
   * [addr, addr+length) "[anon:NAME]" ("[anon_shmem:NAME]" when shared) in
   * /proc/PID/maps, or clears the name (null). The kernel validates the
   * name's characters and length. EBADF for file mappings, ENOMEM (after
   * naming the mapped parts) if part of the range is unmapped.
   */
  setAnonName(addr: number, length: number, name: string | null): void {
    if (!isPageAligned(addr) || !(length >= 0)) throw new SysError(Errno.EINVAL);
    const end = addr + pageAlignUp(length);
    if (end > TASK_SIZE) throw new SysError(Errno.EINVAL);
    if (end === addr) return;
    const parts = this.state.mappedParts(addr, end);
    for (const r of parts) {
      const f = r.vma.file;
      if (f !== null && !(f instanceof SharedMemory && f.anonymous)) throw new SysError(Errno.EBADF);
    }
    for (const r of parts) {
      this.state.changeVmas(r.start, r.end, (v) => {
        v.name = name === null ? null : v.shared ? `[anon_shmem:${name}]` : `[anon:${name}]`;
      });
    }
    if (this.vmas.gaps(addr, end).length > 0) throw new SysError(Errno.ENOMEM);
  }

  /** Records the initial stack pointer's address so /proc maps names its VMA "[stack]". */
  setStackStart(addr: number): void {
    this.state.stackStart = addr;
  }

  /**
   * Moves the mapping [oldStart, oldStart+oldLen) (inside one VMA) to
   * newStart, with newLen >= oldLen bytes; the backing moves with it
   * (no copy). With keepOld, the old range stays mapped, emptied.
   */
  private move(oldStart: number, oldLen: number, newStart: number, newLen: number, keepOld: boolean): void {
    const vma = this.vmas.find(oldStart)!;
    const moved: Vma = {
      ...vma,
      start: newStart,
      end: newStart + newLen,
      fileOffset: offsetAt(vma, oldStart),
    };
    const oldEnd = oldStart + oldLen;
    const pieces = this.pmas.removeRange(oldStart, oldEnd);
    if (pieces.length > 0) this.addressSpace.unmap(oldStart, oldLen);
    // Take the new mapping's reference first: the old range may hold the last one.
    moved.file?.mapped?.();
    if (!keepOld) for (const v of this.vmas.removeRange(oldStart, oldEnd)) v.file?.unmapped?.();
    this.vmas.insert(moved);
    const delta = newStart - oldStart;
    for (const p of pieces) this.pmas.insert({ ...p, start: p.start + delta, end: p.end + delta });
    this.faults.mirror(newStart, newStart + oldLen);
    if (newLen > oldLen && this.faults.shouldPopulateEagerly(moved, newLen)) this.faults.populate(newStart + oldLen, newStart + newLen);
    if (keepOld) {
      // MREMAP_DONTUNMAP leaves the old range mapped but emptied, unlocked and uncharged.
      this.state.changeVmas(oldStart, oldEnd, (v) => {
        v.locked = false;
        v.account = false;
      });
      if (this.faults.shouldPopulateEagerly(vma, oldLen)) this.faults.populate(oldStart, oldEnd);
    }
  }

  /** mremap with old_len 0: a second mapping of the same shared pages. */
  private duplicateShared(vma: Vma, oldStart: number, dest: number, len: number): void {
    this.faults.populate(oldStart, oldStart + len);
    vma.file?.mapped?.();
    this.vmas.insert({
      ...vma,
      start: dest,
      end: dest + len,
      fileOffset: offsetAt(vma, oldStart),
    });
    const delta = dest - oldStart;
    const pieces: Pma[] = [];
    for (let i = this.pmas.indexAfter(oldStart); i < this.pmas.length; i++) {
      const p = this.pmas.items[i];
      if (p.start >= oldStart + len) break;
      const s = Math.max(p.start, oldStart);
      const e = Math.min(p.end, oldStart + len);
      pieces.push({ start: s + delta, end: e + delta, off: p.off + (s - p.start), cow: false, fromFile: p.fromFile });
    }
    for (const p of pieces) {
      this.memoryFile.incRef(p.off, p.end - p.start);
      this.pmas.insert(p);
    }
    this.faults.mirror(dest, dest + len);
  }
}
