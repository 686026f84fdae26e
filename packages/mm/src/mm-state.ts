import { PROT } from '@tvisor/abi';
import type { AddressSpace } from '@tvisor/platform';
import { TASK_SIZE, defaultLayout, type MemoryLayout } from './layout.js';
import type { MemoryFile } from './memory-file.js';
import { pmasMergeable, splitPma, type Pma } from './pma.js';
import { RangeList, type Range } from './range-list.js';
import { splitVma, vmasMergeable, type Vma } from './vma.js';

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
  /**
   * RLIMIT_MEMLOCK as it applies to this caller: locked bytes beyond it are
   * refused, and 0 refuses locking at all (EPERM). Infinity with CAP_IPC_LOCK.
   */
  memlock: number;
}

export const PROT_RWX = PROT.READ | PROT.WRITE | PROT.EXEC;
/** The protections that allow a read: on x86, write and exec imply read. */
export const READABLE = PROT.READ | PROT.WRITE | PROT.EXEC;
/** Linux's default vm.max_map_count. */
export const MAX_MAP_COUNT = 65530;

/**
 * One process's memory state, shared by the parts of MemoryManager (user
 * memory access, page faults, the mapping syscalls, advice, fork, /proc
 * reports): its VMAs (what the application asked for), the memory-file
 * pages backing them (pmas), the platform's AddressSpace that mirrors both,
 * and the bookkeeping every part reads (break, limits, VmPeak, batching).
 * Internal to mm: callers use MemoryManager.
 */
export class MmState {
  readonly vmas = new RangeList<Vma>(splitVma, vmasMergeable, (v) => v.file?.unmapped?.());
  readonly pmas = new RangeList<Pma>(splitPma, pmasMergeable);
  /** The program break's start (end of the ELF image's bss; 0: no heap yet) and current value. */
  brkStart = 0;
  brkEnd = 0;
  /** The initial stack pointer, so /proc maps names its VMA "[stack]". */
  stackStart = 0;
  /** mlockall(MCL_FUTURE): new mappings start locked. */
  lockFuture = false;
  /** The largest total mapping size seen (VmPeak). */
  vmPeak = 0;
  readonly layout: MemoryLayout;
  /** The limits enforced from now on; the kernel may assign any field. */
  readonly limits: MemoryLimits;
  private batchDepth = 0;

  constructor(
    readonly memoryFile: MemoryFile,
    readonly addressSpace: AddressSpace,
    layout?: Partial<MemoryLayout>,
  ) {
    const d = defaultLayout(layout?.stackTop, layout?.stackLimit);
    this.layout = { ...d, ...layout };
    this.limits = { addressSpace: Infinity, data: Infinity, stack: this.layout.stackLimit, memlock: Infinity };
  }

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

  /** Flushes the AddressSpace's queued changes, unless a batch() is running (it flushes at its end). */
  flushUnlessBatched(): void {
    if (this.batchDepth === 0) this.addressSpace.flush();
  }

  /** Bytes in locked VMAs within [start, end). */
  lockedBytes(start = 0, end = TASK_SIZE): number {
    let n = 0;
    for (const v of this.vmas.items) {
      if (!v.locked || v.end <= start || v.start >= end) continue;
      n += Math.min(v.end, end) - Math.max(v.start, start);
    }
    return n;
  }

  /** Whether `bytes` more locked memory stays within RLIMIT_MEMLOCK (Linux's mlock_future_ok). */
  mayLock(bytes: number): boolean {
    return this.limits.memlock === Infinity || this.lockedBytes() + bytes <= this.limits.memlock;
  }

  /**
   * Linux's may_expand_vm: whether `bytes` more (of data, if `isData`) fit
   * the limits once [replaceStart, replaceEnd) (a MAP_FIXED target) is gone.
   */
  mayExpand(bytes: number, isData: boolean, replaceStart: number, replaceEnd: number): boolean {
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
  notePeak(): void {
    let total = 0;
    for (const v of this.vmas.items) total += v.end - v.start;
    if (total > this.vmPeak) this.vmPeak = total;
  }

  /** Whether any page of [start, end) holds memory in the memory file. */
  hasCommittedPages(start: number, end: number): boolean {
    let found = false;
    this.forEachSegment(start, end, (_v, p, s, e) => {
      if (!found && this.memoryFile.committedRanges(p.off + (s - p.start), e - s).length > 0) found = true;
    });
    return found;
  }

  /** Calls fn for each piece of [start, end) where one VMA and one pma overlap. */
  forEachSegment(start: number, end: number, fn: (vma: Vma, pma: Pma, s: number, e: number) => void): void {
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

  /** Applies `change` to the VMAs in [start, end) (splitting at the edges) and re-merges. */
  changeVmas(start: number, end: number, change: (v: Vma) => void): void {
    const [first, last] = this.vmas.isolate(start, end);
    for (let i = first; i < last; i++) change(this.vmas.items[i]);
    this.vmas.mergeAround(first, last);
  }

  /** The mapped parts of [start, end), each with its VMA. */
  mappedParts(start: number, end: number): Array<Range & { vma: Vma }> {
    const out: Array<Range & { vma: Vma }> = [];
    for (let i = this.vmas.indexAfter(start); i < this.vmas.length; i++) {
      const v = this.vmas.items[i];
      if (v.start >= end) break;
      out.push({ start: Math.max(start, v.start), end: Math.min(end, v.end), vma: v });
    }
    return out;
  }
}

/** Linux's is_data_mapping: private, writable and not a stack. */
export function isDataVma(v: Vma): boolean {
  return !v.shared && (v.prot & PROT.WRITE) !== 0 && !v.growsDown;
}

/** The protection a backed page is mapped with: a COW page stays read-only until a write copies it. */
export function effectiveProt(vma: Vma, pma: Pma): number {
  return pma.cow ? vma.prot & ~PROT.WRITE : vma.prot;
}
