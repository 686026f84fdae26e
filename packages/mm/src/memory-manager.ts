import { Errno, MADV, MAP, MCL, MREMAP, MS, PROT, SysError } from '@tvisor/abi';
import type { AddressSpace } from '@tvisor/platform';
import {
  MMAP_MIN_ADDR,
  PAGE_SIZE,
  STACK_GUARD_GAP,
  STUB_RESERVED_START,
  TASK_SIZE,
  defaultLayout,
  isPageAligned,
  pageAlignDown,
  pageAlignUp,
  type MemoryLayout,
} from './layout.js';
import type { MappableFile } from './mappable-file.js';
import { MEMORY_FILE_WINDOW, type MemoryFile } from './memory-file.js';
import { findUnmappedArea, startGap } from './placement.js';
import { pmasMergeable, splitPma, type Pma } from './pma.js';
import { formatMapsLine, formatSmapsEntry, type SmapsCounts } from './proc-format.js';
import { RangeList, type Range } from './range-list.js';
import { SharedMemory } from './shared-memory.js';
import { VmHint, hasOffset, offsetAt, splitVma, vmasMergeable, type Vma, type VmaInfo } from './vma.js';

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
  /** A /proc/PID/maps name for an anonymous mapping, such as "[stack]" or "[vvar]". */
  name?: string;
}

/**
 * Resource limits mm enforces, in bytes (Infinity: none). The kernel sets
 * them from setrlimit/prlimit: RLIMIT_AS, RLIMIT_DATA and RLIMIT_STACK.
 */
export interface MemoryLimits {
  /** RLIMIT_AS: total mapped bytes; mmap, mremap, brk and stack growth fail beyond it. */
  addressSpace: number;
  /** RLIMIT_DATA: private writable non-stack bytes (and the heap); mmap fails, brk stays put beyond it. */
  data: number;
  /** RLIMIT_STACK: how far a MAP_GROWSDOWN stack grows. */
  stack: number;
}

/**
 * What handleFault decided: the access may be retried, or the application
 * gets SIGSEGV (no mapping / not permitted) or SIGBUS (the mapped file could
 * not supply the page, as when a read fails with EIO).
 */
export type FaultResult =
  | 'fixed'
  | { signal: 'SIGSEGV'; code: 'SEGV_MAPERR' | 'SEGV_ACCERR' }
  | { signal: 'SIGBUS'; code: 'BUS_ADRERR' };

/** One element of an iovec array read from the application. */
export interface Iovec {
  base: number;
  len: number;
}

/** Memory statistics in bytes, for /proc/PID/status and statm. */
export interface MemoryStats {
  /** VmSize: total mapped. */
  vmSize: number;
  /** VmPeak: the largest VmSize so far (sampled whenever the address space grows). */
  vmPeak: number;
  /** VmRSS: pages that hold memory. */
  rss: number;
  /** RssAnon: resident private anonymous or COW-copied pages. */
  rssAnon: number;
  /** RssFile + RssShmem: resident pages of file-backed or shared mappings. */
  rssShared: number;
  /** VmData: private writable non-stack mappings. */
  data: number;
  /** VmStk: MAP_GROWSDOWN mappings. */
  stack: number;
  /** VmExe-like: executable non-writable file mappings. */
  text: number;
  /** VmLck: mlocked mappings. */
  locked: number;
}

const PROT_RWX = PROT.READ | PROT.WRITE | PROT.EXEC;
const READABLE = PROT.READ | PROT.WRITE | PROT.EXEC; // x86: write and exec imply read
/** Linux's default vm.max_map_count. */
const MAX_MAP_COUNT = 65530;
/** Anonymous mappings up to this size get all their memory-file space at mmap time. */
const EAGER_ANON_LIMIT = 1024 * 1024 * 1024;
/** Private file mappings up to this size are read in at mmap time. */
const EAGER_FILE_LIMIT = 16 * 1024 * 1024;
/** Lazily populated anonymous memory is allocated in aligned chunks of this size. */
const ANON_FAULT_CHUNK = 64 * 1024 * 1024;
/** Lazily populated file memory is read in aligned chunks of this size. */
const FILE_FAULT_CHUNK = 1024 * 1024;
/**
 * A write fault on a copy-on-write page copies the copy-on-write pages of
 * the aligned window around it too: writes cluster (stack, heap, .data), and
 * copying a page costs far less than the fault it saves (a round trip
 * through the platform).
 */
const COW_FAULT_AROUND = 16 * PAGE_SIZE;
/** No single memory-file allocation exceeds this. */
const MAX_ALLOCATION = Math.min(MEMORY_FILE_WINDOW, 1024 * 1024 * 1024);
/** Copies up to this many bytes go byte by byte (cheaper than making a view). */
const SHORT_COPY = 32;
/** Largest iovec count (UIO_MAXIOV). */
const UIO_MAXIOV = 1024;
/** Flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK plus FIXED_NOREPLACE and 32BIT). */
const VALIDATED_MAP_FLAGS =
  MAP.SHARED | MAP.PRIVATE | MAP.FIXED | MAP.ANONYMOUS | MAP.DENYWRITE | MAP.EXECUTABLE | MAP.UNINITIALIZED |
  MAP.GROWSDOWN | MAP.LOCKED | MAP.NORESERVE | MAP.POPULATE | MAP.NONBLOCK | MAP.STACK | MAP.HUGETLB |
  MAP.FIXED_NOREPLACE | MAP['32BIT'];
/** Advice values madvise accepts (the privileged memory-failure ones are left out). */
const KNOWN_MADVICE = new Set<number>(
  Object.values(MADV).filter((a) => a !== MADV.HWPOISON && a !== MADV.SOFT_OFFLINE),
);

const utf8 = new TextDecoder();


