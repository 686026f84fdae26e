// mmap-family semantics from the man pages: placement, error rules, madvise,
// mincore, mlock, msync, file mappings and /proc text.
import { Errno, MADV, MAP, MCL, MREMAP, MS, PROT } from '@tvisor/abi';
import { afterAll, describe, expect, it } from 'vitest';
import { MAP_32BIT_BASE, MAP_32BIT_END, MMAP_MIN_ADDR, PAGE_SIZE, STUB_RESERVED_START, TASK_SIZE, defaultLayout } from '../src/layout.js';
import type { MappableFile, MemoryFileRange } from '../src/mappable-file.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const RW = PROT.READ | PROT.WRITE;
const ANON = MAP.PRIVATE | MAP.ANONYMOUS;
const BASE = 0x60000000;

const mf = MemoryFile.create('mm-syscalls-test');
afterAll(() => mf.close());

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    if (errno === undefined) throw e;
    return errno;
  }
  return 0;
}

function fresh(): MemoryManager {
  return new MemoryManager(mf, new FakeAddressSpace());
}

/** A file whose contents live in memory-file pages, as a tmpfs file would. */
class MemoryBackedFile implements MappableFile {
  readonly mapsName = '/tmp/shared-file';
  readonly dev = (8 << 8) | 1; // 08:01
  readonly ino = 777;
  readonly offset: number;
  synced: Array<[number, number]> = [];
  constructor(readonly pages: number) {
    this.offset = mf.allocate(pages * P);
    const b = mf.bytes(this.offset, pages * P);
    for (let i = 0; i < pages; i++) b[i * P] = 100 + i;
  }
  size(): number {
    return this.pages * P;
  }
  readAt(offset: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, this.size() - offset));
    dst.set(mf.bytes(this.offset + offset, n));
    return n;
  }
  sharedPages(offset: number, length: number): MemoryFileRange[] {
    if (offset + length > this.size()) throw new Error('beyond EOF in this test file');
    return [{ fileOffset: this.offset + offset, length }];
  }
  sync(offset: number, length: number): void {
    this.synced.push([offset, length]);
  }
  close(): void {
    mf.decRef(this.offset, this.pages * P);
  }
}

