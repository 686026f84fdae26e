import { Errno, MADV, MAP, MCL, MREMAP, MS, PROT, SysError } from '@tvisor/abi';
import type { AddressSpace } from './address-space.js';
import {
  MMAP_MIN_ADDR,
  PAGE_SIZE,
  STUB_RESERVED_START,
  TASK_SIZE,
  isPageAligned,
  pageAlignDown,
  pageAlignUp,
  type MemoryLayout,
} from './layout.js';
import type { MappableFile } from './mappable-file.js';
import type { MemoryFile } from './memory-file.js';
import { MAX_MAP_COUNT, MmState, PROT_RWX, READABLE, isDataVma, type MemoryLimits } from './mm-state.js';
import { PageFaults, type FaultResult } from './page-faults.js';
import { findUnmappedArea, startGap } from './placement.js';
import { pmasMergeable, type Pma } from './pma.js';
import { formatMapsLine, formatSmapsEntry, type SmapsCounts } from './proc-format.js';
import { SharedMemory } from './shared-memory.js';
import { UserMemory, type Iovec } from './user-memory.js';
import { VmHint, offsetAt, type Vma, type VmaInfo } from './vma.js';

export type { FaultResult, Iovec, MemoryLimits };

/**
 * One process's memory, the one object the kernel and the platform hold:
 * a facade over the parts that share its MmState —
 * - MappingSyscalls (mapping-syscalls.ts): mmap, munmap, mprotect, mremap, brk;
 * - MemoryAdvice (memory-advice.ts): madvise, msync, mincore, mlock;
 * - UserMemory (user-memory.ts): copy-in/out, strings, iovecs, atomics;
 * - PageFaults (page-faults.ts): faults, populating, COW breaks, the AddressSpace mirror;
 * - forkMemory (fork.ts): fork, copy-on-write or eager;
 * - MemoryReport (memory-report.ts): VMA snapshots and /proc text.
 * Every syscall that touches memory and every copy between the sentry and
 * the application goes through here.
 */
export class MemoryManager {
  private readonly state: MmState;
  private readonly faults: PageFaults;
  private readonly user: UserMemory;
  private readonly mappings: MappingSyscalls;
  private readonly advice: MemoryAdvice;
  private readonly report: MemoryReport;
  private released = false;
  readonly layout: MemoryLayout;
  /** The limits enforced from now on; the kernel may assign any field. */
  readonly limits: MemoryLimits;

  constructor(
    readonly memoryFile: MemoryFile,
    readonly addressSpace: AddressSpace,
    layout?: Partial<MemoryLayout>,
  ) {
    this.state = new MmState(memoryFile, addressSpace, layout);
    this.layout = this.state.layout;
    this.limits = this.state.limits;
    this.faults = new PageFaults(this.state);
    this.user = new UserMemory(this.state, this.faults);
    this.mappings = new MappingSyscalls(this.state, this.faults);
    this.advice = new MemoryAdvice(this.state, this.faults);
    this.report = new MemoryReport(this.state);
  }

  // ------------------------------------------------------- mapping syscalls

  /** mmap(2). Returns the mapping's address. */
  mmap(opts: MmapOptions): number {
    return this.mappings.mmap(opts);
  }

  /** munmap(2). */
  munmap(addr: number, length: number): void {
    this.mappings.munmap(addr, length);
  }

  /** mprotect(2), PROT_GROWSDOWN included. */
  mprotect(addr: number, length: number, prot: number): void {
    this.mappings.mprotect(addr, length, prot);
  }

  /** mremap(2). Returns the (possibly new) address of the mapping. */
  mremap(oldAddr: number, oldLength: number, newLength: number, flags: number, newAddr = 0): number {
    return this.mappings.mremap(oldAddr, oldLength, newLength, flags, newAddr);
  }

  /** Sets the program break's start (end of the ELF image's bss); called by the loader. */
  setBrkStart(addr: number): void {
    this.mappings.setBrkStart(addr);
  }

  /** The current program break. */
  get brkValue(): number {
    return this.mappings.brkValue;
  }

  /** brk(2): returns the new break, or the unchanged one when it cannot move. */
  brk(addr: number): number {
    return this.mappings.brk(addr);
  }

