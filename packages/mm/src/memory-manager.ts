import { PROT } from '@tvisor/abi';
import type { AddressSpace } from '@tvisor/platform';
import { forkMemory, type ForkStrategy } from './fork.js';
import { TASK_SIZE, type MemoryLayout } from './layout.js';
import { MappingSyscalls, type MmapOptions } from './mapping-syscalls.js';
import { MemoryAdvice } from './memory-advice.js';
import type { MemoryFile } from './memory-file.js';
import { MemoryReport, type MemoryStats } from './memory-report.js';
import { MmState, type MemoryLimits } from './mm-state.js';
import { PageFaults, type FaultResult } from './page-faults.js';
import type { Pma } from './pma.js';
import { UserMemory, type Iovec } from './user-memory.js';
import type { VmaInfo } from './vma.js';

export type { FaultResult, ForkStrategy, Iovec, MemoryLimits, MemoryStats, MmapOptions };

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
  /** How many processes use this address space: more than one after clone(CLONE_VM) without CLONE_THREAD. */
  private users = 1;
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

  /** mbind(2): see MappingSyscalls.setPolicy. */
  setPolicy(addr: number, length: number, policy: number): void {
    this.mappings.setPolicy(addr, length, policy);
  }

  /** prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME): see MappingSyscalls.setAnonName. */
  setAnonName(addr: number, length: number, name: string | null): void {
    this.mappings.setAnonName(addr, length, name);
  }

  /** Records the initial stack pointer's address so /proc maps names its VMA "[stack]". */
  setStackStart(addr: number): void {
    this.mappings.setStackStart(addr);
  }

  /**
   * The file (dev, ino) was truncated to `size`: mappings of it let go of
   * the pages past the new end (touching them is then SIGBUS), as Linux's
   * truncate_pagecache does for every process mapping the file.
   */
  fileTruncated(dev: number, ino: number, size: number): void {
    this.faults.fileTruncated(dev, ino, size);
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
  forEachBlock(addr: number, length: number, write: boolean, fn: (chunk: Uint8Array) => void | boolean, force = false): void {
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

  /**
   * clone(CLONE_VM) without CLONE_THREAD: one more process uses this address
   * space (reads, writes and mappings of either are the other's). Each user
   * ends its use with `release`; the last one really releases.
   */
  share(): this {
    this.users++;
    return this;
  }

  /** Whether another process still uses this address space (see `share`). */
  get shared(): boolean {
    return this.users > 1;
  }

  /**
   * A user is done with the address space (exit, execve): the last one's
   * release drops every mapping and the platform's address space.
   */
  release(): void {
    if (this.released) return;
    if (--this.users > 0) return;
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

  /**
   * How many bytes from `addr` (at most `length`) lie in consecutive writable mappings: what a
   * copy to user memory that stops at its first fault could write (getdents fills only that).
   */
  writablePrefix(addr: number, length: number): number {
    let at = addr;
    while (at < addr + length) {
      const vma = this.report.vmaAt(at);
      if (!vma || !(vma.prot & PROT.WRITE)) break;
      at = vma.end;
    }
    return Math.min(at - addr, length);
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

  /** The resident bytes: stats().rss, for less (see MemoryReport.residentBytes). */
  residentBytes(): number {
    return this.report.residentBytes();
  }

  /** Memory totals in bytes. */
  stats(): MemoryStats {
    return this.report.stats();
  }
}
