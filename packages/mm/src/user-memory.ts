import { Errno, PROT, SysError } from '@tvisor/abi';
import { TASK_SIZE } from './layout.js';
import { MEMORY_FILE_WINDOW } from './memory-file.js';
import { PROT_RWX, READABLE } from './mm-state.js';
import { MmPart } from './mm-part.js';

/** One element of an iovec array read from the application. */
export interface Iovec {
  base: number;
  len: number;
}

/** Copies up to this many bytes go byte by byte (cheaper than making a view). */
const SHORT_COPY = 32;
/** Largest iovec count (UIO_MAXIOV). */
const UIO_MAXIOV = 1024;
/** The most one read/write moves (INT_MAX rounded down to a page), as Linux's MAX_RW_COUNT. */
export const MAX_RW_COUNT = 0x7fff_f000;

const utf8 = new TextDecoder();

/**
 * One user buffer of a read or write as Linux's import_ubuf takes it from 64-bit fields: the
 * length capped at MAX_RW_COUNT, then EFAULT unless the capped range lies below TASK_SIZE.
 */
export function userBuffer(base: bigint, length: bigint): { base: number; len: number } {
  const len = length > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : Number(length);
  if (base + BigInt(len) > BigInt(TASK_SIZE)) throw fault();
  return { base: Number(base), len };
}