  /** prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME): see MappingSyscalls.setAnonName. */
  setAnonName(addr: number, length: number, name: string | null): void {
    this.mappings.setAnonName(addr, length, name);
  }

  /** Records the initial stack pointer's address so /proc maps names its VMA "[stack]". */
  setStackStart(addr: number): void {
    this.mappings.setStackStart(addr);
  }

  // ----------------------------------------------------------------- advice

  /** madvise(2). */
  madvise(addr: number, length: number, advice: number): void {
    this.advice.madvise(addr, length, advice);
  }

  /** msync(2): writes shared file mappings back through MappableFile.sync. */
  msync(addr: number, length: number, flags: number): void {
    this.advice.msync(addr, length, flags);
  }

  /** mincore(2): one byte per page, 1 if the page holds memory. */
  mincore(addr: number, length: number): Uint8Array {
    return this.advice.mincore(addr, length);
  }

  /** mlock(2) / mlock2(2): marks the range locked (accounting only) and populates it. */
  mlock(addr: number, length: number, onFault = false): void {
    this.advice.mlock(addr, length, onFault);
  }

  /** munlock(2). */
  munlock(addr: number, length: number): void {
    this.advice.munlock(addr, length);
  }

  /** mlockall(2). */
  mlockall(flags: number): void {
    this.advice.mlockall(flags);
  }

  /** munlockall(2). */
  munlockall(): void {
    this.advice.munlockall();
  }

  // ------------------------------------------------------------ user memory

  /** Copies [addr, addr+length) of application memory out into a new array. */
  copyIn(addr: number, length: number): Uint8Array {
    return this.user.copyIn(addr, length);
  }

  /** Fills `dst` from application memory at `addr` (EFAULT like copy_from_user). */
  readInto(addr: number, dst: Uint8Array): void {
    this.user.readInto(addr, dst);
  }

  /** Writes `src` to application memory at `addr` (EFAULT like copy_to_user, read-only pages included). */
  copyOut(addr: number, src: Uint8Array): void {
    this.user.copyOut(addr, src);
  }

  /** A NUL-terminated UTF-8 string of at most `maxLen` bytes: see UserMemory.readCString. */
  readCString(addr: number, maxLen: number): string {
    return this.user.readCString(addr, maxLen);
  }

  /** readCString's bytes (without the NUL), for callers that need them exactly. */
  readCStringBytes(addr: number, maxLen: number): Uint8Array {
    return this.user.readCStringBytes(addr, maxLen);
  }

  /** Reads `count` struct iovec {base, len}; EINVAL for count > UIO_MAXIOV or a negative length. */
  readIovecs(addr: number, count: number): Iovec[] {
    return this.user.readIovecs(addr, count);
  }

  /** Zero-copy walk over the memory-file views of [addr, addr+length): see UserMemory.forEachBlock. */
  forEachBlock(
    addr: number,
    length: number,
    write: boolean,
    fn: (chunk: Uint8Array) => void | boolean,
    force = false,
  ): void {
    this.user.forEachBlock(addr, length, write, fn, force);
  }

  /** Atomically loads the aligned 32-bit word at `addr` (futexes): see UserMemory.atomicLoad32. */
  atomicLoad32(addr: number): number {
    return this.user.atomicLoad32(addr);
  }

  /** Stores `replacement` if the word equals `expected`; returns the old value either way. */
  atomicCompareExchange32(addr: number, expected: number, replacement: number): number {
    return this.user.atomicCompareExchange32(addr, expected, replacement);
  }

  /** Applies `op` with `value` to the word (FUTEX_WAKE_OP); returns the old value. */
  atomicUpdate32(addr: number, op: 'set' | 'add' | 'or' | 'and' | 'xor', value: number): number {
    return this.user.atomicUpdate32(addr, op, value);
  }

  /** The memory-file offset a shared futex at `addr` is keyed by, or undefined for a private one. */
  sharedWordKey(addr: number): number | undefined {
    return this.user.sharedWordKey(addr);
  }

  // ------------------------------------------------------------------ faults

  /** Resolves an application page fault the platform reported: see PageFaults.handleFault. */
  handleFault(addr: number, write: boolean, exec = false): FaultResult {
    return this.faults.handleFault(addr, write, exec);
  }

  // -------------------------------------------------------------- lifecycle

