/** A range of the memory file: `length` bytes at `fileOffset`. */
export interface MemoryFileRange {
  fileOffset: number;
  length: number;
}

/**
 * What a file must offer to be mapped with mmap(2). vfs files implement it;
 * mm holds no other reference to the vfs.
 */
export interface MappableFile {
  /** The path shown in /proc/PID/maps for mappings of this file. */
  readonly mapsName: string;

  /** The file's device number (st_dev, Linux's dev_t encoding), shown in /proc/PID/maps. */
  readonly dev: number;

  /** The file's inode number (st_ino), shown in /proc/PID/maps. */
  readonly ino: number;

  /**
   * VM_DONTEXPAND: mremap may move or shrink a mapping of this file but not
   * grow it (EFAULT), as for Linux's AIO rings and other special mappings.
   */
  readonly dontExpand?: boolean;

  /** The current file size in bytes; pages past it read as zeros in a private mapping. */
  size(): number;

  /**
   * Copies file bytes starting at `offset` into `dst`; returns how many were
   * copied (fewer than dst.length only at end of file). Used to fill private
   * mappings. May throw SysError (e.g. EIO), which mmap or the fault reports.
   */
  readAt(offset: number, dst: Uint8Array): number;

  /**
   * The memory-file pages that hold the file's bytes [offset, offset+length)
   * (page-aligned), in order, covering the range exactly, allocating them if
   * needed (bytes past EOF in the last page must read as zeros). The file
   * keeps its own reference to those pages; mm adds one reference per
   * mapping for as long as it maps them.
   *
   * MAP_SHARED maps them directly, so writes by any mapper are seen by every
   * other mapper and by read(2). MAP_PRIVATE maps them copy-on-write (only
   * for the part before EOF): the process sees the file until it writes a
   * page, which then gets a private copy, as with Linux's page cache.
   * Files without it get private copies, and can only be mapped MAP_SHARED
   * read-only, as a snapshot (mprotect to PROT_WRITE then fails with EACCES).
   */
  sharedPages?(offset: number, length: number): MemoryFileRange[];

  /** For msync(MS_SYNC): writes back [offset, offset+length) of a shared mapping. */
  sync?(offset: number, length: number): void;

  /**
   * Called once for every VMA that starts referring to the file (mmap, a VMA
   * split, fork, mremap), like Linux's vm_ops->open: a file stays alive while
   * mapped even after its last fd is closed.
   */
  mapped?(): void;

  /** Called once for every VMA that stops referring to the file (munmap, a merge, exit), like vm_ops->close. */
  unmapped?(): void;
}
