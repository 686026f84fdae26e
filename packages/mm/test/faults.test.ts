// Copy helpers fault like copy_{to,from}_user, and handleFault classifies
// application faults like Linux's page-fault handler.
import { Errno, MAP, PROT, SysError } from '@tvisor/abi';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { PAGE_SIZE, STACK_GUARD_GAP, TASK_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const RW = PROT.READ | PROT.WRITE;
const FIXED_ANON = MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED;
const BASE = 0x50000000;

const mf = MemoryFile.create('mm-faults-test');
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

describe('copy helpers', () => {
  let as: FakeAddressSpace;
  let mm: MemoryManager;
  // Layout: [BASE, +P) rw, [+P, +2P) read-only, [+2P, +3P) PROT_NONE, [+3P, +4P) unmapped, [+4P, +5P) rw.
  beforeEach(() => {
    as = new FakeAddressSpace();
    mm = new MemoryManager(mf, as);
    mm.mmap({ addr: BASE, length: P, prot: RW, flags: FIXED_ANON });
    mm.mmap({ addr: BASE + P, length: P, prot: PROT.READ, flags: FIXED_ANON });
    mm.mmap({ addr: BASE + 2 * P, length: P, prot: PROT.NONE, flags: FIXED_ANON });
    mm.mmap({ addr: BASE + 4 * P, length: P, prot: RW, flags: FIXED_ANON });
    return () => mm.release();
  });

  it('read mapped readable memory, across VMA boundaries', () => {
    mm.copyOut(BASE + P - 3, new Uint8Array([1, 2, 3]));
    expect(Array.from(mm.copyIn(BASE + P - 3, 5))).toEqual([1, 2, 3, 0, 0]);
    const dst = new Uint8Array(P + 10);
    mm.readInto(BASE + 10, dst);
    expect(dst[P - 13]).toBe(1);
  });

  it('fail with EFAULT on unmapped memory', () => {
    expect(errnoOf(() => mm.copyIn(BASE + 3 * P, 1))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.copyOut(BASE + 3 * P + 100, new Uint8Array(1)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.readInto(BASE - 1, new Uint8Array(2)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.copyIn(0, 1))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.copyIn(TASK_SIZE - 1, 2))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.copyIn(-4096, 1))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.readIovecs(BASE + 3 * P, 1))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.forEachBlock(BASE + 3 * P, 1, false, () => undefined))).toBe(Errno.EFAULT);
  });

  it('fail with EFAULT on PROT_NONE memory, for reads and writes', () => {
    expect(errnoOf(() => mm.copyIn(BASE + 2 * P, 1))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.copyOut(BASE + 2 * P, new Uint8Array(1)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.readCString(BASE + 2 * P, 10))).toBe(Errno.EFAULT);
  });

  it('fail with EFAULT when copying out to read-only memory (like copy_to_user)', () => {
    expect(errnoOf(() => mm.copyOut(BASE + P, new Uint8Array(1)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.forEachBlock(BASE + P, 1, true, () => undefined))).toBe(Errno.EFAULT);
    // Reading it is fine.
    expect(mm.copyIn(BASE + P, 1)[0]).toBe(0);
  });

  it('copy the accessible prefix before faulting, as the kernel does', () => {
    const src = new Uint8Array(P + 8).fill(9);
    expect(errnoOf(() => mm.copyOut(BASE + 8, src))).toBe(Errno.EFAULT);
    expect(mm.copyIn(BASE + P - 1, 1)[0]).toBe(9);
    expect(mm.copyIn(BASE + P, 1)[0]).toBe(0);
  });

  it('read C strings up to a NUL that precedes inaccessible memory', () => {
    mm.copyOut(BASE + 4 * P + P - 4, new TextEncoder().encode('abc\0'));
    expect(mm.readCString(BASE + 4 * P + P - 4, 4096)).toBe('abc');
    mm.copyOut(BASE + P - 2, new TextEncoder().encode('xy'));
    // Runs into the read-only page (readable, zeros): the NUL is there.
    expect(mm.readCString(BASE + P - 2, 100)).toBe('xy');
    mm.copyOut(BASE + 4 * P + P - 2, new TextEncoder().encode('zz'));
    expect(errnoOf(() => mm.readCString(BASE + 4 * P + P - 2, 100))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.readCString(BASE + 4 * P + P - 2, 2))).toBe(Errno.ENAMETOOLONG);
  });

  it('read iovec arrays and reject negative lengths', () => {
    const iov = new Uint8Array(32);
    const view = new DataView(iov.buffer);
    view.setBigUint64(0, 0x1234_5678_9abcn, true);
    view.setBigUint64(8, 100n, true);
    view.setBigUint64(16, 0x7fff_0000_0000n, true);
    view.setBigUint64(24, 0n, true);
    mm.copyOut(BASE, iov);
    expect(mm.readIovecs(BASE, 2)).toEqual([
      { base: 0x1234_5678_9abc, len: 100 },
      { base: 0x7fff_0000_0000, len: 0 },
    ]);
    view.setBigInt64(8, -1n, true);
    mm.copyOut(BASE, iov);
    expect(errnoOf(() => mm.readIovecs(BASE, 2))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.readIovecs(BASE, 1025))).toBe(Errno.EINVAL);
  });

  it('give zero-copy views of the memory file in forEachBlock', () => {
    const chunks: Uint8Array[] = [];
    mm.forEachBlock(BASE + 100, 200, true, (c) => {
      c.fill(3);
      chunks.push(c);
    });
    expect(chunks.length).toBe(1);
    const m = as.pages.get(BASE)!;
    expect(mf.bytes(m.fileOffset + 100, 200).every((b) => b === 3)).toBe(true);
  });
});

