/**
 * The seam between `mm` (the authority on an application's memory) and a
 * platform (which only mirrors it into the place where application code runs).
 *
 * Addresses and lengths are plain numbers: x86-64 user addresses are below
 * 2^47, well inside the 2^53 range that numbers represent exactly.
 */

/** Page protection bits, as in mmap(2)'s PROT_READ / PROT_WRITE / PROT_EXEC. */
export type Prot = number;

/**
 * An application address space as a platform sees it. `mm` calls these
 * methods whenever its VMAs change; the platform makes the application's view
 * match. Every range is page-aligned and non-empty; `mm` is the only caller,
 * and it never calls a method after `release`.
 *
 * Errors: a change the host refuses throws `SysError` (ENOMEM most often),
 * from the call itself or, for a platform that batches, from `flush`.
 */
export interface AddressSpace {
  /**
   * Makes [addr, addr+length) show the memory-file range starting at
   * `fileOffset` with protection `prot`, replacing whatever was mapped there.
   * Writes by the application reach the memory file (the mapping is shared
   * with the sentry's view); copy-on-write is `mm`'s business, done by mapping
   * read-only and handling the resulting fault.
   */
  mapFile(addr: number, length: number, fileOffset: number, prot: Prot): void;

  /** Removes any mapping in [addr, addr+length); unmapped parts are ignored. */
  unmap(addr: number, length: number): void;

  /** Changes the protection of the already mapped range [addr, addr+length). */
  protect(addr: number, length: number, prot: Prot): void;

  /**
   * Applies queued changes. Platforms may batch mapFile/unmap/protect calls
   * (each one costs a context switch into the stub); `mm` calls flush before
   * the application runs again, and a platform must have applied every change
   * by the time flush returns.
   */
  flush(): void;

  /** Drops every mapping and frees the platform's resources for this space. */
  release(): void;
}
