import { Errno, F, FALLOC_FL, O, SEEK, SysError } from '../../abi.js';
import type { Credentials } from '../../credentials.js';
import { FileImplBase, MAX_OFFSET, type FileDescription, type FileDescriptionImpl } from '../../file-description.js';
import type { TmpfsFilesystem } from './filesystem.js';
import { TmpfsInode } from './inode.js';

/** The seals F_ADD_SEALS knows. */
const ALL_SEALS = F.SEAL_SEAL | F.SEAL_SHRINK | F.SEAL_GROW | F.SEAL_WRITE | F.SEAL_FUTURE_WRITE;
/** Seals that refuse write(2) and new writable shared mappings. */
const WRITE_SEALS = F.SEAL_WRITE | F.SEAL_FUTURE_WRITE;

/**
 * A tmpfs regular file. Data lives in 4 KiB pages allocated on first write,
 * so files can be sparse: unallocated pages read as zeros and are holes for
 * SEEK_HOLE/SEEK_DATA and st_blocks.
 */
export class TmpfsRegular extends TmpfsInode {
  private readonly pages = new Map<number, Uint8Array>();
  /**
   * Pages fallocate()d but never written: allocated (they count in
   * st_blocks) yet holes for SEEK_DATA/SEEK_HOLE, as on Linux tmpfs.
   */
  private readonly unwritten = new Set<number>();
  private length = 0;
  /** Open file descriptions of this file: its pages are freed once this and nlink are both 0. */
  private opens = 0;
  /**
   * F_SEAL_* bits (fcntl F_ADD_SEALS/F_GET_SEALS). A tmpfs file starts with
   * F_SEAL_SEAL, so it can never be sealed; memfd_create(MFD_ALLOW_SEALING)
   * clears it.
   */
  seals: number = F.SEAL_SEAL;
  /**
   * Shared mappings that could write to the file (MAP_SHARED of an fd open
   * for writing), counted per VMA by the kernel: F_SEAL_WRITE is EBUSY while
   * there are any, as Linux's mapping_deny_writable.
   */
  writableMappings = 0;

  constructor(fs: TmpfsFilesystem, mode: number, uid: number, gid: number) {
    super(fs, mode, uid, gid);
  }

  get size(): number {
    return this.length;
  }

  override get blocks(): number {
    return this.pages.size * (this.fs.pageSize / 512);
  }

  override open(_flags: number, _creds: Credentials): FileDescriptionImpl {
    this.opens++;
    return new TmpfsRegularFile(this);
  }

  /** An open description of this file was released. */
  closed(): void {
    this.opens--;
    this.freeIfGone();
  }

  override linkRemoved(): void {
    this.freeIfGone();
  }

  /**
   * A file with no name and nothing open can never be read again: its pages
   * go back to the allocator now (mappings of them keep what they map).
   */
  private freeIfGone(): void {
    if (this.nlink > 0 || this.opens > 0 || this.pages.size === 0) return;
    this.dropPages([...this.pages.keys()]);
  }

  /**
   * F_ADD_SEALS: EPERM once F_SEAL_SEAL is set, EINVAL for unknown bits,
   * EBUSY for F_SEAL_WRITE while writable shared mappings exist (then no
   * seal of the call is added). The caller checks the fd is writable.
   */
  addSeals(seals: number): void {
    if ((seals & ~ALL_SEALS) !== 0) throw new SysError(Errno.EINVAL);
    if ((this.seals & F.SEAL_SEAL) !== 0) throw new SysError(Errno.EPERM);
    if ((seals & F.SEAL_WRITE) !== 0 && (this.seals & F.SEAL_WRITE) === 0 && this.writableMappings > 0) throw new SysError(Errno.EBUSY);
    this.seals |= seals;
  }

  /**
   * How many of the `length` bytes at `offset` a write may change under the
   * seals: EPERM with F_SEAL_WRITE; with F_SEAL_GROW, page by page (as
   * Linux's shmem_write_begin) up to the first page-sized step that would
   * pass the end of the file, EPERM if that is the first.
   */
  private writableLength(offset: number, length: number): number {
    if ((this.seals & WRITE_SEALS) !== 0) throw new SysError(Errno.EPERM);
    if ((this.seals & F.SEAL_GROW) === 0 || offset + length <= this.length) return length;
    const ps = this.fs.pageSize;
    let pos = offset;
    while (pos < offset + length) {
      const stepEnd = Math.min(offset + length, (Math.floor(pos / ps) + 1) * ps);
      if (stepEnd > this.length) break;
      pos = stepEnd;
    }
    if (pos === offset) throw new SysError(Errno.EPERM);
    return pos - offset;
  }

