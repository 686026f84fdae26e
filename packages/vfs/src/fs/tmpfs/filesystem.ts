import { Errno, FS_MAGIC, SysError } from '../../abi.js';
import type { Filesystem, Inode } from '../../inode.js';
import { makeDev, type StatfsInfo } from '../../stat.js';
import { TmpfsDirectory } from './directory.js';

/** TMPFS_MAGIC, as statfs(2) reports it. */
export const TMPFS_MAGIC = FS_MAGIC.TMPFS_MAGIC;

/**
 * Where a tmpfs gets the memory for its files' pages. The default is plain
 * Uint8Arrays; an application kernel passes one whose pages it can also map
 * into a process (MAP_SHARED), so that a mapping and read(2)/write(2) work on
 * the same bytes.
 */
export interface TmpfsPageAllocator {
  /** A zero-filled page of `size` bytes, held by the file until `free`. */
  allocate(size: number): Uint8Array;
  /** The file no longer holds these pages (truncate, hole punch, last unlink): one call for a whole range. */
  free(pages: Uint8Array[]): void;
}

/** Pages from the JavaScript heap. */
export const HEAP_PAGES: TmpfsPageAllocator = { allocate: (size) => new Uint8Array(size), free: () => {} };

/** Options of a tmpfs instance (mount -t tmpfs -o ...). */
export interface TmpfsOptions {
  /** Root directory permissions (default 0o1777, like a fresh tmpfs). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Byte limit for file data (ENOSPC beyond it); unlimited by default. */
  maxBytes?: number;
  /** st_dev to report; a fresh anonymous device number by default. */
  dev?: number;
  /** Where file pages come from (HEAP_PAGES by default). */
  pages?: TmpfsPageAllocator;
}

let nextAnonMinor = 1;
/** A fresh device number from the anonymous major 0, as Linux gives tmpfs and friends. */
export function anonymousDev(): number {
  return makeDev(0, 0x100 + nextAnonMinor++);
}

/** An in-memory filesystem with Linux tmpfs semantics. */
export class TmpfsFilesystem implements Filesystem {
  readonly type: string = 'tmpfs';
  readonly dev: number;
  readonly pageSize = 4096;
  readonly maxBytes: number;
  readonly pages: TmpfsPageAllocator;
  /** Bytes of file data currently allocated (whole pages). */
  usedBytes = 0;
  private nextIno = 1;
  private readonly rootDir: TmpfsDirectory;

  constructor(opts: TmpfsOptions = {}) {
    this.dev = opts.dev ?? anonymousDev();
    this.maxBytes = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.pages = opts.pages ?? HEAP_PAGES;
    this.rootDir = new TmpfsDirectory(this, opts.mode ?? 0o1777, opts.uid ?? 0, opts.gid ?? 0);
    // What /proc/PID/mountinfo shows as super options, as Linux's shmem_show_options: only what differs from the defaults.
    const shown: string[] = [];
    if (opts.maxBytes !== undefined) shown.push(`size=${Math.floor(opts.maxBytes / 1024)}k`);
    if ((opts.mode ?? 0o1777) !== 0o1777) shown.push(`mode=${(opts.mode ?? 0).toString(8).padStart(3, '0')}`);
    if (opts.uid) shown.push(`uid=${opts.uid}`);
    if (opts.gid) shown.push(`gid=${opts.gid}`);
    this.superOptions = shown;
  }

  /** The mount options /proc/PID/mountinfo lists after rw/ro (size, mode, uid, gid when not the defaults). */
  readonly superOptions: readonly string[];

  /** A new inode number. */
  allocIno(): number {
    return this.nextIno++;
  }

  /** Account for `pages` more pages of data; ENOSPC past the size limit. */
  chargePages(pages: number): void {
    const bytes = pages * this.pageSize;
    if (bytes > 0 && this.usedBytes + bytes > this.maxBytes) throw new SysError(Errno.ENOSPC);
    this.usedBytes += bytes;
  }

  root(): Inode {
    return this.rootDir;
  }

  statfs(): StatfsInfo {
    const total = Math.floor(Math.min(this.maxBytes, 2 ** 40) / this.pageSize);
    const used = this.usedBytes / this.pageSize;
    return {
      type: TMPFS_MAGIC,
      bsize: this.pageSize,
      blocks: total,
      bfree: total - used,
      bavail: total - used,
      files: 1 << 20,
      ffree: (1 << 20) - this.nextIno,
      fsid: [0, 0],
      namelen: 255,
      frsize: this.pageSize,
      flags: 0,
    };
  }

  release(): void {}
}
