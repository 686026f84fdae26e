import { MEMORY_FILE_WINDOW } from './memory-file.js';

/**
 * A run of application pages backed by a contiguous memory-file range (gVisor
 * calls these pmas). Each pma holds one reference on its file range. A `cow`
 * pma shares its pages with another address space (after fork) and is mapped
 * read-only until a write copies it.
 */
export interface Pma {
  start: number;
  end: number;
  /** The memory-file offset backing `start`. */
  off: number;
  cow: boolean;
  /** The pages are a file's own (a MappableFile's sharedPages), which holds a reference of its own on them. */
  fromFile: boolean;
}

/** Splits `pma` at `at`: it keeps [start, at) and the returned copy holds [at, end). */
export function splitPma(pma: Pma, at: number): Pma {
  const tail: Pma = { start: at, end: pma.end, off: pma.off + (at - pma.start), cow: pma.cow, fromFile: pma.fromFile };
  pma.end = at;
  return tail;
}

/**
 * Whether `a`, directly followed by `b`, may be one pma: contiguous in the
 * file, same COW state, and within one sentry window of the memory file.
 */
export function pmasMergeable(a: Pma, b: Pma): boolean {
  const aLen = a.end - a.start;
  return (
    a.cow === b.cow &&
    a.fromFile === b.fromFile &&
    a.off + aLen === b.off &&
    Math.floor(a.off / MEMORY_FILE_WINDOW) === Math.floor((b.off + (b.end - b.start) - 1) / MEMORY_FILE_WINDOW)
  );
}