function fault(): SysError {
  return new SysError(Errno.EFAULT);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * One process's memory: its VMAs (what the application asked for), the
 * memory-file pages backing them (pmas), and the mirror of both in the
 * platform's AddressSpace. Every syscall that touches memory and every copy
 * between the sentry and the application goes through here.
 *
 * Strategy: anonymous memory gets one contiguous memory-file range per
 * mapping at mmap/brk time, mapped with one AddressSpace call; the host then
 * materializes pages on first touch at no cost to us. fork is copy-on-write.
 */
/**
 * How fork gives the child its private memory: shared copy-on-write pages
 * (write-protected in both until one writes), or an eager copy of the pages
 * touched so far.
 */
export type ForkStrategy = 'cow' | 'eager';

export class MemoryManager {
  private readonly vmas = new RangeList<Vma>(splitVma, vmasMergeable, (v) => v.file?.unmapped?.());
  private readonly pmas = new RangeList<Pma>(splitPma, pmasMergeable);
  private brkStart = 0;
  private brkEnd = 0;
  private stackStart = 0;
  private lockFuture = false;
  /** The largest total mapping size seen (VmPeak). */
  private vmPeak = 0;
  /** locate()'s result: the window holding the block, the block's offset in it, its length and file offset. */
  private blockWindow: Uint8Array = new Uint8Array(0);
  private blockOffset = 0;
  private blockLength = 0;
  private blockFileOffset = 0;
  /** The page handleFault last re-mirrored without finding anything to fix (-1: none). */
  private remirroredPage = -1;
  private released = false;
  readonly layout: MemoryLayout;
  /** The limits enforced from now on; the kernel may assign any field. */
  readonly limits: MemoryLimits;

  constructor(
    readonly memoryFile: MemoryFile,
    readonly addressSpace: AddressSpace,
    layout?: Partial<MemoryLayout>,
  ) {
    const d = defaultLayout(layout?.stackTop, layout?.stackLimit);
    this.layout = { ...d, ...layout };
    this.limits = { addressSpace: Infinity, data: Infinity, stack: this.layout.stackLimit };
  }

  // ---------------------------------------------------------------- mmap

  /** mmap(2). Returns the mapping's address. */
  mmap(opts: MmapOptions): number {
    const { addr, length, flags } = opts;
    const offset = opts.offset ?? 0;
    const type = flags & MAP.TYPE;
    if (type !== MAP.SHARED && type !== MAP.PRIVATE && type !== MAP.SHARED_VALIDATE) throw new SysError(Errno.EINVAL);
    if (type === MAP.SHARED_VALIDATE && (flags & ~VALIDATED_MAP_FLAGS) !== 0) throw new SysError(Errno.EOPNOTSUPP);
    if (!Number.isSafeInteger(offset) || offset < 0 || !isPageAligned(offset)) throw new SysError(Errno.EINVAL);
    if (!Number.isSafeInteger(addr) || addr < 0) throw new SysError(Errno.EINVAL);
    if (!Number.isSafeInteger(length) || length <= 0) throw new SysError(Errno.EINVAL);
    if (length > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    if ((flags & MAP.HUGETLB) !== 0) throw new SysError(Errno.ENOMEM); // no huge page pool
    const len = pageAlignUp(length);
    const anonymous = (flags & MAP.ANONYMOUS) !== 0;
    let file = anonymous ? null : (opts.file ?? null);
    if (!anonymous && file === null) throw new SysError(Errno.EBADF);
    if (file !== null && offset + len > Number.MAX_SAFE_INTEGER) throw new SysError(Errno.EOVERFLOW);
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
      start = findUnmappedArea(this.vmas, this.layout.mmapBase, addr, len, (flags & MAP['32BIT']) !== 0);
    }
    if (this.vmas.length >= MAX_MAP_COUNT) throw new SysError(Errno.ENOMEM);
    const isData = !shared && (prot & PROT.WRITE) !== 0 && (flags & MAP.GROWSDOWN) === 0;
    if (!this.mayExpand(len, isData, fixed ? start : 0, fixed ? start + len : 0)) throw new SysError(Errno.ENOMEM);

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
      locked: (flags & MAP.LOCKED) !== 0 || this.lockFuture,
      dontFork: false,
      wipeOnFork: false,
      hints: 0,
      name,
    };
    if (fixed) this.unmapRange(start, start + len);
    file?.mapped?.();
    this.vmas.insert(vma);
    try {
      if ((flags & MAP.POPULATE) !== 0 || this.shouldPopulateEagerly(vma, len)) this.populate(start, start + len);
    } catch (e) {
      this.unmapRange(start, start + len);
      this.flushUnlessBatched();
      throw e;
    }
    this.flushUnlessBatched();
    this.notePeak();
    return start;
  }

  /** munmap(2). */
  munmap(addr: number, length: number): void {
    if (!isPageAligned(addr) || !(length > 0)) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    if (addr + len > TASK_SIZE) throw new SysError(Errno.EINVAL);
    this.unmapRange(addr, addr + len);
    this.flushUnlessBatched();
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
      this.changeVmas(pos, segEnd, (x) => {
        if ((newProt & PROT.WRITE) !== 0) {
          // Making private memory writable charges it (VM_ACCOUNT)...
          if (!x.account && (x.prot & PROT.WRITE) === 0 && !x.shared && !x.noReserve) x.account = true;
        } else if (x.account && x.file === null && !x.shared && !this.hasCommittedPages(x.start, x.end)) {
          // ...and Linux only uncharges anonymous memory that was never
          // touched (no anon_vma yet); untouched = no page in the memory file.
          x.account = false;
        }
        x.prot = newProt;
      });
      pos = segEnd;
    }
    this.protectRange(start, pos);
    this.flushUnlessBatched();
    if (error !== 0) throw new SysError(error);
  }

  /** mremap(2). Returns the (possibly new) address of the mapping. */
  mremap(oldAddr: number, oldLength: number, newLength: number, flags: number, newAddr = 0): number {
    const result = this.remap(oldAddr, oldLength, newLength, flags, newAddr);
    this.notePeak();
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
      this.flushUnlessBatched();
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
      if (oldAddr + (shrink ? newLen : oldLen) > vma.end) throw new SysError(Errno.EFAULT);
    }

    if (toNewAddress) {
      if (fixed) {
        this.unmapRange(target, target + newLen);
        vma = this.vmas.find(oldAddr);
        if (vma === undefined) throw new SysError(Errno.EFAULT);
      }
      if (shrink) {
        this.unmapRange(oldAddr + newLen, oldAddr + oldLen);
        oldLen = newLen;
      }
      if (newLen > oldLen && !this.mayExpand(newLen - oldLen, isDataVma(vma), 0, 0)) throw new SysError(Errno.ENOMEM);
      const dest = fixed ? target : findUnmappedArea(this.vmas, this.layout.mmapBase, 0, newLen, false);
      this.relocate(oldAddr, oldLen, dest, newLen, dontUnmap);
      this.flushUnlessBatched();
      return dest;
    }
    if (shrink) {
      this.unmapRange(oldAddr + newLen, oldAddr + oldLen);
      this.flushUnlessBatched();
      return oldAddr;
    }
    if (!expand) return oldAddr;

    if (!this.mayExpand(newLen - oldLen, isDataVma(vma), 0, 0)) throw new SysError(Errno.ENOMEM);
    // Grow in place when the range ends the VMA and the space after it is free.
    const growEnd = oldAddr + newLen;
    if (oldLen > 0 && oldAddr + oldLen === vma.end && growEnd <= STUB_RESERVED_START && !this.vmas.overlaps(vma.end, growEnd)) {
      const index = this.vmas.indexAfter(oldAddr);
      const oldEnd = vma.end;
      vma.end = growEnd;
      this.vmas.mergeAround(index, index + 1);
      if (this.shouldPopulateEagerly(vma, growEnd - vma.start)) this.populate(oldEnd, growEnd);
      this.flushUnlessBatched();
      return oldAddr;
    }
    if (!mayMove) throw new SysError(Errno.ENOMEM);
    const dest = findUnmappedArea(this.vmas, this.layout.mmapBase, 0, newLen, false);
    this.relocate(oldAddr, oldLen, dest, newLen, false);
    this.flushUnlessBatched();
    return dest;
  }

  /**
   * A pure move (MREMAP_FIXED, same length) may span several VMAs and the
   * gaps between them, as on Linux 6.17+: each VMA piece moves to the same
   * offset from `dest`; destination parts facing gaps are left alone. The
   * range must start inside a VMA.
   */
  private moveRange(start: number, len: number, dest: number, keepOld: boolean): void {
    const pieces = this.mappedParts(start, start + len).map((r) => ({ start: r.start, end: r.end }));
    if (pieces.length === 0 || pieces[0].start > start) throw new SysError(Errno.EFAULT);
    for (const piece of pieces) {
      const to = dest + (piece.start - start);
      const n = piece.end - piece.start;
      this.unmapRange(to, to + n);
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

  // ----------------------------------------------------------------- brk

  /** Sets the program break's start (end of the ELF image's bss); called by the loader. */
  setBrkStart(addr: number): void {
    this.brkStart = addr;
    this.brkEnd = addr;
  }

  /** The current program break. */
  get brkValue(): number {
    return this.brkEnd;
  }

  /** brk(2): returns the new break, or the unchanged one when it cannot move. */
  brk(addr: number): number {
    if (addr < this.brkStart || this.brkStart === 0) return this.brkEnd;
    const oldTop = pageAlignUp(this.brkEnd);
    const newTop = pageAlignUp(addr);
    if (newTop === oldTop) {
      this.brkEnd = addr;
      return addr;
    }
    if (newTop < oldTop) {
      // Linux refuses to shrink a break whose pages are no longer mapped.
      if (!this.vmas.overlaps(newTop, oldTop)) return this.brkEnd;
      this.unmapRange(newTop, oldTop);
      this.flushUnlessBatched();
      this.brkEnd = addr;
      return addr;
    }
    if (newTop > STUB_RESERVED_START) return this.brkEnd;
    // Like Linux, keep a page plus the stack guard gap below the next mapping.
    const next = this.vmas.items[this.vmas.indexAfter(oldTop)];
    if (next !== undefined && newTop + PAGE_SIZE > startGap(next)) return this.brkEnd;
    if (this.vmas.length >= MAX_MAP_COUNT) return this.brkEnd;
    if (newTop - this.brkStart > this.limits.data || !this.mayExpand(newTop - oldTop, true, 0, 0)) return this.brkEnd;
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
      locked: this.lockFuture,
      dontFork: false,
      wipeOnFork: false,
      hints: 0,
      name: null,
    });
    this.populate(oldTop, newTop);
    this.flushUnlessBatched();
    this.notePeak();
    this.brkEnd = addr;
    return addr;
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
    const parts = this.mappedParts(addr, end);
    for (const r of parts) {
      const f = r.vma.file;
      if (f !== null && !(f instanceof SharedMemory && f.anonymous)) throw new SysError(Errno.EBADF);
    }
    for (const r of parts) {
      this.changeVmas(r.start, r.end, (v) => {
        v.name = name === null ? null : v.shared ? `[anon_shmem:${name}]` : `[anon:${name}]`;
      });
    }
    if (this.vmas.gaps(addr, end).length > 0) throw new SysError(Errno.ENOMEM);
  }

  /** Records the initial stack pointer's address so /proc maps names its VMA "[stack]". */
  setStackStart(addr: number): void {
    this.stackStart = addr;
  }

  // ------------------------------------------------------ madvise & co.

  /** madvise(2). */
  madvise(addr: number, length: number, advice: number): void {
    if (!isPageAligned(addr) || !KNOWN_MADVICE.has(advice)) throw new SysError(Errno.EINVAL);
    if (!(length >= 0)) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    if (len === 0) return;
    const end = addr + len;
    if (end > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    // Like Linux, VMAs are advised in order; an error stops the walk (earlier
    // VMAs keep the advice) and holes make the call fail with ENOMEM at the end.
    const holes = this.vmas.gaps(addr, end).length > 0;
    const parts = this.mappedParts(addr, end).map((r) => ({ start: r.start, end: r.end }));
    try {
      for (const r of parts) {
        this.checkAdvice(this.vmas.find(r.start)!, advice);
        this.applyAdvice(r.start, r.end, advice);
      }
    } finally {
      this.flushUnlessBatched();
    }
    if (holes) throw new SysError(Errno.ENOMEM);
  }

  /** msync(2): writes shared file mappings back through MappableFile.sync. */
  msync(addr: number, length: number, flags: number): void {
    if (!isPageAligned(addr)) throw new SysError(Errno.EINVAL);
    if ((flags & ~(MS.ASYNC | MS.INVALIDATE | MS.SYNC)) !== 0) throw new SysError(Errno.EINVAL);
    if ((flags & MS.ASYNC) !== 0 && (flags & MS.SYNC) !== 0) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    if (len === 0) return;
    const end = addr + len;
    if (end > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    for (const r of this.mappedParts(addr, end)) {
      const v = r.vma;
      if ((flags & MS.INVALIDATE) !== 0 && v.locked) throw new SysError(Errno.EBUSY);
      if ((flags & MS.SYNC) !== 0 && v.shared && v.file?.sync !== undefined) {
        v.file.sync(v.fileOffset + (r.start - v.start), r.end - r.start);
      }
    }
    if (this.vmas.gaps(addr, end).length > 0) throw new SysError(Errno.ENOMEM);
  }

  /** mincore(2): one byte per page, 1 if the page holds memory. */
  mincore(addr: number, length: number): Uint8Array {
    if (!isPageAligned(addr)) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    const end = addr + len;
    if (end > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    if (this.vmas.gaps(addr, end).length > 0) throw new SysError(Errno.ENOMEM);
    const vec = new Uint8Array(len / PAGE_SIZE);
    for (let i = this.pmas.indexAfter(addr); i < this.pmas.length; i++) {
      const p = this.pmas.items[i];
      if (p.start >= end) break;
      const s = Math.max(p.start, addr);
      const e = Math.min(p.end, end);
      for (const c of this.memoryFile.committedRanges(p.off + (s - p.start), e - s)) {
        const from = (c.start - p.off + p.start - addr) / PAGE_SIZE;
        const to = (c.end - p.off + p.start - addr) / PAGE_SIZE;
        vec.fill(1, from, to);
      }
    }
    return vec;
  }

  /** mlock(2) / mlock2(2): marks the range locked (accounting only) and populates it. */
  mlock(addr: number, length: number, onFault = false): void {
    this.setLocked(addr, length, true, onFault);
  }

  /** munlock(2). */
  munlock(addr: number, length: number): void {
    this.setLocked(addr, length, false, true);
  }

  /** mlockall(2). */
  mlockall(flags: number): void {
    if (flags === 0 || (flags & ~(MCL.CURRENT | MCL.FUTURE | MCL.ONFAULT)) !== 0) throw new SysError(Errno.EINVAL);
    if ((flags & (MCL.CURRENT | MCL.FUTURE)) === 0) throw new SysError(Errno.EINVAL);
    if ((flags & MCL.CURRENT) !== 0) {
      this.changeVmas(0, TASK_SIZE, (v) => {
        v.locked = true;
      });
    }
    this.lockFuture = (flags & MCL.FUTURE) !== 0;
  }

  /** munlockall(2). */
  munlockall(): void {
    this.changeVmas(0, TASK_SIZE, (v) => {
      v.locked = false;
    });
    this.lockFuture = false;
  }

  // --------------------------------------------------------- copy helpers

  /** Copies [addr, addr+length) of application memory out into a new array. */
  copyIn(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(addr, out);
    return out;
  }

  /** Fills `dst` from application memory at `addr` (EFAULT like copy_from_user). */
  readInto(addr: number, dst: Uint8Array): void {
    const end = this.checkUserRange(addr, dst.length);
    for (let pos = addr; pos < end; ) {
      this.locate(pos, end, false, false);
      const w = this.blockWindow;
      const o = this.blockOffset;
      const n = this.blockLength;
      const d = pos - addr;
      // Short copies (syscall arguments, futex words) skip making a view.
      if (n <= SHORT_COPY) for (let i = 0; i < n; i++) dst[d + i] = w[o + i];
      else dst.set(w.subarray(o, o + n), d);
      pos += n;
    }
  }

  /** Writes `src` to application memory at `addr` (EFAULT like copy_to_user, read-only pages included). */
  copyOut(addr: number, src: Uint8Array): void {
    const end = this.checkUserRange(addr, src.length);
    for (let pos = addr; pos < end; ) {
      this.locate(pos, end, true, false);
      const w = this.blockWindow;
      const o = this.blockOffset;
      const n = this.blockLength;
      const d = pos - addr;
      if (n <= SHORT_COPY) for (let i = 0; i < n; i++) w[o + i] = src[d + i];
      else w.set(d === 0 && n === src.length ? src : src.subarray(d, d + n), o);
      pos += n;
    }
  }

  /**
   * Reads a NUL-terminated string of at most `maxLen` bytes (NUL included)
   * as UTF-8; ENAMETOOLONG if there is no NUL among them, EFAULT if memory
   * runs out before the NUL.
   */
  readCString(addr: number, maxLen: number): string {
    return utf8.decode(this.readCStringBytes(addr, maxLen));
  }

  /** readCString's bytes (without the NUL), for callers that need them exactly. */
  readCStringBytes(addr: number, maxLen: number): Uint8Array {
    // Memory past the NUL is never touched, so a string may end right before unmapped memory.
    const limit = Math.min(addr + maxLen, TASK_SIZE);
    this.checkUserRange(addr, 0);
    let parts: Uint8Array[] | undefined;
    let total = 0;
    for (let pos = addr; pos < limit; ) {
      this.locate(pos, limit, false, false);
      const w = this.blockWindow;
      const o = this.blockOffset;
      const n = this.blockLength;
      let i = 0;
      while (i < n && w[o + i] !== 0) i++;
      const piece = w.slice(o, o + i);
      if (i < n) {
        if (parts === undefined) return piece;
        parts.push(piece);
        return concat(parts, total + i);
      }
      (parts ??= []).push(piece);
      total += n;
      pos += n;
    }
    if (limit < addr + maxLen) throw fault();
    throw new SysError(Errno.ENAMETOOLONG);
  }

  /** Reads `count` struct iovec {base, len}; EINVAL for count > UIO_MAXIOV or a negative length. */
  readIovecs(addr: number, count: number): Iovec[] {
    if (count < 0 || count > UIO_MAXIOV) throw new SysError(Errno.EINVAL);
    if (count === 0) return [];
    const raw = this.copyIn(addr, count * 16);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: Iovec[] = new Array<Iovec>(count);
    for (let i = 0; i < count; i++) {
      const base = view.getUint32(i * 16, true) + view.getUint32(i * 16 + 4, true) * 0x1_0000_0000;
      const lenHi = view.getUint32(i * 16 + 12, true);
      if (lenHi >= 0x8000_0000) throw new SysError(Errno.EINVAL);
      out[i] = { base, len: view.getUint32(i * 16 + 8, true) + lenHi * 0x1_0000_0000 };
    }
    return out;
  }

  /**
   * Calls `fn` with zero-copy memory-file views covering application memory
   * [addr, addr+length) in order, after checking each block is readable (or
   * writable, populating pages and breaking COW first). Throws EFAULT at the
   * first inaccessible byte, after `fn` has seen the blocks before it; `fn`
   * returning false stops the walk early.
   *
   * With `force` (ptrace PEEK/POKE, /proc/PID/mem, process_vm_writev as
   * Linux's FOLL_FORCE) protections are overridden as far as the mapping
   * allows: any private mapping can be read and written (a write gets a
   * private copy of the page, never reaching the file), a shared mapping
   * only within its maximum protection.
   */
  forEachBlock(
    addr: number,
    length: number,
    write: boolean,
    fn: (chunk: Uint8Array) => void | boolean,
    force = false,
  ): void {
    const end = this.checkUserRange(addr, length);
    for (let pos = addr; pos < end; ) {
      this.locate(pos, end, write, force);
      const n = this.blockLength;
      if (fn(this.blockWindow.subarray(this.blockOffset, this.blockOffset + n)) === false) return;
      pos += n;
    }
  }

  /**
   * Atomic operations on an aligned 32-bit word of application memory, for
   * futexes: real locked instructions on the shared page, so they are atomic
   * against application threads running at the same time. EINVAL for an
   * unaligned address; EFAULT like a copy (the word must be writable, except
   * for atomicLoad32). Results are unsigned 32-bit values.
   */
  atomicLoad32(addr: number): number {
    const [words, index] = this.word(addr, false);
    return Atomics.load(words, index) >>> 0;
  }

  /** Stores `replacement` if the word equals `expected`; returns the old value either way. */
  atomicCompareExchange32(addr: number, expected: number, replacement: number): number {
    const [words, index] = this.word(addr, true);
    return Atomics.compareExchange(words, index, expected | 0, replacement | 0) >>> 0;
  }

  /** Applies `op` with `value` to the word (FUTEX_WAKE_OP's SET/ADD/OR/ANDN/XOR use these); returns the old value. */
  atomicUpdate32(addr: number, op: 'set' | 'add' | 'or' | 'and' | 'xor', value: number): number {
    const [words, index] = this.word(addr, true);
    const v = value | 0;
    let old: number;
    switch (op) {
      case 'set':
        old = Atomics.exchange(words, index, v);
        break;
      case 'add':
        old = Atomics.add(words, index, v);
        break;
      case 'or':
        old = Atomics.or(words, index, v);
        break;
      case 'and':
        old = Atomics.and(words, index, v);
        break;
      case 'xor':
        old = Atomics.xor(words, index, v);
        break;
    }
    return old >>> 0;
  }

  /**
   * The memory-file offset backing the aligned word at `addr` of a shared
   * mapping (what a shared futex is keyed by, so that it is the same futex
   * in every process mapping that memory), or undefined for a private one.
   */
  sharedWordKey(addr: number): number | undefined {
    if (addr % 4 !== 0) throw new SysError(Errno.EINVAL);
    const vma = this.vmas.find(addr);
    if (vma === undefined) throw new SysError(Errno.EFAULT);
    if (!vma.shared) return undefined;
    this.checkUserRange(addr, 4);
    this.locate(addr, addr + 4, false, false);
    return this.blockFileOffset;
  }

  private word(addr: number, write: boolean): [Int32Array, number] {
    if (addr % 4 !== 0) throw new SysError(Errno.EINVAL);
    this.checkUserRange(addr, 4);
    this.locate(addr, addr + 4, write, false);
    return [this.memoryFile.wordWindow(this.blockFileOffset), this.blockOffset / 4];
  }

  /** Returns addr+length, or throws EFAULT if the range is not user memory. */
  private checkUserRange(addr: number, length: number): number {
    const end = addr + length;
    if (!(addr >= 0) || !(length >= 0) || end > TASK_SIZE) throw fault();
    return end;
  }

  /**
   * Finds the memory-file bytes of application memory from `pos` up to at
   * most `end` (one VMA and one backing run) after checking access and
   * backing the pages (populating, breaking COW for writes) if needed. The
   * result is left in blockWindow/blockOffset/blockLength rather than
   * returned, so the copy loops allocate nothing.
   */
  private locate(pos: number, end: number, write: boolean, force: boolean): void {
    const vma = this.vmaForAccess(pos);
    if (vma === undefined) throw fault();
    if ((vma.prot & (write ? PROT.WRITE : READABLE)) === 0) {
      const may = vma.shared ? vma.maxProt & (write ? PROT.WRITE : READABLE) : PROT_RWX;
      if (!force || may === 0) throw fault();
    }
    const segEnd = vma.end < end ? vma.end : end;
    let pma = this.pmas.find(pos);
    if (pma === undefined || (write && pma.cow)) {
      this.makeAccessible(vma, pos, segEnd, write);
      this.flushUnlessBatched();
      pma = this.pmas.find(pos);
      if (pma === undefined) throw fault();
    }
    const blockEnd = pma.end < segEnd ? pma.end : segEnd;
    const off = pma.off + (pos - pma.start);
    this.blockWindow = this.memoryFile.window(off);
    this.blockFileOffset = off;
    this.blockOffset = off % MEMORY_FILE_WINDOW;
    this.blockLength = blockEnd - pos;
  }

  // ---------------------------------------------------------------- faults

  /**
   * Resolves an application page fault the platform reported at `addr`:
   * populates the page (or its chunk), breaks COW, grows a MAP_GROWSDOWN
   * stack, and mirrors the result; or says which SIGSEGV the application
   * gets.
   *
   * Platforms often cannot tell the access type (ptrace sees only si_code),
   * so `write`/`exec` are hints that mm double-checks: a fault on a COW page
   * of a writable mapping is a write whatever the hint says (reads of it are
   * allowed by the mirror), and a fault that repeats on a page whose mapping
   * was already right gets SEGV_ACCERR instead of looping (e.g. executing a
   * non-executable page reported as a write).
   */
  handleFault(addr: number, write: boolean, exec = false): FaultResult {
    const vma = addr >= 0 && addr < TASK_SIZE ? this.vmaForAccess(addr) : undefined;
    if (vma === undefined) return { signal: 'SIGSEGV', code: 'SEGV_MAPERR' };
    const need = write ? PROT.WRITE : exec ? PROT.EXEC : READABLE;
    if ((vma.prot & need) === 0) return { signal: 'SIGSEGV', code: 'SEGV_ACCERR' };
    const page = pageAlignDown(addr);
    const pma = this.pmas.find(page);
    if (pma === undefined) {
      try {
        this.makeAccessible(vma, page, page + PAGE_SIZE, write);
        if (write && !vma.shared) this.breakCow(...this.cowWindow(vma, page));
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        this.flushUnlessBatched();
        return { signal: 'SIGBUS', code: 'BUS_ADRERR' };
      }
    } else if (pma.cow && !vma.shared && (vma.prot & PROT.WRITE) !== 0) {
      this.breakCow(...this.cowWindow(vma, page));
    } else {
      if (this.remirroredPage === page) {
        this.remirroredPage = -1;
        return { signal: 'SIGSEGV', code: 'SEGV_ACCERR' };
      }
      // Nothing to do as far as mm knows: the platform may have lost the
      // mapping, so map it again, once.
      this.mirror(page, page + PAGE_SIZE);
      this.flushUnlessBatched();
      this.remirroredPage = page;
      return 'fixed';
    }
    this.remirroredPage = -1;
    this.flushUnlessBatched();
    return 'fixed';
  }

  /** The aligned fault-around window of `page` inside `vma`. */
  private cowWindow(vma: Vma, page: number): [number, number] {
    const start = Math.floor(page / COW_FAULT_AROUND) * COW_FAULT_AROUND;
    return [Math.max(vma.start, start), Math.min(vma.end, start + COW_FAULT_AROUND)];
  }

  // ------------------------------------------------------------------ fork

  /**
   * fork(2): a copy of this address space in `newAddressSpace`. Private
   * pages are shared copy-on-write (both sides map them read-only until a
   * write copies the page); MAP_SHARED pages are shared; MADV_DONTFORK areas
   * are left out and MADV_WIPEONFORK areas start empty. mlock does not
   * carry over, as on Linux.
   */
  fork(newAddressSpace: AddressSpace, strategy: ForkStrategy = 'cow'): MemoryManager {
    const child = new MemoryManager(this.memoryFile, newAddressSpace, this.layout);
    child.brkStart = this.brkStart;
    child.brkEnd = this.brkEnd;
    child.stackStart = this.stackStart;
    child.vmPeak = this.vmPeak;
    Object.assign(child.limits, this.limits);
    for (const v of this.vmas.items) {
      if (v.dontFork) continue;
      v.file?.mapped?.();
      child.vmas.items.push({ ...v, locked: false });
      if (v.wipeOnFork) continue;
      if (!v.shared && strategy === 'eager') {
        this.copyPrivatePages(child, v);
        continue;
      }
      if (!v.shared) {
        // Cut pmas at the VMA's edges so only this VMA's part turns COW.
        const [first, last] = this.pmas.isolate(v.start, v.end);
        for (let i = first; i < last; i++) this.pmas.items[i].cow = true;
        if ((v.prot & PROT.WRITE) !== 0) this.protectRange(v.start, v.end);
      }
      for (let i = this.pmas.indexAfter(v.start); i < this.pmas.length; i++) {
        const p = this.pmas.items[i];
        if (p.start >= v.end) break;
        const s = Math.max(p.start, v.start);
        const e = Math.min(p.end, v.end);
        const off = p.off + (s - p.start);
        this.memoryFile.incRef(off, e - s);
        const last = child.pmas.items[child.pmas.length - 1];
        const piece: Pma = { start: s, end: e, off, cow: !v.shared, fromFile: p.fromFile };
        if (last !== undefined && last.end === s && pmasMergeable(last, piece)) last.end = e;
        else child.pmas.items.push(piece);
      }
    }
    // The child's VMAs stay split exactly as the parent's (Linux's dup_mmap copies them one by one).
    this.pmas.mergeAround(0, this.pmas.length);
    child.mirror(0, TASK_SIZE);
    this.flushUnlessBatched();
    newAddressSpace.flush();
    return child;
  }

  /**
   * fork's eager strategy for private memory: the child gets its own copy
   * of every page the parent has touched (the memory file's SEEK_DATA and
   * SEEK_HOLE find them; holes stay holes), so neither side needs
   * write-protection or copy-on-write faults afterwards. Pages a file
   * already lends copy-on-write (the page cache) stay shared, still COW.
   */
  private copyPrivatePages(child: MemoryManager, v: Vma): void {
    for (let i = this.pmas.indexAfter(v.start); i < this.pmas.length; i++) {
      const p = this.pmas.items[i];
      if (p.start >= v.end) break;
      const s = Math.max(p.start, v.start);
      const e = Math.min(p.end, v.end);
      const off = p.off + (s - p.start);
      let piece: Pma;
      if (p.fromFile) {
        this.memoryFile.incRef(off, e - s);
        piece = { start: s, end: e, off, cow: true, fromFile: true };
      } else {
        const copy = this.memoryFile.allocate(e - s);
        for (const r of this.memoryFile.committedRanges(off, e - s)) {
          this.memoryFile.copy(copy + (r.start - off), r.start, r.end - r.start);
        }
        piece = { start: s, end: e, off: copy, cow: false, fromFile: false };
      }
      const last = child.pmas.items[child.pmas.length - 1];
      if (last !== undefined && last.end === s && pmasMergeable(last, piece)) last.end = e;
      else child.pmas.items.push(piece);
    }
  }

  /** Drops every mapping and releases the platform's address space (exit, execve). */
  /**
   * Runs `fn` with the address-space flushes of the calls it makes held back,
   * and flushes once at the end: for a series of changes no application
   * thread can observe half-done (execve loading a program into a new
   * address space), one round trip to the platform instead of one each.
   */
  batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      if (--this.batchDepth === 0) this.addressSpace.flush();
    }
  }

  private batchDepth = 0;

  private flushUnlessBatched(): void {
    if (this.batchDepth === 0) this.addressSpace.flush();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const p of this.pmas.removeRange(0, TASK_SIZE)) this.memoryFile.decRef(p.off, p.end - p.start);
    for (const v of this.vmas.removeRange(0, TASK_SIZE)) v.file?.unmapped?.();
    this.addressSpace.release();
  }

  // --------------------------------------------------------- introspection

  /** A snapshot of the VMAs, in address order. */
  vmaList(): VmaInfo[] {
    return this.vmas.items.map((v) => ({ ...v }));
  }

  /** The VMA containing `addr`, if any (a snapshot). */
  vmaAt(addr: number): VmaInfo | undefined {
    const v = this.vmas.find(addr);
    return v === undefined ? undefined : { ...v };
  }

  /** The memory-file backing, in address order (for tests and the platform's debugging). */
  backingList(): Readonly<Pma>[] {
    return this.pmas.items.map((p) => ({ ...p }));
  }

  /** The text of /proc/PID/maps. */
  mapsText(): string {
    let out = '';
    for (const v of this.vmas.items) out += formatMapsLine(v, this.nameOf(v));
    return out;
  }

  /** The text of /proc/PID/smaps. */
  smapsText(): string {
    let out = '';
    for (const v of this.vmas.items) out += formatSmapsEntry(v, this.nameOf(v), this.countPages(v));
    return out;
  }

  /** The text of /proc/PID/statm (pages: size resident shared text lib data dt). */
  statmText(): string {
    const s = this.stats();
    const p = (n: number) => Math.floor(n / PAGE_SIZE);
    return `${p(s.vmSize)} ${p(s.rss)} ${p(s.rssShared)} ${p(s.text)} 0 ${p(s.data + s.stack)} 0\n`;
  }

  /** Memory totals in bytes. */
  stats(): MemoryStats {
    const s: MemoryStats = { vmSize: 0, vmPeak: 0, rss: 0, rssAnon: 0, rssShared: 0, data: 0, stack: 0, text: 0, locked: 0 };
    for (const v of this.vmas.items) {
      const size = v.end - v.start;
      s.vmSize += size;
      const c = this.countPages(v);
      s.rss += c.rss;
      if (v.shared || (v.file !== null && c.anonymous === 0)) s.rssShared += c.rss;
      else s.rssAnon += c.rss;
      if (v.growsDown) s.stack += size;
      else if (!v.shared && (v.prot & PROT.WRITE) !== 0) s.data += size;
      if (v.file !== null && (v.prot & PROT.EXEC) !== 0 && (v.prot & PROT.WRITE) === 0) s.text += size;
      if (v.locked) s.locked += size;
    }
    s.vmPeak = Math.max(this.vmPeak, s.vmSize);
    return s;
  }

  // ------------------------------------------------------------ internals

  /**
   * Linux's may_expand_vm: whether `bytes` more (of data, if `isData`) fit
   * the limits once [replaceStart, replaceEnd) (a MAP_FIXED target) is gone.
   */
  private mayExpand(bytes: number, isData: boolean, replaceStart: number, replaceEnd: number): boolean {
    const { addressSpace, data } = this.limits;
    if (addressSpace === Infinity && (data === Infinity || !isData)) return true;
    let total = 0;
    let dataTotal = 0;
    for (const v of this.vmas.items) {
      const size = v.end - v.start - Math.max(0, Math.min(v.end, replaceEnd) - Math.max(v.start, replaceStart));
      total += size;
      if (isDataVma(v)) dataTotal += size;
    }
    if (total + bytes > addressSpace) return false;
    return !isData || dataTotal + bytes <= data;
  }

  /** Records VmPeak after the address space grew. */
  private notePeak(): void {
    let total = 0;
    for (const v of this.vmas.items) total += v.end - v.start;
    if (total > this.vmPeak) this.vmPeak = total;
  }

  /** Whether a VMA of this size gets its backing at creation time. */
  private shouldPopulateEagerly(vma: Vma, size: number): boolean {
    if (vma.locked) return true;
    const anonymous = vma.file === null || (vma.file instanceof SharedMemory && vma.file.anonymous);
    return size <= (anonymous ? EAGER_ANON_LIMIT : EAGER_FILE_LIMIT);
  }

  /** Whether any page of [start, end) holds memory in the memory file. */
  private hasCommittedPages(start: number, end: number): boolean {
    let found = false;
    this.forEachSegment(start, end, (_v, p, s, e) => {
      if (!found && this.memoryFile.committedRanges(p.off + (s - p.start), e - s).length > 0) found = true;
    });
    return found;
  }

  /** The VMA containing addr, growing a MAP_GROWSDOWN VMA just above it if allowed. */
  private vmaForAccess(addr: number): Vma | undefined {
    const i = this.vmas.indexAfter(addr);
    const v = this.vmas.items[i];
    if (v === undefined) return undefined;
    if (v.start <= addr) return v;
    if (!v.growsDown) return undefined;
    const newStart = pageAlignDown(addr);
    if (v.end - newStart > this.limits.stack) return undefined;
    if (!this.mayExpand(v.start - newStart, false, 0, 0)) return undefined;
    const prev = this.vmas.items[i - 1];
    if (prev !== undefined && !prev.growsDown && prev.prot !== 0 && newStart < prev.end + STACK_GUARD_GAP) {
      return undefined;
    }
    if (prev !== undefined && newStart < prev.end) return undefined;
    if (newStart < MMAP_MIN_ADDR) return undefined;
    // A mapped object cannot grow below its offset 0 (Linux checks vm_pgoff).
    if (hasOffset(v) && v.fileOffset < v.start - newStart) return undefined;
    const oldStart = v.start;
    v.start = newStart;
    if (hasOffset(v)) v.fileOffset -= oldStart - newStart;
    this.populate(newStart, oldStart);
    this.flushUnlessBatched();
    this.notePeak();
    return v;
  }

  /** Backs [start, end) ∩ vma with pages (populating) and, for writes, private copies. */
  private makeAccessible(vma: Vma, start: number, end: number, write: boolean): void {
    const s = pageAlignDown(start);
    const e = Math.min(pageAlignUp(end), vma.end);
    if (this.pmas.gaps(s, e).length > 0) {
      // Populate a whole aligned chunk around the access, so faults are rare.
      const anonymous = vma.file === null || (vma.file instanceof SharedMemory && vma.file.anonymous);
      const chunk = anonymous ? ANON_FAULT_CHUNK : FILE_FAULT_CHUNK;
      const cs = Math.max(vma.start, Math.floor(s / chunk) * chunk);
      const ce = Math.min(vma.end, Math.max(e, Math.ceil(e / chunk) * chunk));
      this.populate(cs, ce);
    }
    if (write && !vma.shared) this.breakCow(s, e);
  }

  /**
   * Gives every page of [start, end) that has no pma one: shared file pages,
   * or fresh memory-file pages (filled from the file for private file
   * mappings), and maps them. [start, end) must be inside VMAs.
   */
  private populate(start: number, end: number): void {
    for (let vi = this.vmas.indexAfter(start); vi < this.vmas.length; vi++) {
      const vma = this.vmas.items[vi];
      if (vma.start >= end) break;
      const s = Math.max(start, vma.start);
      const e = Math.min(end, vma.end);
      for (const gap of this.pmas.gaps(s, e)) this.populateGap(vma, gap);
    }
  }

  private populateGap(vma: Vma, gap: Range): void {
    const file = vma.file;
    if (file !== null && file.sharedPages !== undefined) {
      if (vma.shared) {
        this.mapFilePages(file, vma, gap.start, gap.end, false);
        return;
      }
      // A private mapping starts on the file's own pages, copy-on-write (as
      // Linux maps the page cache); only the part past EOF gets fresh pages.
      const fileEnd = pageAlignUp(file.size());
      const inFile = Math.min(gap.end, Math.max(gap.start, vma.start + (fileEnd - vma.fileOffset)));
      if (inFile > gap.start) this.mapFilePages(file, vma, gap.start, inFile, true);
      if (inFile < gap.end) this.populateFresh(vma, inFile, gap.end);
      return;
    }
    this.populateFresh(vma, gap.start, gap.end);
  }

  /** Backs [start, end) of a file VMA with the file's own memory-file pages. */
  private mapFilePages(file: MappableFile, vma: Vma, start: number, end: number, cow: boolean): void {
    let addr = start;
    for (const r of file.sharedPages!(offsetAt(vma, start), end - start)) {
      // Keep each pma inside one memory-file window.
      let off = r.fileOffset;
      let left = r.length;
      while (left > 0) {
        const n = Math.min(left, MEMORY_FILE_WINDOW - (off % MEMORY_FILE_WINDOW));
        this.memoryFile.incRef(off, n);
        this.addPma({ start: addr, end: addr + n, off, cow, fromFile: true });
        addr += n;
        off += n;
        left -= n;
      }
    }
    if (addr !== end) throw new Error('MappableFile.sharedPages did not cover the requested range');
  }

  /** Backs [start, end) with new pages: zeros, or a copy of the file for a private file mapping. */
  private populateFresh(vma: Vma, start: number, end: number): void {
    const file = vma.file;
    for (let addr = start; addr < end; ) {
      const n = Math.min(end - addr, MAX_ALLOCATION);
      const off = this.memoryFile.allocate(n);
      if (file !== null) {
        try {
          this.fillFromFile(file, offsetAt(vma, addr), off, n);
        } catch (e) {
          this.memoryFile.decRef(off, n);
          throw e;
        }
      }
      this.addPma({ start: addr, end: addr + n, off, cow: false, fromFile: false });
      addr += n;
    }
  }

  private fillFromFile(file: MappableFile, fileOff: number, memOff: number, length: number): void {
    const avail = Math.min(length, Math.max(0, file.size() - fileOff));
    if (avail === 0) return;
    const dst = this.memoryFile.bytes(memOff, avail);
    let done = 0;
    while (done < avail) {
      const n = file.readAt(fileOff + done, dst.subarray(done));
      if (n <= 0) break;
      done += n;
    }
  }

  /** Inserts a pma and maps it with its VMA's protection. */
  private addPma(p: Pma): void {
    const { start, end } = p;
    this.pmas.insert(p);
    this.mirror(start, end);
  }

  /** Gives [start, end) (page-aligned, backed) private copies of any COW pages. */
  private breakCow(start: number, end: number): void {
    const [first, last] = this.pmas.isolate(start, end);
    for (let i = first; i < last; i++) {
      const p = this.pmas.items[i];
      if (!p.cow) continue;
      const len = p.end - p.start;
      if (this.memoryFile.maxRefCount(p.off, len) > 1) {
        const off = this.memoryFile.allocate(len);
        // Copy only pages that hold data: holes read as zeros in the new range too.
        for (const c of this.memoryFile.committedRanges(p.off, len)) {
          this.memoryFile.copy(off + (c.start - p.off), c.start, c.end - c.start);
        }
        this.memoryFile.decRef(p.off, len);
        p.off = off;
      }
      // Either a private copy, or the last reference (the file let go): the process's own now.
      p.cow = false;
      p.fromFile = false;
      this.mirror(p.start, p.end);
    }
    this.pmas.mergeAround(first, last);
  }

  /** Maps every backed part of [start, end) with its effective protection. */
  private mirror(start: number, end: number): void {
    this.forEachSegment(start, end, (vma, pma, s, e) => {
      this.addressSpace.mapFile(s, e - s, pma.off + (s - pma.start), effectiveProt(vma, pma));
    });
  }

  /** Re-applies protections over the backed parts of [start, end), coalescing equal runs. */
  private protectRange(start: number, end: number): void {
    let runStart = -1;
    let runEnd = -1;
    let runProt = 0;
    this.forEachSegment(start, end, (vma, pma, s, e) => {
      const prot = effectiveProt(vma, pma);
      if (s === runEnd && prot === runProt) {
        runEnd = e;
        return;
      }
      if (runStart >= 0) this.addressSpace.protect(runStart, runEnd - runStart, runProt);
      runStart = s;
      runEnd = e;
      runProt = prot;
    });
    if (runStart >= 0) this.addressSpace.protect(runStart, runEnd - runStart, runProt);
  }

  /** Calls fn for each piece of [start, end) where one VMA and one pma overlap. */
  private forEachSegment(start: number, end: number, fn: (vma: Vma, pma: Pma, s: number, e: number) => void): void {
    const vmas = this.vmas.items;
    const pmas = this.pmas.items;
    for (let vi = this.vmas.indexAfter(start); vi < vmas.length; vi++) {
      const vma = vmas[vi];
      if (vma.start >= end) break;
      const vs = Math.max(start, vma.start);
      const ve = Math.min(end, vma.end);
      for (let pi = this.pmas.indexAfter(vs); pi < pmas.length; pi++) {
        const pma = pmas[pi];
        if (pma.start >= ve) break;
        fn(vma, pma, Math.max(vs, pma.start), Math.min(ve, pma.end));
      }
    }
  }

  /** Removes VMAs and backing in [start, end), releasing pages and the platform mapping. */
  private unmapRange(start: number, end: number): void {
    if (!this.vmas.overlaps(start, end)) return;
    for (const v of this.vmas.removeRange(start, end)) v.file?.unmapped?.();
    const removed = this.pmas.removeRange(start, end);
    for (const p of removed) this.memoryFile.decRef(p.off, p.end - p.start);
    // One call covers every backed part: unmapping a hole is a no-op.
    if (removed.length > 0) {
      const first = removed[0].start;
      this.addressSpace.unmap(first, removed[removed.length - 1].end - first);
    }
  }

  /** Applies `change` to the VMAs in [start, end) (splitting at the edges) and re-merges. */
  private changeVmas(start: number, end: number, change: (v: Vma) => void): void {
    const [first, last] = this.vmas.isolate(start, end);
    for (let i = first; i < last; i++) change(this.vmas.items[i]);
    this.vmas.mergeAround(first, last);
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
    this.mirror(newStart, newStart + oldLen);
    if (newLen > oldLen && this.shouldPopulateEagerly(moved, newLen)) this.populate(newStart + oldLen, newStart + newLen);
    if (keepOld) {
      // MREMAP_DONTUNMAP leaves the old range mapped but emptied, unlocked and uncharged.
      this.changeVmas(oldStart, oldEnd, (v) => {
        v.locked = false;
        v.account = false;
      });
      if (this.shouldPopulateEagerly(vma, oldLen)) this.populate(oldStart, oldEnd);
    }
  }

  /** mremap with old_len 0: a second mapping of the same shared pages. */
  private duplicateShared(vma: Vma, oldStart: number, dest: number, len: number): void {
    this.populate(oldStart, oldStart + len);
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
    this.mirror(dest, dest + len);
  }

  /** The mapped parts of [start, end), each with its VMA. */
  private mappedParts(start: number, end: number): Array<Range & { vma: Vma }> {
    const out: Array<Range & { vma: Vma }> = [];
    for (let i = this.vmas.indexAfter(start); i < this.vmas.length; i++) {
      const v = this.vmas.items[i];
      if (v.start >= end) break;
      out.push({ start: Math.max(start, v.start), end: Math.min(end, v.end), vma: v });
    }
    return out;
  }

  private checkAdvice(v: Vma, advice: number): void {
    switch (advice) {
      case MADV.DONTNEED:
        if (v.locked) throw new SysError(Errno.EINVAL);
        break;
      case MADV.FREE:
        if (v.shared || v.file !== null) throw new SysError(Errno.EINVAL);
        break;
      case MADV.REMOVE:
        if (!v.shared) throw new SysError(Errno.EINVAL);
        break;
      case MADV.WIPEONFORK:
        if (v.shared || v.file !== null) throw new SysError(Errno.EINVAL);
        break;
      case MADV.POPULATE_READ:
        if ((v.prot & READABLE) === 0) throw new SysError(Errno.EFAULT);
        break;
      case MADV.POPULATE_WRITE:
        if ((v.prot & PROT.WRITE) === 0) throw new SysError(Errno.EFAULT);
        break;
      default:
        break;
    }
  }

  private applyAdvice(start: number, end: number, advice: number): void {
    switch (advice) {
      case MADV.DONTNEED:
      case MADV.DONTNEED_LOCKED:
      case MADV.FREE:
        this.discard(start, end);
        break;
      case MADV.REMOVE:
        this.forEachSegment(start, end, (_v, p, s, e) => this.memoryFile.zero(p.off + (s - p.start), e - s));
        break;
      case MADV.DONTFORK:
      case MADV.DOFORK:
        this.changeVmas(start, end, (v) => {
          v.dontFork = advice === MADV.DONTFORK;
        });
        break;
      case MADV.WIPEONFORK:
      case MADV.KEEPONFORK:
        this.changeVmas(start, end, (v) => {
          v.wipeOnFork = advice === MADV.WIPEONFORK;
        });
        break;
      case MADV.NORMAL:
        this.changeHints(start, end, VmHint.RAND_READ | VmHint.SEQ_READ, 0);
        break;
      case MADV.RANDOM:
        this.changeHints(start, end, VmHint.SEQ_READ, VmHint.RAND_READ);
        break;
      case MADV.SEQUENTIAL:
        this.changeHints(start, end, VmHint.RAND_READ, VmHint.SEQ_READ);
        break;
      case MADV.DONTDUMP:
        this.changeHints(start, end, 0, VmHint.DONTDUMP);
        break;
      case MADV.DODUMP:
        this.changeHints(start, end, VmHint.DONTDUMP, 0);
        break;
      case MADV.HUGEPAGE:
        this.changeHints(start, end, VmHint.NOHUGEPAGE, VmHint.HUGEPAGE);
        break;
      case MADV.NOHUGEPAGE:
        this.changeHints(start, end, VmHint.HUGEPAGE, VmHint.NOHUGEPAGE);
        break;
      case MADV.WILLNEED:
      case MADV.POPULATE_READ:
        this.populate(start, end);
        break;
      case MADV.POPULATE_WRITE: {
        this.populate(start, end);
        const v = this.vmas.find(start)!;
        if (!v.shared) this.breakCow(start, end);
        break;
      }
      default:
        break; // advice that only tunes Linux's paging heuristics
    }
  }

  private changeHints(start: number, end: number, clear: number, set: number): void {
    this.changeVmas(start, end, (v) => {
      v.hints = (v.hints & ~clear) | set;
    });
  }

  /** MADV_DONTNEED: private pages read as zeros (or the file) again; shared pages stay. */
  private discard(start: number, end: number): void {
    const vma = this.vmas.find(start)!;
    if (vma.shared) {
      // The pages stay in the shared object; only this mapping lets go of
      // them until it touches them again (as Linux drops the page-table entries).
      for (const p of this.pmas.removeRange(start, end)) this.memoryFile.decRef(p.off, p.end - p.start);
      this.addressSpace.unmap(start, end - start);
      return;
    }
    if (vma.file !== null) {
      for (const p of this.pmas.removeRange(start, end)) this.memoryFile.decRef(p.off, p.end - p.start);
      this.addressSpace.unmap(start, end - start);
      if (this.shouldPopulateEagerly(vma, vma.end - vma.start)) this.populate(start, end);
      return;
    }
    const [first, last] = this.pmas.isolate(start, end);
    for (let i = first; i < last; i++) {
      const p = this.pmas.items[i];
      const len = p.end - p.start;
      if (!p.cow && this.memoryFile.maxRefCount(p.off, len) === 1) {
        this.memoryFile.zero(p.off, len); // the mapping stays; its pages are just gone
      } else {
        const off = this.memoryFile.allocate(len);
        this.memoryFile.decRef(p.off, len);
        p.off = off;
        p.cow = false;
        p.fromFile = false;
        this.mirror(p.start, p.end);
      }
    }
    this.pmas.mergeAround(first, last);
  }

  private setLocked(addr: number, length: number, locked: boolean, onFault: boolean): void {
    const start = pageAlignDown(addr);
    const end = pageAlignUp(addr + length);
    if (end > TASK_SIZE || end < start) throw new SysError(Errno.ENOMEM);
    if (end === start) return;
    // Like Linux, VMAs are changed in order up to the first hole, then ENOMEM.
    let pos = start;
    while (pos < end) {
      const v = this.vmas.find(pos);
      if (v === undefined) break;
      const segEnd = Math.min(v.end, end);
      this.changeVmas(pos, segEnd, (x) => {
        x.locked = locked;
      });
      if (locked && !onFault && (v.prot & READABLE) !== 0) this.populate(pos, segEnd);
      pos = segEnd;
    }
    this.flushUnlessBatched();
    if (pos < end) throw new SysError(Errno.ENOMEM);
  }

  /** The /proc maps name: the file, an explicit name, or [heap]/[stack] like Linux. */
  private nameOf(v: Vma): string | null {
    if (v.name !== null) return v.name;
    if (v.file !== null) return v.file.mapsName;
    if (this.brkStart !== 0 && v.start < this.brkEnd && v.end > this.brkStart) return '[heap]';
    if (this.stackStart !== 0 && v.start <= this.stackStart && v.end >= this.stackStart) return '[stack]';
    return null;
  }

  /** Resident / proportional / anonymous bytes of a VMA. */
  private countPages(v: Vma): SmapsCounts {
    const c: SmapsCounts = { rss: 0, pss: 0, sharedBytes: 0, privateBytes: 0, anonymous: 0 };
    this.forEachSegment(v.start, v.end, (_vma, p, s, e) => {
      const off = p.off + (s - p.start);
      for (const r of this.memoryFile.committedRanges(off, e - s)) {
        for (const run of this.memoryFile.refCountRuns(r.start, r.end - r.start)) {
          const bytes = run.end - run.start;
          // Linux divides by the number of mappings; a file's own reference is not one.
          const mappings = Math.max(1, run.count - (p.fromFile ? 1 : 0));
          c.rss += bytes;
          c.pss += bytes / mappings;
          if (mappings > 1) c.sharedBytes += bytes;
          else c.privateBytes += bytes;
          // Private pages are anonymous once they are the process's own (not the file's).
          if (!v.shared && (v.file === null || !p.cow)) c.anonymous += bytes;
        }
      }
    });
    return c;
  }
}

/** Linux's is_data_mapping: private, writable and not a stack. */
function isDataVma(v: Vma): boolean {
  return !v.shared && (v.prot & PROT.WRITE) !== 0 && !v.growsDown;
}

function effectiveProt(vma: Vma, pma: Pma): number {
  return pma.cow ? vma.prot & ~PROT.WRITE : vma.prot;
}