  /** Copy file bytes at `offset` into `dst`; returns the count (0 at or past EOF). */
  readAt(dst: Uint8Array, offset: number): number {
    const end = Math.min(this.length, offset + dst.length);
    if (offset >= end) return 0;
    const ps = this.fs.pageSize;
    let pos = offset;
    while (pos < end) {
      const idx = Math.floor(pos / ps);
      const inPage = pos - idx * ps;
      const n = Math.min(ps - inPage, end - pos);
      const page = this.pages.get(idx);
      const out = dst.subarray(pos - offset, pos - offset + n);
      if (page) out.set(page.subarray(inPage, inPage + n));
      else out.fill(0);
      pos += n;
    }
    return end - offset;
  }

  /** Write `src` at `offset`, growing the file. EFBIG past the maximum offset. */
  writeAt(src: Uint8Array, offset: number): number {
    if (src.length === 0) return 0;
    if (this.seals !== 0 && this.seals !== F.SEAL_SEAL) src = src.subarray(0, this.writableLength(offset, src.length));
    if (offset + src.length > MAX_OFFSET) {
      if (offset >= MAX_OFFSET) throw new SysError(Errno.EFBIG);
      src = src.subarray(0, MAX_OFFSET - offset);
    }
    const ps = this.fs.pageSize;
    const end = offset + src.length;
    // Charge all new pages first so that ENOSPC leaves the file untouched.
    let newPages = 0;
    for (let idx = Math.floor(offset / ps); idx * ps < end; idx++) if (!this.pages.has(idx)) newPages++;
    this.fs.chargePages(newPages);
    let pos = offset;
    while (pos < end) {
      const idx = Math.floor(pos / ps);
      const inPage = pos - idx * ps;
      const n = Math.min(ps - inPage, end - pos);
      let page = this.pages.get(idx);
      if (!page) {
        page = this.fs.pages.allocate(ps);
        this.pages.set(idx, page);
      }
      this.unwritten.delete(idx);
      page.set(src.subarray(pos - offset, pos - offset + n), inPage);
      pos += n;
    }
    if (end > this.length) this.length = end;
    return src.length;
  }

  protected override setSize(size: number): void {
    if (size > MAX_OFFSET) throw new SysError(Errno.EFBIG);
    if (size === this.length) return;
    if ((this.seals & (size > this.length ? F.SEAL_GROW : F.SEAL_SHRINK)) !== 0) throw new SysError(Errno.EPERM);
    if (size < this.length) {
      // Pages wholly past the new end go away; the last page keeps zeros past it.
      const ps = this.fs.pageSize;
      const keep = Math.ceil(size / ps);
      this.dropPages([...this.pages.keys()].filter((idx) => idx >= keep));
      this.pages.get(keep - 1)?.fill(0, size - (keep - 1) * ps);
    }
    this.length = size;
    this.touchModified();
  }

  private dropPages(indices: number[]): void {
    const freed: Uint8Array[] = [];
    for (const idx of indices) {
      const page = this.pages.get(idx);
      if (page === undefined) continue;
      this.pages.delete(idx);
      this.unwritten.delete(idx);
      this.fs.usedBytes -= this.fs.pageSize;
      freed.push(page);
    }
    if (freed.length > 0) this.fs.pages.free(freed);
  }

  /**
   * The page holding the file's bytes at page `index`, allocated (zeroed)
   * if it is a hole, for a shared mapping: the mapping and read/write then
   * see the same bytes. Pages past EOF may be given too (they hold what a
   * mapping writes there, which read(2) does not show). ENOSPC past the
   * size limit.
   */
  mappablePage(index: number): Uint8Array {
    let page = this.pages.get(index);
    if (page === undefined) {
      this.fs.chargePages(1);
      page = this.fs.pages.allocate(this.fs.pageSize);
      this.pages.set(index, page);
    }
    // Whatever the mapping writes is data, as far as SEEK_DATA can tell.
    this.unwritten.delete(index);
    return page;
  }