describe('mmap placement', () => {
  it('goes top-down below mmapBase, merging neighbours like Linux', () => {
    const mm = fresh();
    const base = defaultLayout().mmapBase;
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: ANON });
    const b = mm.mmap({ addr: 0, length: P, prot: RW, flags: ANON });
    expect(a).toBe(base - 2 * P);
    expect(b).toBe(a - P);
    expect(mm.vmaList().length).toBe(1);
    // A freed hole is reused by the next fitting request.
    mm.munmap(a, P);
    expect(mm.mmap({ addr: 0, length: P, prot: PROT.READ, flags: ANON })).toBe(a);
    mm.release();
  });

  it('uses a free hint (rounded down to a page, raised to mmap_min_addr) and ignores a taken one', () => {
    const mm = fresh();
    expect(mm.mmap({ addr: BASE + 1, length: P, prot: RW, flags: ANON })).toBe(BASE);
    const taken = mm.mmap({ addr: BASE, length: P, prot: RW, flags: ANON });
    expect(taken).not.toBe(BASE);
    expect(mm.mmap({ addr: 0x2000, length: P, prot: RW, flags: ANON })).toBe(MMAP_MIN_ADDR);
    mm.release();
  });

  it('places MAP_32BIT mappings in the low 2 GiB', () => {
    const mm = fresh();
    const a = mm.mmap({ addr: 0, length: 4 * P, prot: RW, flags: ANON | MAP['32BIT'] });
    expect(a).toBeGreaterThanOrEqual(MAP_32BIT_BASE);
    expect(a + 4 * P).toBeLessThanOrEqual(MAP_32BIT_END);
    mm.release();
  });

  it('never places anything in the stub reservation', () => {
    const mm = fresh();
    const a = mm.mmap({ addr: STUB_RESERVED_START - P, length: 4 * P, prot: RW, flags: ANON });
    expect(a + 4 * P).toBeLessThanOrEqual(STUB_RESERVED_START);
    expect(errnoOf(() => mm.mmap({ addr: STUB_RESERVED_START, length: P, prot: RW, flags: ANON | MAP.FIXED }))).toBe(Errno.ENOMEM);
    expect(errnoOf(() => mm.mmap({ addr: STUB_RESERVED_START - P, length: 2 * P, prot: RW, flags: ANON | MAP.FIXED_NOREPLACE }))).toBe(Errno.ENOMEM);
    mm.release();
  });

  it('follows mmap(2) error rules', () => {
    const mm = fresh();
    const m = (o: Partial<Parameters<MemoryManager['mmap']>[0]>) => errnoOf(() => mm.mmap({ addr: 0, length: P, prot: RW, flags: ANON, ...o }));
    expect(m({ length: 0 })).toBe(Errno.EINVAL);
    expect(m({ flags: MAP.ANONYMOUS })).toBe(Errno.EINVAL);
    expect(m({ flags: MAP.PRIVATE, offset: 100 })).toBe(Errno.EINVAL);
    expect(m({ flags: MAP.PRIVATE })).toBe(Errno.EBADF);
    expect(m({ flags: ANON | MAP.FIXED, addr: BASE + 1 })).toBe(Errno.EINVAL);
    expect(m({ flags: ANON | MAP.FIXED, addr: MMAP_MIN_ADDR - P })).toBe(Errno.EPERM);
    expect(m({ length: TASK_SIZE + P })).toBe(Errno.ENOMEM);
    expect(m({ flags: ANON | MAP.HUGETLB })).toBe(Errno.ENOMEM);
    // MAP_SHARED_VALIDATE is for files: anonymous memory with it is EINVAL,
    // MAP_PRIVATE|MAP_SHARED being the same bits.
    expect(m({ flags: MAP.SHARED_VALIDATE | MAP.ANONYMOUS | 0x800000 })).toBe(Errno.EINVAL);
    expect(m({ flags: MAP.PRIVATE | MAP.SHARED | MAP.ANONYMOUS })).toBe(Errno.EINVAL);
    // A length that rounds past the address space is ENOMEM; offsets reach 2^63 - 1.
    expect(m({ length: 2 ** 64 })).toBe(Errno.ENOMEM);
    // 0x800000 is no mmap flag: only MAP_SHARED_VALIDATE rejects it.
    expect(m({ flags: MAP.SHARED | MAP.ANONYMOUS | 0x800000 })).toBe(0);
    mm.mmap({ addr: BASE, length: P, prot: RW, flags: ANON | MAP.FIXED });
    expect(m({ addr: BASE, flags: ANON | MAP.FIXED_NOREPLACE })).toBe(Errno.EEXIST);
    mm.release();
  });

  it('munmap and mprotect validate their arguments', () => {
    const mm = fresh();
    mm.mmap({ addr: BASE, length: 4 * P, prot: RW, flags: ANON | MAP.FIXED });
    expect(errnoOf(() => mm.munmap(BASE + 1, P))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.munmap(BASE, 0))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.munmap(BASE + 100 * P, P))).toBe(0);
    expect(errnoOf(() => mm.mprotect(BASE + 1, P, PROT.READ))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.mprotect(BASE, P, 0x10))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.mprotect(BASE, P, PROT.READ | PROT.GROWSDOWN))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.mprotect(BASE, 0, PROT.READ))).toBe(0);
    mm.release();
  });

  it('mprotect(PROT_GROWSDOWN) extends down to the start of a growsdown VMA', () => {
    const mm = fresh();
    mm.mmap({ addr: BASE, length: 4 * P, prot: RW, flags: ANON | MAP.FIXED | MAP.GROWSDOWN });
    mm.mprotect(BASE + 2 * P, P, PROT.READ | PROT.GROWSDOWN);
    expect(mm.vmaList().map((v) => [v.start - BASE, v.end - BASE, v.prot])).toEqual([
      [0, 3 * P, PROT.READ],
      [3 * P, 4 * P, RW],
    ]);
    mm.release();
  });
});

