import { Errno, MADV, MCL, MS, PROT, SysError } from '@tvisor/abi';
import { PAGE_SIZE, TASK_SIZE, isPageAligned, pageAlignDown, pageAlignUp } from './layout.js';
import { READABLE } from './mm-state.js';
import { MmPart } from './mm-part.js';
import { VmHint, type Vma } from './vma.js';

/** Advice values madvise accepts (the privileged memory-failure ones are left out). */
const KNOWN_MADVICE = new Set<number>(Object.values(MADV).filter((a) => a !== MADV.HWPOISON && a !== MADV.SOFT_OFFLINE));

/**
 * Advice and residency: madvise, msync, mincore and the mlock family. They
 * change VMA attributes (fork behaviour, paging hints, locking), discard or
 * prefetch pages through PageFaults, and write shared file mappings back.
 */
export class MemoryAdvice extends MmPart {
  /** madvise(2). */
  madvise(addr: number, length: number, advice: number): void {
    if (!isPageAligned(addr) || !KNOWN_MADVICE.has(advice)) throw new SysError(Errno.EINVAL);
    if (!(length >= 0)) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    if (len === 0) return;
    const end = addr + len;
    // A length that wraps past the top of the 64-bit address space is EINVAL, as on Linux.
    if (end >= 2 ** 64) throw new SysError(Errno.EINVAL);
    if (end > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    // Like Linux, VMAs are advised in order; an error stops the walk (earlier
    // VMAs keep the advice) and holes make the call fail with ENOMEM at the end.
    const holes = this.vmas.gaps(addr, end).length > 0;
    const parts = this.state.mappedParts(addr, end).map((r) => ({ start: r.start, end: r.end }));
    try {
      for (const r of parts) {
        this.checkAdvice(this.vmas.find(r.start)!, advice);
        this.applyAdvice(r.start, r.end, advice);
      }
    } finally {
      this.state.flushUnlessBatched();
    }
    if (holes) throw new SysError(Errno.ENOMEM);
  }

  /** msync(2): writes shared file mappings back through MappableFile.sync. */
  msync(addr: number, length: number, flags: number): void {
    if (!isPageAligned(addr)) throw new SysError(Errno.EINVAL);
    if ((flags & ~(MS.ASYNC | MS.INVALIDATE | MS.SYNC)) !== 0) throw new SysError(Errno.EINVAL);
    if ((flags & MS.ASYNC) !== 0 && (flags & MS.SYNC) !== 0) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    if (len === 0) return;
    const end = addr + len;
    if (end > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    for (const r of this.state.mappedParts(addr, end)) {
      const v = r.vma;
      if ((flags & MS.INVALIDATE) !== 0 && v.locked) throw new SysError(Errno.EBUSY);
      if ((flags & MS.SYNC) !== 0 && v.shared && v.file?.sync !== undefined) {
        v.file.sync(v.fileOffset + (r.start - v.start), r.end - r.start);
      }
    }
    if (this.vmas.gaps(addr, end).length > 0) throw new SysError(Errno.ENOMEM);
  }

  /** mincore(2): one byte per page, 1 if the page holds memory. */
  mincore(addr: number, length: number): Uint8Array {
    if (!isPageAligned(addr)) throw new SysError(Errno.EINVAL);
    const len = pageAlignUp(length);
    const end = addr + len;
    if (end > TASK_SIZE) throw new SysError(Errno.ENOMEM);
    if (this.vmas.gaps(addr, end).length > 0) throw new SysError(Errno.ENOMEM);
    const vec = new Uint8Array(len / PAGE_SIZE);
    for (let i = this.pmas.indexAfter(addr); i < this.pmas.length; i++) {
      const p = this.pmas.items[i];
      if (p.start >= end) break;
      const s = Math.max(p.start, addr);
      const e = Math.min(p.end, end);
      for (const c of this.memoryFile.committedRanges(p.off + (s - p.start), e - s)) {
        const from = (c.start - p.off + p.start - addr) / PAGE_SIZE;
        const to = (c.end - p.off + p.start - addr) / PAGE_SIZE;
        vec.fill(1, from, to);
      }
    }
    return vec;
  }

  /**
   * mlock(2) / mlock2(2): marks the range locked (accounting only) and
   * populates it. EPERM when RLIMIT_MEMLOCK is 0, ENOMEM when the newly
   * locked bytes would pass it, as Linux's do_mlock; a PROT_NONE part is
   * locked but cannot be populated (ENOMEM).
   */
  mlock(addr: number, length: number, onFault = false): void {
    if (this.state.limits.memlock === 0) throw new SysError(Errno.EPERM);
    const start = pageAlignDown(addr);
    const end = pageAlignUp(addr + length);
    if (end > start && end <= TASK_SIZE && !this.state.mayLock(end - start - this.state.lockedBytes(start, end))) throw new SysError(Errno.ENOMEM);
    this.setLocked(addr, length, true, onFault);
  }

  /** munlock(2). */
  munlock(addr: number, length: number): void {
    this.setLocked(addr, length, false, true);
  }

  /** mlockall(2). */
  mlockall(flags: number): void {
    if (flags === 0 || (flags & ~(MCL.CURRENT | MCL.FUTURE | MCL.ONFAULT)) !== 0) throw new SysError(Errno.EINVAL);
    if ((flags & (MCL.CURRENT | MCL.FUTURE)) === 0) throw new SysError(Errno.EINVAL);
    const limit = this.state.limits.memlock;
    if (limit === 0) throw new SysError(Errno.EPERM);
    if ((flags & MCL.CURRENT) !== 0 && limit !== Infinity) {
      let total = 0;
      for (const v of this.vmas.items) total += v.end - v.start;
      if (total > limit) throw new SysError(Errno.ENOMEM);
    }
    if ((flags & MCL.CURRENT) !== 0) {
      this.state.changeVmas(0, TASK_SIZE, (v) => {
        v.locked = true;
      });
    }
    this.state.lockFuture = (flags & MCL.FUTURE) !== 0;
  }

  /** munlockall(2). */
  munlockall(): void {
    this.state.changeVmas(0, TASK_SIZE, (v) => {
      v.locked = false;
    });
    this.state.lockFuture = false;
  }

  private checkAdvice(v: Vma, advice: number): void {
    switch (advice) {
      case MADV.DONTNEED:
        if (v.locked) throw new SysError(Errno.EINVAL);
        break;
      case MADV.FREE:
        if (v.shared || v.file !== null) throw new SysError(Errno.EINVAL);
        break;
      case MADV.REMOVE:
        if (!v.shared) throw new SysError(Errno.EINVAL);
        break;
      case MADV.WIPEONFORK:
        if (v.shared || v.file !== null) throw new SysError(Errno.EINVAL);
        break;
      case MADV.POPULATE_READ:
        if ((v.prot & READABLE) === 0) throw new SysError(Errno.EFAULT);
        break;
      case MADV.POPULATE_WRITE:
        if ((v.prot & PROT.WRITE) === 0) throw new SysError(Errno.EFAULT);
        break;
      default:
        break;
    }
  }

  private applyAdvice(start: number, end: number, advice: number): void {
    switch (advice) {
      case MADV.DONTNEED:
      case MADV.DONTNEED_LOCKED:
      case MADV.FREE:
        this.discard(start, end);
        break;
      case MADV.REMOVE:
        this.state.forEachSegment(start, end, (_v, p, s, e) => this.memoryFile.zero(p.off + (s - p.start), e - s));
        break;
      case MADV.DONTFORK:
      case MADV.DOFORK:
        this.state.changeVmas(start, end, (v) => {
          v.dontFork = advice === MADV.DONTFORK;
        });
        break;
      case MADV.WIPEONFORK:
      case MADV.KEEPONFORK:
        this.state.changeVmas(start, end, (v) => {
          v.wipeOnFork = advice === MADV.WIPEONFORK;
        });
        break;
      case MADV.NORMAL:
        this.changeHints(start, end, VmHint.RAND_READ | VmHint.SEQ_READ, 0);
        break;
      case MADV.RANDOM:
        this.changeHints(start, end, VmHint.SEQ_READ, VmHint.RAND_READ);
        break;
      case MADV.SEQUENTIAL:
        this.changeHints(start, end, VmHint.RAND_READ, VmHint.SEQ_READ);
        break;
      case MADV.DONTDUMP:
        this.changeHints(start, end, 0, VmHint.DONTDUMP);
        break;
      case MADV.DODUMP:
        this.changeHints(start, end, VmHint.DONTDUMP, 0);
        break;
      case MADV.HUGEPAGE:
        this.changeHints(start, end, VmHint.NOHUGEPAGE, VmHint.HUGEPAGE);
        break;
      case MADV.NOHUGEPAGE:
        this.changeHints(start, end, VmHint.HUGEPAGE, VmHint.NOHUGEPAGE);
        break;
      case MADV.WILLNEED:
      case MADV.POPULATE_READ:
        this.faults.populate(start, end);
        break;
      case MADV.POPULATE_WRITE: {
        this.faults.populate(start, end);
        const v = this.vmas.find(start)!;
        if (!v.shared) this.faults.breakCow(start, end);
        break;
      }
      default:
        break; // advice that only tunes Linux's paging heuristics
    }
  }

  private changeHints(start: number, end: number, clear: number, set: number): void {
    this.state.changeVmas(start, end, (v) => {
      v.hints = (v.hints & ~clear) | set;
    });
  }

  /** MADV_DONTNEED: private pages read as zeros (or the file) again; shared pages stay. */
  private discard(start: number, end: number): void {
    const vma = this.vmas.find(start)!;
    if (vma.shared) {
      // The pages stay in the shared object; only this mapping lets go of
      // them until it touches them again (as Linux drops the page-table entries).
      for (const p of this.pmas.removeRange(start, end)) this.memoryFile.decRef(p.off, p.end - p.start);
      this.addressSpace.unmap(start, end - start);
      return;
    }
    if (vma.file !== null) {
      for (const p of this.pmas.removeRange(start, end)) this.memoryFile.decRef(p.off, p.end - p.start);
      this.addressSpace.unmap(start, end - start);
      if (this.faults.shouldPopulateEagerly(vma, vma.end - vma.start)) this.faults.populate(start, end);
      return;
    }
    const [first, last] = this.pmas.isolate(start, end);
    for (let i = first; i < last; i++) {
      const p = this.pmas.items[i];
      const len = p.end - p.start;
      if (!p.cow && this.memoryFile.maxRefCount(p.off, len) === 1) {
        this.memoryFile.zero(p.off, len); // the mapping stays; its pages are just gone
      } else {
        const off = this.memoryFile.allocate(len);
        this.memoryFile.decRef(p.off, len);
        p.off = off;
        p.cow = false;
        p.fromFile = false;
        this.faults.mirror(p.start, p.end);
      }
    }
    this.pmas.mergeAround(first, last);
  }

  private setLocked(addr: number, length: number, locked: boolean, onFault: boolean): void {
    const start = pageAlignDown(addr);
    const end = pageAlignUp(addr + length);
    if (end > TASK_SIZE || end < start) throw new SysError(Errno.ENOMEM);
    if (end === start) return;
    // Like Linux, VMAs are changed in order up to the first hole, then ENOMEM.
    let pos = start;
    let unpopulated = false;
    while (pos < end) {
      const v = this.vmas.find(pos);
      if (v === undefined) break;
      const segEnd = Math.min(v.end, end);
      this.state.changeVmas(pos, segEnd, (x) => {
        x.locked = locked;
      });
      if (locked && !onFault) {
        // PROT_NONE memory stays locked but cannot be faulted in: ENOMEM once the walk is done.
        if ((v.prot & READABLE) !== 0) this.faults.populate(pos, segEnd);
        else unpopulated = true;
      }
      pos = segEnd;
    }
    this.state.flushUnlessBatched();
    if (pos < end || unpopulated) throw new SysError(Errno.ENOMEM);
  }
}