  /**
   * fork(2): a copy of this address space in `newAddressSpace` (see
   * forkMemory): private pages copy-on-write or, with 'eager', copied.
   */
  fork(newAddressSpace: AddressSpace, strategy: ForkStrategy = 'cow'): MemoryManager {
    const child = new MemoryManager(this.memoryFile, newAddressSpace, this.layout);
    forkMemory(this.state, this.faults, child.state, child.faults, strategy);
    return child;
  }

  /**
   * Runs `fn` with the address-space flushes of the calls it makes held back,
   * and flushes once at the end: for a series of changes no application
   * thread can observe half-done (execve loading a program into a new
   * address space), one round trip to the platform instead of one each.
   */
  batch<T>(fn: () => T): T {
    return this.state.batch(fn);
  }

  /** Drops every mapping and releases the platform's address space (exit, execve). */
  release(): void {
    if (this.released) return;
    this.released = true;
    const { vmas, pmas } = this.state;
    for (const p of pmas.removeRange(0, TASK_SIZE)) this.memoryFile.decRef(p.off, p.end - p.start);
    for (const v of vmas.removeRange(0, TASK_SIZE)) v.file?.unmapped?.();
    this.addressSpace.release();
  }

  // ----------------------------------------------------------- introspection

  /** A snapshot of the VMAs, in address order. */
  vmaList(): VmaInfo[] {
    return this.report.vmaList();
  }

  /** The VMA containing `addr`, if any (a snapshot). */
  vmaAt(addr: number): VmaInfo | undefined {
    return this.report.vmaAt(addr);
  }

  /** The memory-file backing, in address order (for tests and the platform's debugging). */
  backingList(): Readonly<Pma>[] {
    return this.report.backingList();
  }

  /** The text of /proc/PID/maps. */
  mapsText(): string {
    return this.report.mapsText();
  }

  /** The text of /proc/PID/smaps. */
  smapsText(): string {
    return this.report.smapsText();
  }

  /** The text of /proc/PID/statm (pages: size resident shared text lib data dt). */
  statmText(): string {
    return this.report.statmText();
  }

  /** Memory totals in bytes. */
  stats(): MemoryStats {
    return this.report.stats();
  }
}

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

/** Flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK plus FIXED_NOREPLACE and 32BIT). */
const VALIDATED_MAP_FLAGS =
  MAP.SHARED | MAP.PRIVATE | MAP.FIXED | MAP.ANONYMOUS | MAP.DENYWRITE | MAP.EXECUTABLE | MAP.UNINITIALIZED |
  MAP.GROWSDOWN | MAP.LOCKED | MAP.NORESERVE | MAP.POPULATE | MAP.NONBLOCK | MAP.STACK | MAP.HUGETLB |
  MAP.FIXED_NOREPLACE | MAP['32BIT'];

/**
 * The mapping syscalls: mmap, munmap, mprotect, mremap and brk, plus the
 * loader's and prctl's setters for the break, the stack and anonymous
 * names. They change the VMAs; PageFaults backs, mirrors and drops the
 * pages under them.
 */
export class MappingSyscalls {
  private readonly vmas: MmState['vmas'];
  private readonly pmas: MmState['pmas'];
  private readonly memoryFile: MmState['memoryFile'];
  private readonly addressSpace: MmState['addressSpace'];

  constructor(
    private readonly state: MmState,
    private readonly faults: PageFaults,
  ) {
    this.vmas = state.vmas;
    this.pmas = state.pmas;
    this.memoryFile = state.memoryFile;
    this.addressSpace = state.addressSpace;
  }

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
      start = findUnmappedArea(this.vmas, this.state.layout.mmapBase, addr, len, (flags & MAP['32BIT']) !== 0);
    }
    if (this.vmas.length >= MAX_MAP_COUNT) throw new SysError(Errno.ENOMEM);
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
      name: null,
    });
    this.faults.populate(oldTop, newTop);
    this.state.flushUnlessBatched();
    this.state.notePeak();
    this.state.brkEnd = addr;
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

/** Advice values madvise accepts (the privileged memory-failure ones are left out). */
const KNOWN_MADVICE = new Set<number>(
  Object.values(MADV).filter((a) => a !== MADV.HWPOISON && a !== MADV.SOFT_OFFLINE),
);