describe('resource limits', () => {
  it('enforces RLIMIT_AS and RLIMIT_DATA like may_expand_vm', () => {
    const mm = fresh();
    mm.setBrkStart(BASE);
    mm.limits.addressSpace = 8 * P;
    mm.limits.data = 4 * P;
    const a = mm.mmap({ addr: 0, length: 4 * P, prot: RW, flags: ANON });
    // Data is full, but read-only memory still fits the address space.
    expect(errnoOf(() => mm.mmap({ addr: 0, length: P, prot: RW, flags: ANON }))).toBe(Errno.ENOMEM);
    const b = mm.mmap({ addr: 0, length: 3 * P, prot: PROT.READ, flags: ANON });
    expect(errnoOf(() => mm.mmap({ addr: 0, length: 2 * P, prot: PROT.READ, flags: ANON }))).toBe(Errno.ENOMEM);
    // Replacing a mapping with MAP_FIXED only counts the difference.
    expect(mm.mmap({ addr: b, length: 3 * P, prot: PROT.READ, flags: ANON | MAP.FIXED })).toBe(b);
    expect(errnoOf(() => mm.mremap(a, 4 * P, 5 * P, MREMAP.MAYMOVE))).toBe(Errno.ENOMEM);
    expect(mm.brk(BASE + P)).toBe(BASE);
    mm.limits.data = Infinity;
    mm.limits.addressSpace = Infinity;
    expect(mm.brk(BASE + P)).toBe(BASE + P);
    mm.release();
  });

  it('stops a stack at RLIMIT_STACK', () => {
    const mm = fresh();
    mm.limits.stack = 8 * P;
    mm.mmap({ addr: BASE - 2 * P, length: 2 * P, prot: RW, flags: ANON | MAP.FIXED | MAP.GROWSDOWN });
    expect(mm.handleFault(BASE - 8 * P, true)).toBe('fixed');
    expect(mm.handleFault(BASE - 9 * P, true)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    mm.release();
  });
});

describe('madvise, mincore, mlock, msync', () => {
  it('MADV_DONTNEED zeroes private anonymous memory and frees its pages', () => {
    const mm = fresh();
    const a = mm.mmap({ addr: 0, length: 4 * P, prot: RW, flags: ANON });
    mm.copyOut(a, new Uint8Array(4 * P).fill(1));
    const before = mf.committedBytes(0, mf.size);
    expect(Array.from(mm.mincore(a, 4 * P))).toEqual([1, 1, 1, 1]);
    mm.madvise(a + P, 2 * P, MADV.DONTNEED);
    expect(mf.committedBytes(0, mf.size)).toBe(before - 2 * P);
    expect(Array.from(mm.mincore(a, 4 * P))).toEqual([1, 0, 0, 1]);
    expect(mm.copyIn(a + P, 1)[0]).toBe(0);
    expect(mm.copyIn(a + P - 1, 1)[0]).toBe(1);
    mm.release();
  });

  it('MADV_DONTNEED restores a private file mapping to the file and keeps shared memory', () => {
    const file = new MemoryBackedFile(2);
    const mm = fresh();
    const priv = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP.PRIVATE, file, offset: 0 });
    mm.copyOut(priv, new Uint8Array([1]));
    const shared = mm.mmap({ addr: 0, length: P, prot: RW, flags: MAP.SHARED | MAP.ANONYMOUS });
    mm.copyOut(shared, new Uint8Array([2]));
    mm.madvise(priv, 2 * P, MADV.DONTNEED);
    mm.madvise(shared, P, MADV.DONTNEED);
    expect(mm.copyIn(priv, 1)[0]).toBe(100);
    expect(mm.copyIn(shared, 1)[0]).toBe(2);
    expect(errnoOf(() => mm.madvise(priv, P, MADV.FREE))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.madvise(priv, P, 999))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.madvise(priv + 1, P, MADV.NORMAL))).toBe(Errno.EINVAL);
    mm.release();
    file.close();
  });

  it('madvise and mincore report ENOMEM for unmapped parts', () => {
    const mm = fresh();
    mm.mmap({ addr: BASE, length: P, prot: RW, flags: ANON | MAP.FIXED });
    mm.copyOut(BASE, new Uint8Array([9]));
    expect(errnoOf(() => mm.madvise(BASE, 2 * P, MADV.DONTNEED))).toBe(Errno.ENOMEM);
    // The mapped part was still advised.
    expect(mm.copyIn(BASE, 1)[0]).toBe(0);
    expect(errnoOf(() => mm.mincore(BASE, 2 * P))).toBe(Errno.ENOMEM);
    expect(errnoOf(() => mm.mincore(BASE + 1, P))).toBe(Errno.EINVAL);
    mm.release();
  });

  it('mlock accounts locked memory per VMA', () => {
    const mm = fresh();
    mm.mmap({ addr: BASE, length: 4 * P, prot: RW, flags: ANON | MAP.FIXED });
    mm.mlock(BASE + P + 10, P);
    expect(mm.stats().locked).toBe(2 * P);
    expect(mm.vmaList().length).toBe(3);
    expect(errnoOf(() => mm.mlock(BASE + 3 * P, 2 * P))).toBe(Errno.ENOMEM);
    mm.munlock(BASE, 4 * P);
    expect(mm.stats().locked).toBe(0);
    expect(mm.vmaList().length).toBe(1);
    mm.mlockall(MCL.CURRENT | MCL.FUTURE);
    mm.mmap({ addr: BASE + 8 * P, length: P, prot: RW, flags: ANON | MAP.FIXED });
    expect(mm.stats().locked).toBe(5 * P);
    expect(errnoOf(() => mm.mlockall(0))).toBe(Errno.EINVAL);
    mm.munlockall();
    expect(mm.stats().locked).toBe(0);
    mm.release();
  });

  it('RLIMIT_MEMLOCK: 0 refuses locking, beyond it mlock is ENOMEM and MAP_LOCKED / a locked mremap EAGAIN', () => {
    const mm = fresh();
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: ANON });
    const none = mm.mmap({ addr: 0, length: P, prot: PROT.NONE, flags: ANON });
    mm.limits.memlock = 0;
    expect(errnoOf(() => mm.mlock(a, P))).toBe(Errno.EPERM);
    expect(errnoOf(() => mm.mlockall(MCL.CURRENT))).toBe(Errno.EPERM);
    expect(errnoOf(() => mm.mmap({ addr: 0, length: P, prot: RW, flags: ANON | MAP.LOCKED }))).toBe(Errno.EPERM);
    mm.limits.memlock = P;
    expect(errnoOf(() => mm.mlock(a, 2 * P))).toBe(Errno.ENOMEM);
    expect(errnoOf(() => mm.mlockall(MCL.CURRENT))).toBe(Errno.ENOMEM);
    expect(errnoOf(() => mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: ANON | MAP.LOCKED }))).toBe(Errno.EAGAIN);
    mm.mlock(a, P);
    // Locking what is already locked costs nothing more.
    mm.mlock(a, P);
    expect(mm.stats().locked).toBe(P);
    expect(errnoOf(() => mm.mremap(a, P, 2 * P, MREMAP.MAYMOVE))).toBe(Errno.EAGAIN);
    mm.limits.memlock = Infinity;
    // PROT_NONE memory is locked all the same, but cannot be populated.
    expect(errnoOf(() => mm.mlock(none, P))).toBe(Errno.ENOMEM);
    expect(mm.vmaAt(none)?.locked).toBe(true);
    mm.release();
  });

  it('msync validates flags and syncs shared file mappings', () => {
    const file = new MemoryBackedFile(4);
    const mm = fresh();
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP.SHARED, file, offset: 2 * P });
    mm.msync(a, 2 * P, MS.SYNC);
    expect(file.synced).toEqual([[2 * P, 2 * P]]);
    expect(errnoOf(() => mm.msync(a, P, MS.SYNC | MS.ASYNC))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.msync(a + 1, P, MS.SYNC))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.msync(a, 3 * P, MS.ASYNC))).toBe(Errno.ENOMEM);
    mm.release();
    file.close();
  });
});

