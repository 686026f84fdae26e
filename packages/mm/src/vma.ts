import type { MappableFile } from './mappable-file.js';

/**
 * A virtual memory area: a range of application addresses with uniform
 * attributes, as Linux's vm_area_struct. The fields that Linux compares when
 * deciding whether two neighbours merge are exactly the ones below apart
 * from start/end (and fileOffset, which must be contiguous).
 */
export interface Vma {
  start: number;
  end: number;
  /** PROT_READ | PROT_WRITE | PROT_EXEC. */
  prot: number;
  /** The protections mprotect may grant (VM_MAY*: a shared mapping of a read-only fd lacks WRITE). */
  maxProt: number;
  /** MAP_SHARED (VM_SHARED). */
  shared: boolean;
  /** MAP_GROWSDOWN (VM_GROWSDOWN): faults just below it grow it. */
  growsDown: boolean;
  /**
   * The mapped file; null for private anonymous memory. MAP_SHARED|MAP_ANONYMOUS
   * memory maps its own SharedMemory object (as Linux gives each such mapping
   * its own shmem file, so two of them never merge).
   */
  file: MappableFile | null;
  /** The file offset that `start` maps (0 for private anonymous memory). */
  fileOffset: number;
  /** VM_ACCOUNT: private writable memory charged to commit (affects merging like Linux). */
  account: boolean;
  /** VM_NORESERVE (MAP_NORESERVE). */
  noReserve: boolean;
  /** VM_LOCKED (mlock). */
  locked: boolean;
  /** VM_DONTCOPY (MADV_DONTFORK). */
  dontFork: boolean;
  /** VM_WIPEONFORK (MADV_WIPEONFORK). */
  wipeOnFork: boolean;
  /** Paging hints set by madvise (VmHint bits); they only show in smaps and in how VMAs merge. */
  hints: number;
  /** A name for /proc/PID/maps of an anonymous area (e.g. "[stack]"), or null. */
  name: string | null;
  /**
   * The NUMA policy mbind(2) set, encoded by the kernel (0: the task's
   * policy applies). Opaque to mm: it only keeps VMAs with different
   * policies from merging, as Linux does.
   */
  policy: number;
}

/** madvise hints Linux keeps as VMA flags. */
export const VmHint = {
  /** VM_RAND_READ (MADV_RANDOM). */
  RAND_READ: 1,
  /** VM_SEQ_READ (MADV_SEQUENTIAL). */
  SEQ_READ: 2,
  /** VM_DONTDUMP (MADV_DONTDUMP). */
  DONTDUMP: 4,
  /** VM_HUGEPAGE (MADV_HUGEPAGE). */
  HUGEPAGE: 8,
  /** VM_NOHUGEPAGE (MADV_NOHUGEPAGE). */
  NOHUGEPAGE: 16,
} as const;

/** Splits `vma` at `at`: it keeps [start, at) and the returned copy holds [at, end). */
export function splitVma(vma: Vma, at: number): Vma {
  const tail: Vma = { ...vma, start: at, fileOffset: offsetAt(vma, at) };
  vma.end = at;
  tail.file?.mapped?.();
  return tail;
}

/** Whether the VMA maps an object at an offset (a file or shared anonymous memory). */
export function hasOffset(v: Vma): boolean {
  return v.file !== null;
}

/** The object offset that address `addr` of the VMA maps (0 for private anonymous memory). */
export function offsetAt(v: Vma, addr: number): number {
  return hasOffset(v) ? v.fileOffset + (addr - v.start) : 0;
}

/** Whether `a`, directly followed by `b`, may be one VMA (Linux's is_mergeable_vma). */
export function vmasMergeable(a: Vma, b: Vma): boolean {
  return (
    a.prot === b.prot &&
    a.maxProt === b.maxProt &&
    a.shared === b.shared &&
    a.growsDown === b.growsDown &&
    a.file === b.file &&
    (!hasOffset(a) || a.fileOffset + (a.end - a.start) === b.fileOffset) &&
    a.account === b.account &&
    a.noReserve === b.noReserve &&
    a.locked === b.locked &&
    a.dontFork === b.dontFork &&
    a.wipeOnFork === b.wipeOnFork &&
    a.hints === b.hints &&
    a.name === b.name &&
    a.policy === b.policy
  );
}

/** A read-only snapshot of a VMA for callers outside mm. */
export type VmaInfo = Readonly<Vma>;