describe('handleFault', () => {
  it('classifies faults like Linux', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace());
    mm.mmap({ addr: BASE, length: P, prot: PROT.READ, flags: FIXED_ANON });
    mm.mmap({ addr: BASE + P, length: P, prot: PROT.NONE, flags: FIXED_ANON });
    mm.mmap({ addr: BASE + 2 * P, length: P, prot: RW | PROT.EXEC, flags: FIXED_ANON });
    expect(mm.handleFault(BASE - 1, false)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(mm.handleFault(0, false)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(mm.handleFault(TASK_SIZE + 10, false)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(mm.handleFault(BASE + 5, true)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_ACCERR' });
    expect(mm.handleFault(BASE + 5, false, true)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_ACCERR' });
    expect(mm.handleFault(BASE + P + 5, false)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_ACCERR' });
    // Spurious faults (the mirror is already right) are retried once per page.
    expect(mm.handleFault(BASE + 2 * P, true)).toBe('fixed');
    expect(mm.handleFault(BASE + 5, false)).toBe('fixed');
    expect(mm.handleFault(BASE + 2 * P, false, true)).toBe('fixed');
    mm.release();
  });

  it('gives SIGBUS when the mapped file cannot supply a page', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace());
    let failing = false;
    const file = {
      mapsName: '/broken',
      dev: 0,
      ino: 1,
      size: () => 64 * 1024 * 1024,
      readAt: (_off: number, dst: Uint8Array) => {
        if (failing) throw new SysError(Errno.EIO);
        return dst.length;
      },
    };
    // Large enough to be populated lazily.
    const a = mm.mmap({ addr: 0, length: 32 * 1024 * 1024, prot: PROT.READ, flags: MAP.PRIVATE, file });
    failing = true;
    expect(mm.handleFault(a + 5 * P, false)).toEqual({ signal: 'SIGBUS', code: 'BUS_ADRERR' });
    expect(errnoOf(() => mm.copyIn(a + 5 * P, 1))).toBe(Errno.EIO);
    failing = false;
    expect(mm.handleFault(a + 5 * P, false)).toBe('fixed');
    mm.release();
  });

  it('copes with platforms that cannot tell the access type', () => {
    const as = new FakeAddressSpace();
    const mm = new MemoryManager(mf, as);
    mm.mmap({ addr: BASE, length: P, prot: RW, flags: FIXED_ANON });
    const child = mm.fork(new FakeAddressSpace());
    // A write to a COW page reported as a read still gets the page copied.
    expect(mm.handleFault(BASE, false)).toBe('fixed');
    expect(as.pages.get(BASE)!.prot).toBe(RW);
    // Executing the non-executable page, reported as a write: retried once, then SIGSEGV.
    expect(mm.handleFault(BASE + 8, true)).toBe('fixed');
    expect(mm.handleFault(BASE + 8, true)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_ACCERR' });
    child.release();
    mm.release();
  });

  it('populates lazily mapped memory on first touch, in one chunk', () => {
    const as = new FakeAddressSpace();
    const mm = new MemoryManager(mf, as);
    // Larger than the eager limit: nothing is backed at mmap time.
    const len = 2 * 1024 * 1024 * 1024;
    const addr = mm.mmap({ addr: 0, length: len, prot: RW, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE });
    expect(as.pages.size).toBe(0);
    const before = as.calls;
    expect(mm.handleFault(addr + 5 * P + 7, true)).toBe('fixed');
    expect(as.calls - before).toBe(1);
    expect(as.pages.get(addr + 5 * P)!.prot).toBe(RW);
    mm.copyOut(addr + len - 8, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(Array.from(mm.copyIn(addr + len - 2, 2))).toEqual([7, 8]);
    mm.release();
  });

  it('grows a MAP_GROWSDOWN stack down to the stack limit, keeping the guard gap', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace(), { stackLimit: 64 * P });
    const top = 0x70000000;
    mm.mmap({ addr: top - 4 * P, length: 4 * P, prot: RW, flags: FIXED_ANON | MAP.GROWSDOWN });
    expect(mm.handleFault(top - 10 * P + 1, true)).toBe('fixed');
    expect(mm.vmaAt(top - 10 * P)!.start).toBe(top - 10 * P);
    // The kernel's own accesses grow it too.
    mm.copyOut(top - 20 * P, new Uint8Array([1]));
    expect(mm.vmaAt(top - 20 * P)!.end).toBe(top);
    expect(mm.handleFault(top - 65 * P, true)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    // A mapping just below blocks growth into the guard gap.
    const low = top - 20 * P - STACK_GUARD_GAP - 2 * P;
    mm.mmap({ addr: low, length: P, prot: PROT.READ, flags: FIXED_ANON });
    expect(mm.handleFault(top - 21 * P, false)).toBe('fixed');
    expect(mm.handleFault(low + P + 5, false)).toEqual({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(mm.mapsText()).toContain(' rw-p ');
    mm.release();
  });
});

describe('atomic word operations', () => {
  it('operate on the shared page, break COW first and fault like copies', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace());
    mm.mmap({ addr: BASE, length: P, prot: RW, flags: FIXED_ANON });
    mm.mmap({ addr: BASE + P, length: P, prot: PROT.READ, flags: FIXED_ANON });
    mm.copyOut(BASE + 8, new Uint8Array([1, 0, 0, 0]));
    const child = mm.fork(new FakeAddressSpace());
    expect(mm.atomicCompareExchange32(BASE + 8, 1, 0xfffffffe)).toBe(1);
    expect(mm.atomicLoad32(BASE + 8)).toBe(0xfffffffe);
    expect(Array.from(mm.copyIn(BASE + 8, 4))).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect(child.atomicLoad32(BASE + 8)).toBe(1);
    expect(mm.atomicCompareExchange32(BASE + 8, 1, 5)).toBe(0xfffffffe);
    expect(mm.atomicUpdate32(BASE + 8, 'add', 3)).toBe(0xfffffffe);
    expect(mm.atomicUpdate32(BASE + 8, 'or', 0x10)).toBe(1);
    expect(mm.atomicUpdate32(BASE + 8, 'and', 0x10)).toBe(0x11);
    expect(mm.atomicUpdate32(BASE + 8, 'xor', 0x11)).toBe(0x10);
    expect(mm.atomicUpdate32(BASE + 8, 'set', 7)).toBe(1);
    expect(mm.atomicLoad32(BASE + 8)).toBe(7);
    expect(errnoOf(() => mm.atomicLoad32(BASE + 2))).toBe(Errno.EINVAL);
    expect(errnoOf(() => mm.atomicLoad32(BASE + 2 * P))).toBe(Errno.EFAULT);
    expect(mm.atomicLoad32(BASE + P)).toBe(0);
    expect(errnoOf(() => mm.atomicUpdate32(BASE + P, 'set', 1))).toBe(Errno.EFAULT);
    child.release();
    mm.release();
  });
});

describe('forced access (ptrace, /proc/PID/mem)', () => {
  it('writes read-only private memory through a private copy, never through read-only shared memory', () => {
    const parent = new MemoryManager(mf, new FakeAddressSpace());
    parent.mmap({ addr: BASE, length: P, prot: PROT.READ | PROT.EXEC, flags: FIXED_ANON });
    parent.mmap({ addr: BASE + P, length: P, prot: PROT.NONE, flags: FIXED_ANON });
    const child = parent.fork(new FakeAddressSpace());
    const poke = (mm: MemoryManager, addr: number, byte: number) =>
      mm.forEachBlock(
        addr,
        1,
        true,
        (c) => {
          c[0] = byte;
        },
        true,
      );
    expect(errnoOf(() => child.copyOut(BASE, new Uint8Array([1])))).toBe(Errno.EFAULT);
    poke(child, BASE + 3, 0xcc);
    poke(child, BASE + P, 7);
    expect(child.copyIn(BASE + 3, 1)[0]).toBe(0xcc);
    expect(parent.copyIn(BASE + 3, 1)[0]).toBe(0);
    let peeked = -1;
    child.forEachBlock(
      BASE + P,
      1,
      false,
      (c) => {
        peeked = c[0];
      },
      true,
    );
    expect(peeked).toBe(7);
    // Protections did not change.
    expect(child.vmaAt(BASE)!.prot).toBe(PROT.READ | PROT.EXEC);
    const shared = parent.mmap({ addr: 0, length: P, prot: PROT.READ, flags: MAP.SHARED | MAP.ANONYMOUS });
    expect(errnoOf(() => poke(parent, shared, 1))).toBe(0); // anonymous shared memory may be written (VM_MAYWRITE)
    child.release();
    parent.release();
  });

  it('names anonymous memory with setAnonName', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace());
    mm.mmap({ addr: BASE, length: 3 * P, prot: RW, flags: FIXED_ANON });
    mm.setAnonName(BASE + P, P, 'jit');
    expect(mm.mapsText().split('\n')[1]).toMatch(/ \[anon:jit\]$/);
    expect(mm.vmaList().length).toBe(3);
    mm.setAnonName(BASE, 3 * P, null);
    expect(mm.vmaList().length).toBe(1);
    expect(errnoOf(() => mm.setAnonName(BASE, 4 * P, 'x'))).toBe(Errno.ENOMEM);
    mm.release();
  });
});
