/** Address-space layout constants, as on Linux x86-64 (4-level paging). */

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/** One past the highest user address (Linux's TASK_SIZE_MAX for 47-bit VAs). */
export const TASK_SIZE = 0x7ffffffff000;

/**
 * Addresses at and above this belong to the platform's stub process: mm never
 * places a mapping there, and MAP_FIXED requests reaching it fail with ENOMEM.
 */
export const STUB_RESERVED_START = 0x7ffffff00000;

/** The lowest address mmap will use (Linux's default vm.mmap_min_addr). */
export const MMAP_MIN_ADDR = 0x10000;

/** The gap kept below a MAP_GROWSDOWN mapping (Linux's stack_guard_gap). */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;

/** Default RLIMIT_STACK. */
export const DEFAULT_STACK_LIMIT = 8 * 1024 * 1024;

/** Linux keeps at least this much between the stack top and mmap_base. */
export const MIN_STACK_GAP = 128 * 1024 * 1024;

/** Where bottom-up mmap searches start when the top-down search fails (TASK_SIZE/3). */
export const TASK_UNMAPPED_BASE = Math.floor(TASK_SIZE / 3 / PAGE_SIZE) * PAGE_SIZE;

/** MAP_32BIT places mappings in [MAP_32BIT_BASE, MAP_32BIT_END) (x86-64 Linux). */
export const MAP_32BIT_BASE = 0x40000000;
export const MAP_32BIT_END = 0x80000000;

/** The default stack top: just below the stub's reserved range. */
export const DEFAULT_STACK_TOP = STUB_RESERVED_START;

/** Where a process's mappings go unless told otherwise. */
export interface MemoryLayout {
  /** Top-down mmap searches start below this address. */
  readonly mmapBase: number;
  /** The highest address of the initial stack (exclusive). */
  readonly stackTop: number;
  /** RLIMIT_STACK: how far a MAP_GROWSDOWN stack may grow, in bytes. */
  readonly stackLimit: number;
}

/** Linux's mmap_base for a stack top without randomization: top - max(stack gap, 128 MiB). */
export function mmapBaseFor(stackTop: number, stackLimit = DEFAULT_STACK_LIMIT): number {
  const gap = Math.max(stackLimit + STACK_GUARD_GAP, MIN_STACK_GAP);
  return pageAlignDown(stackTop - gap);
}

/** The default layout for a stack top (the kernel may pass its own). */
export function defaultLayout(stackTop = DEFAULT_STACK_TOP, stackLimit = DEFAULT_STACK_LIMIT): MemoryLayout {
  return { mmapBase: mmapBaseFor(stackTop, stackLimit), stackTop, stackLimit };
}

export function pageAlignDown(n: number): number {
  return n - (n % PAGE_SIZE);
}

export function pageAlignUp(n: number): number {
  const r = n % PAGE_SIZE;
  return r === 0 ? n : n + (PAGE_SIZE - r);
}

export function isPageAligned(n: number): boolean {
  return n % PAGE_SIZE === 0;
}