describe('file mappings', () => {
  it('a truncated file takes its pages past the new end away from every mapping, COW copies included', () => {
    const file = new MemoryBackedFile(3);
    let size = 3 * P;
    file.size = () => size;
    const mm = fresh();
    const before = mf.allocatedBytes();
    const shared = mm.mmap({ addr: 0, length: 3 * P, prot: RW, flags: MAP.SHARED, file, offset: 0 });
    const priv = mm.mmap({ addr: 0, length: 3 * P, prot: RW, flags: MAP.PRIVATE, file, offset: 0 });
    mm.copyOut(priv + 2 * P, new Uint8Array([9])); // private copies (the fault-around window)
    const copied = mf.allocatedBytes();
    expect(copied).toBeGreaterThan(before);
    size = P + 1;
    mm.fileTruncated(file.dev, file.ino + 1, size); // another file: nothing changes
    expect(mm.copyIn(priv + 2 * P, 1)[0]).toBe(9);
    mm.fileTruncated(file.dev, file.ino, size);
    expect(mf.allocatedBytes()).toBe(copied - P);
    // The page holding the new end stays; the one after it is gone from both mappings.
    expect(mm.copyIn(shared + P, 1)[0]).toBe(101);
    expect(mm.copyIn(priv + P, 1)[0]).toBe(101);
    for (const a of [shared, priv]) {
      expect(errnoOf(() => mm.copyIn(a + 2 * P, 1))).toBe(Errno.EFAULT);
      expect(mm.handleFault(a + 2 * P, true)).toEqual({ signal: 'SIGBUS', code: 'BUS_ADRERR' });
    }
    // Grown again, the file's page is mapped afresh (here the test file's own bytes).
    size = 3 * P;
    expect(mm.copyIn(shared + 2 * P, 1)[0]).toBe(102);
    expect(mm.copyIn(priv + 2 * P, 1)[0]).toBe(102);
    mm.release();
    file.close();
  });

  it('MAP_SHARED maps the file pages themselves: writes reach the file and other mappers', () => {
    const file = new MemoryBackedFile(4);
    const a = fresh();
    const b = fresh();
    const x = a.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP.SHARED, file, offset: P });
    const y = b.mmap({ addr: 0, length: 4 * P, prot: PROT.READ, flags: MAP.SHARED, file, offset: 0 });
    expect(a.copyIn(x, 1)[0]).toBe(101);
    a.copyOut(x + P + 5, new Uint8Array([55]));
    expect(mf.bytes(file.offset + 2 * P + 5, 1)[0]).toBe(55);
    expect(b.copyIn(y + 2 * P + 5, 1)[0]).toBe(55);
    expect(a.mapsText()).toMatch(/^[0-9a-f]+-[0-9a-f]+ rw-s 00001000 08:01 777 +\/tmp\/shared-file\n$/);
    // A read-only fd makes PROT_WRITE unavailable.
    expect(errnoOf(() => b.mmap({ addr: 0, length: P, prot: RW, flags: MAP.SHARED, file, offset: 0, maxProt: PROT.READ }))).toBe(Errno.EACCES);
    const ro = b.mmap({ addr: 0, length: P, prot: PROT.READ, flags: MAP.SHARED, file, offset: 0, maxProt: PROT.READ });
    expect(errnoOf(() => b.mprotect(ro, P, RW))).toBe(Errno.EACCES);
    a.release();
    b.release();
    file.close();
  });

  it('MAP_PRIVATE maps the file copy-on-write: writes stay private, pages past EOF are SIGBUS', () => {
    const file = new MemoryBackedFile(2);
    const mm = fresh();
    const before = mf.allocatedBytes();
    const x = mm.mmap({ addr: 0, length: 3 * P, prot: RW, flags: MAP.PRIVATE, file, offset: 0 });
    // Nothing needed memory of its own: the page past EOF has no backing at all.
    expect(mf.allocatedBytes()).toBe(before);
    expect(mm.copyIn(x + P, 1)[0]).toBe(101);
    expect(() => mm.copyIn(x + 2 * P, 1)).toThrow(expect.objectContaining({ errno: Errno.EFAULT }));
    expect(mm.handleFault(x + 2 * P, false)).toEqual({ signal: 'SIGBUS', code: 'BUS_ADRERR' });
    // Until the process writes a page, it sees the file's changes (like Linux's page cache).
    mf.bytes(file.offset + P, 1)[0] = 111;
    expect(mm.copyIn(x + P, 1)[0]).toBe(111);
    mm.copyOut(x, new Uint8Array([1]));
    expect(mf.bytes(file.offset, 1)[0]).toBe(100);
    expect(mm.copyIn(x, 1)[0]).toBe(1);
    expect(mf.allocatedBytes()).toBe(before + P);
    // The written page is the process's own; the file's page is not.
    expect(mm.smapsText()).toMatch(/^Anonymous: +4 kB$/m);
    mm.release();
    expect(mf.allocatedBytes()).toBe(before);
    file.close();
  });

  it('refuses writable MAP_SHARED mappings of files that cannot share pages', () => {
    const mm = fresh();
    const file: MappableFile = {
      mapsName: '/host/file',
      dev: 0,
      ino: 1,
      size: () => P,
      readAt: (off, dst) => {
        dst.fill(4, 0, Math.max(0, Math.min(dst.length, P - off)));
        return Math.max(0, Math.min(dst.length, P - off));
      },
    };
    expect(errnoOf(() => mm.mmap({ addr: 0, length: P, prot: RW, flags: MAP.SHARED, file }))).toBe(Errno.ENODEV);
    const a = mm.mmap({ addr: 0, length: P, prot: PROT.READ, flags: MAP.SHARED, file });
    expect(mm.copyIn(a, 1)[0]).toBe(4);
    expect(errnoOf(() => mm.mprotect(a, P, RW))).toBe(Errno.EACCES);
    mm.release();
  });
});