function fault(): SysError {
  return new SysError(Errno.EFAULT);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * User-memory access: every copy between the sentry and the application
 * (copy-in/out, C strings, iovecs, zero-copy block walks) and the atomic
 * word operations futexes need. Each access checks the VMA's protection and
 * backs the pages first (through PageFaults), as copy_from_user/copy_to_user
 * would fault them in; EFAULT where Linux's would fail.
 */
export class UserMemory extends MmPart {
  /** locate()'s result: the window holding the block, the block's offset in it, its length and file offset. */
  private blockWindow: Uint8Array = new Uint8Array(0);
  private blockOffset = 0;
  private blockLength = 0;
  private blockFileOffset = 0;

  /** Copies [addr, addr+length) of application memory out into a new array. */
  copyIn(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(addr, out);
    return out;
  }

  /** Fills `dst` from application memory at `addr` (EFAULT like copy_from_user). */
  readInto(addr: number, dst: Uint8Array): void {
    const end = this.checkUserRange(addr, dst.length);
    for (let pos = addr; pos < end;) {
      this.locate(pos, end, false, false);
      const w = this.blockWindow;
      const o = this.blockOffset;
      const n = this.blockLength;
      const d = pos - addr;
      // Short copies (syscall arguments, futex words) skip making a view.
      if (n <= SHORT_COPY) for (let i = 0; i < n; i++) dst[d + i] = w[o + i];
      else dst.set(w.subarray(o, o + n), d);
      pos += n;
    }
  }

  /** Writes `src` to application memory at `addr` (EFAULT like copy_to_user, read-only pages included). */
  copyOut(addr: number, src: Uint8Array): void {
    const end = this.checkUserRange(addr, src.length);
    for (let pos = addr; pos < end;) {
      this.locate(pos, end, true, false);
      const w = this.blockWindow;
      const o = this.blockOffset;
      const n = this.blockLength;
      const d = pos - addr;
      if (n <= SHORT_COPY) for (let i = 0; i < n; i++) w[o + i] = src[d + i];
      else w.set(d === 0 && n === src.length ? src : src.subarray(d, d + n), o);
      pos += n;
    }
  }

  /**
   * Reads a NUL-terminated string of at most `maxLen` bytes (NUL included)
   * as UTF-8; ENAMETOOLONG if there is no NUL among them, EFAULT if memory
   * runs out before the NUL.
   */
  readCString(addr: number, maxLen: number): string {
    return utf8.decode(this.readCStringBytes(addr, maxLen));
  }

  /** readCString's bytes (without the NUL), for callers that need them exactly. */
  readCStringBytes(addr: number, maxLen: number): Uint8Array {
    // Memory past the NUL is never touched, so a string may end right before unmapped memory.
    const limit = Math.min(addr + maxLen, TASK_SIZE);
    this.checkUserRange(addr, 0);
    let parts: Uint8Array[] | undefined;
    let total = 0;
    for (let pos = addr; pos < limit;) {
      this.locate(pos, limit, false, false);
      const w = this.blockWindow;
      const o = this.blockOffset;
      const n = this.blockLength;
      let i = 0;
      while (i < n && w[o + i] !== 0) i++;
      const piece = w.slice(o, o + i);
      if (i < n) {
        if (parts === undefined) return piece;
        parts.push(piece);
        return concat(parts, total + i);
      }
      (parts ??= []).push(piece);
      total += n;
      pos += n;
    }
    if (limit < addr + maxLen) throw fault();
    throw new SysError(Errno.ENAMETOOLONG);
  }

  /**
   * Reads `count` struct iovec {base, len} as Linux's import_iovec does: EINVAL for count >
   * UIO_MAXIOV or a negative length, EFAULT for a segment that reaches past TASK_SIZE (checked on
   * its full length), then the total capped at MAX_RW_COUNT.
   */
  readIovecs(addr: number, count: number): Iovec[] {
    if (count < 0 || count > UIO_MAXIOV) throw new SysError(Errno.EINVAL);
    if (count === 0) return [];
    const raw = this.copyIn(addr, count * 16);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: Iovec[] = new Array<Iovec>(count);
    for (let i = 0; i < count; i++) {
      const base = view.getUint32(i * 16, true) + view.getUint32(i * 16 + 4, true) * 0x1_0000_0000;
      const lenHi = view.getUint32(i * 16 + 12, true);
      if (lenHi >= 0x8000_0000) throw new SysError(Errno.EINVAL);
      out[i] = { base, len: view.getUint32(i * 16 + 8, true) + lenHi * 0x1_0000_0000 };
    }
    for (const v of out) if (v.base + v.len > TASK_SIZE) throw fault();
    // Linux's import_iovec caps the whole vector at MAX_RW_COUNT, shortening the segment that crosses it.
    let total = 0;
    for (const v of out) {
      v.len = Math.min(v.len, MAX_RW_COUNT - total);
      total += v.len;
    }
    return out;
  }

  /**
   * Calls `fn` with zero-copy memory-file views covering application memory
   * [addr, addr+length) in order, after checking each block is readable (or
   * writable, populating pages and breaking COW first). Throws EFAULT at the
   * first inaccessible byte, after `fn` has seen the blocks before it; `fn`
   * returning false stops the walk early.
   *
   * With `force` (ptrace PEEK/POKE, /proc/PID/mem, process_vm_writev as
   * Linux's FOLL_FORCE) protections are overridden as far as the mapping
   * allows: any private mapping can be read and written (a write gets a
   * private copy of the page, never reaching the file), a shared mapping
   * only within its maximum protection.
   */
  forEachBlock(addr: number, length: number, write: boolean, fn: (chunk: Uint8Array) => void | boolean, force = false): void {
    const end = this.checkUserRange(addr, length);
    for (let pos = addr; pos < end;) {
      this.locate(pos, end, write, force);
      const n = this.blockLength;
      if (fn(this.blockWindow.subarray(this.blockOffset, this.blockOffset + n)) === false) return;
      pos += n;
    }
  }

  /**
   * Atomic operations on an aligned 32-bit word of application memory, for
   * futexes: real locked instructions on the shared page, so they are atomic
   * against application threads running at the same time. EINVAL for an
   * unaligned address; EFAULT like a copy (the word must be writable, except
   * for atomicLoad32). Results are unsigned 32-bit values.
   */
  atomicLoad32(addr: number): number {
    const [words, index] = this.word(addr, false);
    return Atomics.load(words, index) >>> 0;
  }

  /** Stores `replacement` if the word equals `expected`; returns the old value either way. */
  atomicCompareExchange32(addr: number, expected: number, replacement: number): number {
    const [words, index] = this.word(addr, true);
    return Atomics.compareExchange(words, index, expected | 0, replacement | 0) >>> 0;
  }

  /** Applies `op` with `value` to the word (FUTEX_WAKE_OP's SET/ADD/OR/ANDN/XOR use these); returns the old value. */
  atomicUpdate32(addr: number, op: 'set' | 'add' | 'or' | 'and' | 'xor', value: number): number {
    const [words, index] = this.word(addr, true);
    const v = value | 0;
    let old: number;
    switch (op) {
      case 'set':
        old = Atomics.exchange(words, index, v);
        break;
      case 'add':
        old = Atomics.add(words, index, v);
        break;
      case 'or':
        old = Atomics.or(words, index, v);
        break;
      case 'and':
        old = Atomics.and(words, index, v);
        break;
      case 'xor':
        old = Atomics.xor(words, index, v);
        break;
    }
    return old >>> 0;
  }

  /**
   * The memory-file offset backing the aligned word at `addr` of a shared
   * mapping (what a shared futex is keyed by, so that it is the same futex
   * in every process mapping that memory), or undefined for a private one.
   */
  sharedWordKey(addr: number): number | undefined {
    if (addr % 4 !== 0) throw new SysError(Errno.EINVAL);
    const vma = this.vmas.find(addr);
    if (vma === undefined) throw new SysError(Errno.EFAULT);
    if (!vma.shared) return undefined;
    this.checkUserRange(addr, 4);
    this.locate(addr, addr + 4, false, false);
    return this.blockFileOffset;
  }

  private word(addr: number, write: boolean): [Int32Array, number] {
    if (addr % 4 !== 0) throw new SysError(Errno.EINVAL);
    this.checkUserRange(addr, 4);
    this.locate(addr, addr + 4, write, false);
    return [this.memoryFile.wordWindow(this.blockFileOffset), this.blockOffset / 4];
  }

  /** Returns addr+length, or throws EFAULT if the range is not user memory. */
  private checkUserRange(addr: number, length: number): number {
    const end = addr + length;
    if (!(addr >= 0) || !(length >= 0) || end > TASK_SIZE) throw fault();
    return end;
  }

  /**
   * Finds the memory-file bytes of application memory from `pos` up to at
   * most `end` (one VMA and one backing run) after checking access and
   * backing the pages (populating, breaking COW for writes) if needed. The
   * result is left in blockWindow/blockOffset/blockLength rather than
   * returned, so the copy loops allocate nothing.
   */
  private locate(pos: number, end: number, write: boolean, force: boolean): void {
    const vma = this.faults.vmaForAccess(pos);
    if (vma === undefined) throw fault();
    if ((vma.prot & (write ? PROT.WRITE : READABLE)) === 0) {
      const may = vma.shared ? vma.maxProt & (write ? PROT.WRITE : READABLE) : PROT_RWX;
      if (!force || may === 0) throw fault();
    }
    const segEnd = vma.end < end ? vma.end : end;
    let pma = this.pmas.find(pos);
    if (pma === undefined || (write && pma.cow)) {
      this.faults.makeAccessible(vma, pos, segEnd, write);
      this.state.flushUnlessBatched();
      pma = this.pmas.find(pos);
      if (pma === undefined) throw fault();
    }
    const blockEnd = pma.end < segEnd ? pma.end : segEnd;
    const off = pma.off + (pos - pma.start);
    this.blockWindow = this.memoryFile.window(off);
    this.blockFileOffset = off;
    this.blockOffset = off % MEMORY_FILE_WINDOW;
    this.blockLength = blockEnd - pos;
  }
}