/**
 * Advice and residency: madvise, msync, mincore and the mlock family. They
 * change VMA attributes (fork behaviour, paging hints, locking), discard or
 * prefetch pages through PageFaults, and write shared file mappings back.
 */
export class MemoryAdvice {
  private readonly vmas: MmState['vmas'];
  private readonly pmas: MmState['pmas'];
  private readonly memoryFile: MmState['memoryFile'];
  private readonly addressSpace: MmState['addressSpace'];

  constructor(
    private readonly state: MmState,
    private readonly faults: PageFaults,
  ) {
    this.vmas = state.vmas;
    this.pmas = state.pmas;
    this.memoryFile = state.memoryFile;
    this.addressSpace = state.addressSpace;
  }

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
    const parts = this.state.mappedParts(addr, end).map((r) => ({ start: r.start, end: r.end }));
    try {
      for (const r of parts) {
        this.checkAdvice(this.vmas.find(r.start)!, advice);
        this.applyAdvice(r.start, r.end, advice);
      }
    } finally {
      this.state.flushUnlessBatched();
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
    for (const r of this.state.mappedParts(addr, end)) {
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
      this.state.changeVmas(0, TASK_SIZE, (v) => {
        v.locked = true;
      });
    }
    this.state.lockFuture = (flags & MCL.FUTURE) !== 0;
  }