describe('/proc text', () => {
  it('formats maps like Linux, naming [heap], [stack] and shared anonymous memory', () => {
    const mm = fresh();
    mm.setBrkStart(0x555555560000);
    mm.brk(0x555555560000 + 3 * P);
    const stack = mm.mmap({ addr: 0x7fffffede000, length: 0x21000, prot: RW, flags: ANON | MAP.FIXED | MAP.GROWSDOWN });
    mm.setStackStart(stack + 0x20000);
    mm.mmap({ addr: 0x7ffff7d50000, length: 0x22000, prot: RW, flags: ANON | MAP.FIXED });
    const text = mm.mapsText().split('\n');
    expect(text[0]).toBe('555555560000-555555563000 rw-p 00000000 00:00 0                          [heap]');
    expect(text[1]).toBe('7ffff7d50000-7ffff7d72000 rw-p 00000000 00:00 0 ');
    expect(text[2]).toBe('7fffffede000-7fffffeff000 rw-p 00000000 00:00 0                          [stack]');
    const shm = mm.mmap({ addr: 0, length: P, prot: PROT.READ, flags: MAP.SHARED | MAP.ANONYMOUS });
    expect(mm.mapsText()).toContain(`${shm.toString(16)}-${(shm + P).toString(16)} r--s 00000000 00:01 `);
    expect(mm.mapsText()).toContain('/dev/zero (deleted)');
    mm.release();
  });

  it('reports Rss, Pss and Anonymous in smaps, and statm in pages', () => {
    const parent = fresh();
    const a = parent.mmap({ addr: BASE, length: 4 * P, prot: RW, flags: ANON | MAP.FIXED });
    parent.copyOut(a, new Uint8Array(2 * P).fill(1));
    const smaps = parent.smapsText();
    expect(smaps).toMatch(/^Size: +16 kB$/m);
    expect(smaps).toMatch(/^Rss: +8 kB$/m);
    expect(smaps).toMatch(/^Pss: +8 kB$/m);
    expect(smaps).toMatch(/^Anonymous: +8 kB$/m);
    expect(parent.statmText()).toBe('4 2 0 0 0 4 0\n');
    parent.munmap(a + 2 * P, 2 * P);
    expect(parent.stats().vmSize).toBe(2 * P);
    expect(parent.stats().vmPeak).toBe(4 * P);
    parent.mmap({ addr: a + 2 * P, length: 2 * P, prot: RW, flags: ANON | MAP.FIXED });
    const child = parent.fork(new FakeAddressSpace());
    expect(parent.smapsText()).toMatch(/^Pss: +4 kB$/m);
    expect(child.smapsText()).toMatch(/^Shared_Dirty: +8 kB$/m);
    child.release();
    expect(parent.smapsText()).toMatch(/^Pss: +8 kB$/m);
    parent.release();
  });
});