  /** Zero [offset, offset+len) within the file; `free` releases whole pages. */
  private zeroRange(offset: number, len: number, free: boolean): void {
    const ps = this.fs.pageSize;
    const end = offset + len;
    const dropped: number[] = [];
    for (const [idx, page] of this.pages) {
      const ps0 = idx * ps;
      const ps1 = ps0 + ps;
      if (ps1 <= offset || ps0 >= end) continue;
      if (free && ps0 >= offset && ps1 <= end) {
        dropped.push(idx);
      } else {
        page.fill(0, Math.max(offset, ps0) - ps0, Math.min(end, ps1) - ps0);
      }
    }
    this.dropPages(dropped);
  }

  /** fallocate(2) as tmpfs supports it: allocation (optionally KEEP_SIZE) and PUNCH_HOLE|KEEP_SIZE. */
  allocate(mode: number, offset: number, len: number): void {
    const end = offset + len;
    if (end > MAX_OFFSET) throw new SysError(Errno.EFBIG);
    const ps = this.fs.pageSize;
    // Seals: a hole is a write; growing past the end is growth (Linux's shmem_fallocate).
    if (mode & FALLOC_FL.PUNCH_HOLE && (this.seals & WRITE_SEALS) !== 0) throw new SysError(Errno.EPERM);
    if (!(mode & FALLOC_FL.KEEP_SIZE) && end > this.length && (this.seals & F.SEAL_GROW) !== 0) throw new SysError(Errno.EPERM);
    if (mode & FALLOC_FL.PUNCH_HOLE) {
      if (mode !== (FALLOC_FL.PUNCH_HOLE | FALLOC_FL.KEEP_SIZE)) throw new SysError(Errno.EOPNOTSUPP);
      this.zeroRange(offset, len, true);
      this.touchModified();
      return;
    }
    if (mode & ~FALLOC_FL.KEEP_SIZE) throw new SysError(Errno.EOPNOTSUPP);
    let newPages = 0;
    for (let idx = Math.floor(offset / ps); idx * ps < end; idx++) if (!this.pages.has(idx)) newPages++;
    this.fs.chargePages(newPages);
    for (let idx = Math.floor(offset / ps); idx * ps < end; idx++) {
      if (!this.pages.has(idx)) {
        this.pages.set(idx, this.fs.pages.allocate(ps));
        this.unwritten.add(idx);
      } else {
        // Linux tmpfs: fallocating an already fallocated page turns it into data.
        this.unwritten.delete(idx);
      }
    }
    if (!(mode & FALLOC_FL.KEEP_SIZE) && end > this.length) this.length = end;
    this.touchChanged();
  }

  /** SEEK_DATA / SEEK_HOLE over the page map. */
  seekDataHole(offset: number, whence: number): number {
    if (offset < 0 || offset >= this.length) throw new SysError(Errno.ENXIO);
    const ps = this.fs.pageSize;
    const wantData = whence === SEEK.DATA;
    for (let pos = offset; pos < this.length;) {
      const idx = Math.floor(pos / ps);
      const data = this.pages.has(idx) && !this.unwritten.has(idx);
      if (data === wantData) return pos;
      pos = (idx + 1) * ps;
    }
    if (wantData) throw new SysError(Errno.ENXIO);
    return this.length;
  }
}

/** An open tmpfs regular file. */
export class TmpfsRegularFile extends FileImplBase {
  constructor(private readonly file: TmpfsRegular) {
    super(file);
  }

  /** The file itself (its seals and writable-mapping count, for memfds). */
  get regular(): TmpfsRegular {
    return this.file;
  }

  override pread(_fd: FileDescription, dst: Uint8Array, offset: number): number {
    const n = this.file.readAt(dst, offset);
    this.file.touchAccessed();
    return n;
  }

  override pwrite(fd: FileDescription, src: Uint8Array, offset: number): number {
    const at = fd.statusFlags & O.APPEND ? this.file.size : offset;
    if (src.length === 0) return 0;
    const n = this.file.writeAt(src, at);
    this.file.killPrivsOnWrite(fd.creds);
    this.file.touchModified();
    return n;
  }

  override seek(fd: FileDescription, offset: number, whence: number): number {
    if (whence === SEEK.DATA || whence === SEEK.HOLE) {
      fd.offset = this.file.seekDataHole(offset, whence);
      return fd.offset;
    }
    return super.seek(fd, offset, whence);
  }

  override allocate(_fd: FileDescription, mode: number, offset: number, length: number): void {
    this.file.allocate(mode, offset, length);
  }

  mappablePage(_fd: FileDescription, index: number): Uint8Array {
    return this.file.mappablePage(index);
  }

  override release(_fd: FileDescription): void {
    this.file.closed();
  }
}