  /** munlockall(2). */
  munlockall(): void {
    this.state.changeVmas(0, TASK_SIZE, (v) => {
      v.locked = false;
    });
    this.state.lockFuture = false;
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
        this.state.forEachSegment(start, end, (_v, p, s, e) => this.memoryFile.zero(p.off + (s - p.start), e - s));
        break;
      case MADV.DONTFORK:
      case MADV.DOFORK:
        this.state.changeVmas(start, end, (v) => {
          v.dontFork = advice === MADV.DONTFORK;
        });
        break;
      case MADV.WIPEONFORK:
      case MADV.KEEPONFORK:
        this.state.changeVmas(start, end, (v) => {
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
        this.faults.populate(start, end);
        break;
      case MADV.POPULATE_WRITE: {
        this.faults.populate(start, end);
        const v = this.vmas.find(start)!;
        if (!v.shared) this.faults.breakCow(start, end);
        break;
      }
      default:
        break; // advice that only tunes Linux's paging heuristics
    }
  }

  private changeHints(start: number, end: number, clear: number, set: number): void {
    this.state.changeVmas(start, end, (v) => {
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
      if (this.faults.shouldPopulateEagerly(vma, vma.end - vma.start)) this.faults.populate(start, end);
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
        this.faults.mirror(p.start, p.end);
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
      this.state.changeVmas(pos, segEnd, (x) => {
        x.locked = locked;
      });
      if (locked && !onFault && (v.prot & READABLE) !== 0) this.faults.populate(pos, segEnd);
      pos = segEnd;
    }
    this.state.flushUnlessBatched();
    if (pos < end) throw new SysError(Errno.ENOMEM);
  }
}

/**
 * How fork gives the child its private memory: shared copy-on-write pages
 * (write-protected in both until one writes), or an eager copy of the pages
 * touched so far.
 */
export type ForkStrategy = 'cow' | 'eager';

/**
 * fork(2): copies the parent's address space into the child's (new, empty)
 * state. Private pages are shared copy-on-write (both sides map them
 * read-only until a write copies the page) or, with the eager strategy,
 * copied; MAP_SHARED pages are shared; MADV_DONTFORK areas are left out and
 * MADV_WIPEONFORK areas start empty. mlock does not carry over, as on Linux.
 * Flushes both address spaces.
 */
export function forkMemory(
  parent: MmState,
  parentFaults: PageFaults,
  child: MmState,
  childFaults: PageFaults,
  strategy: ForkStrategy,
): void {
  child.brkStart = parent.brkStart;
  child.brkEnd = parent.brkEnd;
  child.stackStart = parent.stackStart;
  child.vmPeak = parent.vmPeak;
  Object.assign(child.limits, parent.limits);
  for (const v of parent.vmas.items) {
    if (v.dontFork) continue;
    v.file?.mapped?.();
    child.vmas.items.push({ ...v, locked: false });
    if (v.wipeOnFork) continue;
    if (!v.shared && strategy === 'eager') {
      copyPrivatePages(parent, child, v);
      continue;
    }
    if (!v.shared) {
      // Cut pmas at the VMA's edges so only this VMA's part turns COW.
      const [first, last] = parent.pmas.isolate(v.start, v.end);
      for (let i = first; i < last; i++) parent.pmas.items[i].cow = true;
      if ((v.prot & PROT.WRITE) !== 0) parentFaults.protectRange(v.start, v.end);
    }
    for (let i = parent.pmas.indexAfter(v.start); i < parent.pmas.length; i++) {
      const p = parent.pmas.items[i];
      if (p.start >= v.end) break;
      const s = Math.max(p.start, v.start);
      const e = Math.min(p.end, v.end);
      const off = p.off + (s - p.start);
      parent.memoryFile.incRef(off, e - s);
      const last = child.pmas.items[child.pmas.length - 1];
      const piece: Pma = { start: s, end: e, off, cow: !v.shared, fromFile: p.fromFile };
      if (last !== undefined && last.end === s && pmasMergeable(last, piece)) last.end = e;
      else child.pmas.items.push(piece);
    }
  }
  // The child's VMAs stay split exactly as the parent's (Linux's dup_mmap copies them one by one).
  parent.pmas.mergeAround(0, parent.pmas.length);
  childFaults.mirror(0, TASK_SIZE);
  parent.flushUnlessBatched();
  child.addressSpace.flush();
}

/**
 * fork's eager strategy for private memory: the child gets its own copy
 * of every page the parent has touched (the memory file's SEEK_DATA and
 * SEEK_HOLE find them; holes stay holes), so neither side needs
 * write-protection or copy-on-write faults afterwards. Pages a file
 * already lends copy-on-write (the page cache) stay shared, still COW.
 */
function copyPrivatePages(parent: MmState, child: MmState, v: Vma): void {
  const memoryFile = parent.memoryFile;
  for (let i = parent.pmas.indexAfter(v.start); i < parent.pmas.length; i++) {
    const p = parent.pmas.items[i];
    if (p.start >= v.end) break;
    const s = Math.max(p.start, v.start);
    const e = Math.min(p.end, v.end);
    const off = p.off + (s - p.start);
    let piece: Pma;
    if (p.fromFile) {
      memoryFile.incRef(off, e - s);
      piece = { start: s, end: e, off, cow: true, fromFile: true };
    } else {
      const copy = memoryFile.allocate(e - s);
      for (const r of memoryFile.committedRanges(off, e - s)) {
        memoryFile.copy(copy + (r.start - off), r.start, r.end - r.start);
      }
      piece = { start: s, end: e, off: copy, cow: false, fromFile: false };
    }
    const last = child.pmas.items[child.pmas.length - 1];
    if (last !== undefined && last.end === s && pmasMergeable(last, piece)) last.end = e;
    else child.pmas.items.push(piece);
  }
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

/**
 * Read-only views of one process's memory: snapshots of the VMAs and
 * backing, and the text of /proc/PID/maps, smaps and statm with the
 * statistics behind /proc/PID/status.
 */
export class MemoryReport {
  private readonly vmas: MmState['vmas'];
  private readonly pmas: MmState['pmas'];
  private readonly memoryFile: MmState['memoryFile'];

  constructor(private readonly state: MmState) {
    this.vmas = state.vmas;
    this.pmas = state.pmas;
    this.memoryFile = state.memoryFile;
  }

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
    s.vmPeak = Math.max(this.state.vmPeak, s.vmSize);
    return s;
  }

  /** The /proc maps name: the file, an explicit name, or [heap]/[stack] like Linux. */
  private nameOf(v: Vma): string | null {
    if (v.name !== null) return v.name;
    if (v.file !== null) return v.file.mapsName;
    if (this.state.brkStart !== 0 && v.start < this.state.brkEnd && v.end > this.state.brkStart) return '[heap]';
    if (this.state.stackStart !== 0 && v.start <= this.state.stackStart && v.end >= this.state.stackStart) return '[stack]';
    return null;
  }

  /** Resident / proportional / anonymous bytes of a VMA. */
  private countPages(v: Vma): SmapsCounts {
    const c: SmapsCounts = { rss: 0, pss: 0, sharedBytes: 0, privateBytes: 0, anonymous: 0 };
    this.state.forEachSegment(v.start, v.end, (_vma, p, s, e) => {
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
