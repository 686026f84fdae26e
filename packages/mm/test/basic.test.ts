import { afterAll, describe, expect, it } from 'vitest';
import { Errno, MAP, PROT } from '@tvisor/abi';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { PAGE_SIZE, defaultLayout } from '../src/layout.js';
import { FakeAddressSpace } from './fake-address-space.js';

const mf = MemoryFile.create('mm-basic-test');
afterAll(() => mf.close());

const RW = PROT.READ | PROT.WRITE;
const ANON = MAP.PRIVATE | MAP.ANONYMOUS;

function errnoOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    return (e as { errno?: number }).errno;
  }
  return undefined;
}

describe('MemoryManager basics', () => {
  it('maps anonymous memory top-down below mmapBase and copies in and out', () => {
    const as = new FakeAddressSpace();
    const mm = new MemoryManager(mf, as);
    const a = mm.mmap({ addr: 0, length: 3 * PAGE_SIZE, prot: RW, flags: ANON });
    expect(a).toBe(defaultLayout().mmapBase - 3 * PAGE_SIZE);
    const b = mm.mmap({ addr: 0, length: PAGE_SIZE, prot: PROT.READ, flags: ANON });
    expect(b).toBe(a - PAGE_SIZE);
    mm.copyOut(a + 10, new TextEncoder().encode('hello\0'));
    expect(mm.readCString(a + 10, 100)).toBe('hello');
    expect(Array.from(mm.copyIn(a + 8, 4))).toEqual([0, 0, 104, 101]);
    // The platform mirror shows the same pages.
    const page = as.pages.get(a)!;
    expect(page.prot).toBe(RW);
    expect(mf.bytes(page.fileOffset + 10, 5)).toEqual(new TextEncoder().encode('hello'));
    expect(errnoOf(() => mm.copyOut(b, new Uint8Array(1)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => mm.copyIn(b - PAGE_SIZE, 1))).toBe(Errno.EFAULT);
    expect(mm.readCString(b, 16)).toBe('');
    mm.copyOut(a + 100, new Uint8Array(16).fill(120));
    expect(errnoOf(() => mm.readCString(a + 100, 16))).toBe(Errno.ENAMETOOLONG);
    expect(mm.readCString(a + 100, 17)).toBe('x'.repeat(16));
    mm.release();
  });

  it('brk grows and shrinks the heap', () => {
    const as = new FakeAddressSpace();
    const mm = new MemoryManager(mf, as);
    mm.setBrkStart(0x400000);
    expect(mm.brk(0)).toBe(0x400000);
    expect(mm.brk(0x400000 + 5000)).toBe(0x400000 + 5000);
    mm.copyOut(0x401000, new Uint8Array([7]));
    expect(mm.mapsText()).toContain('00400000-00402000 rw-p 00000000 00:00 0');
    expect(mm.mapsText()).toContain('[heap]');
    expect(mm.brk(0x400100)).toBe(0x400100);
    expect(errnoOf(() => mm.copyIn(0x401000, 1))).toBe(Errno.EFAULT);
    mm.release();
  });
});

describe('MemoryManager shared by processes (clone with CLONE_VM)', () => {
  it('stays mapped until the last user releases it, and every user sees the same memory', () => {
    const as = new FakeAddressSpace();
    const mm = new MemoryManager(mf, as);
    const a = mm.mmap({ addr: 0, length: PAGE_SIZE, prot: RW, flags: ANON });
    mm.copyOut(a, new TextEncoder().encode('x'));
    expect(mm.shared).toBe(false);
    const other = mm.share();
    expect(other).toBe(mm);
    expect(mm.shared).toBe(true);
    const page = as.pages.get(a)!.fileOffset;
    mm.release();
    // One user is left: nothing was unmapped or freed.
    expect(as.released).toBe(false);
    expect(mm.shared).toBe(false);
    expect(mm.readCString(a, 4)).toBe('x');
    expect(mf.refCount(page)).toBe(1);
    other.release();
    expect(as.released).toBe(true);
    expect(mf.refCount(page)).toBe(0);
  });
});
