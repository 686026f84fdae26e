import { Errno, MADV, MAP, MREMAP, PROT } from '@tvisor/abi';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { SharedMemory } from '../src/shared-memory.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const RW = PROT.READ | PROT.WRITE;
const mf = MemoryFile.create('mm-shared-memory-test');
afterAll(() => mf.close());

describe('SharedMemory', () => {
  it('reads holes as zeros, writes allocate pages, truncation and hole punching free them', () => {
    const baseline = mf.allocatedBytes();
    const obj = new SharedMemory(mf, 0, { mapsName: '/tmp/f', dev: 5, ino: 9 });
    expect(obj.writeAt(3 * P + 10, new Uint8Array([1, 2, 3]))).toBe(3);
    expect(obj.size()).toBe(3 * P + 13);
    const all = new Uint8Array(4 * P);
    expect(obj.readAt(0, all)).toBe(3 * P + 13);
    expect(Array.from(all.subarray(3 * P + 9, 3 * P + 14))).toEqual([0, 1, 2, 3, 0]);
    expect(all.subarray(0, 3 * P).every((b) => b === 0)).toBe(true);
    expect(obj.committedBytes()).toBe(P);
    obj.setSize(3 * P + 11);
    const tail = new Uint8Array(3);
    obj.readAt(3 * P + 10, tail);
    expect(Array.from(tail)).toEqual([1, 0, 0]);
    obj.setSize(3 * P + 13);
    obj.readAt(3 * P + 10, tail);
    expect(Array.from(tail)).toEqual([1, 0, 0]);
    obj.punchHole(3 * P, P);
    expect(obj.committedBytes()).toBe(0);
    obj.release();
    expect(mf.allocatedBytes()).toBe(baseline);
  });

  it('backs MAP_SHARED|MAP_ANONYMOUS memory across fork and mremap, and frees it with its last mapping', () => {
    const baseline = mf.allocatedBytes();
    const parent = new MemoryManager(mf, new FakeAddressSpace());
    const a = parent.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP.SHARED | MAP.ANONYMOUS });
    const child = parent.fork(new FakeAddressSpace());
    // Both grow the mapping: the old pages are the same object's pages; the
    // object keeps its size, so the grown part lies past its end (EFAULT here,
    // SIGBUS for the application, as on Linux).
    const pa = parent.mremap(a, 2 * P, 4 * P, MREMAP.MAYMOVE);
    const ca = child.mremap(a, 2 * P, 4 * P, MREMAP.MAYMOVE);
    child.copyOut(ca + P, new Uint8Array([42]));
    expect(parent.copyIn(pa + P, 1)[0]).toBe(42);
    expect(() => child.copyIn(ca + 3 * P, 1)).toThrow(expect.objectContaining({ errno: Errno.EFAULT }));
    expect(child.handleFault(ca + 2 * P, true)).toEqual({ signal: 'SIGBUS', code: 'BUS_ADRERR' });
    // Dropping this mapping's pages keeps the contents.
    parent.madvise(pa, 4 * P, MADV.DONTNEED);
    expect(parent.copyIn(pa + P, 1)[0]).toBe(42);
    parent.release();
    expect(child.copyIn(ca + P, 1)[0]).toBe(42);
    child.munmap(ca, 4 * P);
    expect(mf.allocatedBytes()).toBe(baseline);
    child.release();
  });

  it('keeps a VM_DONTEXPAND mapping from growing: mremap may move it, not enlarge it (EFAULT)', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace());
    const ring = Object.assign(new SharedMemory(mf, 2 * P, { mapsName: '/[aio] (deleted)', dev: 0, ino: 1 }), { dontExpand: true });
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP.SHARED, file: ring, offset: 0 });
    expect(() => mm.mremap(a, 2 * P, 3 * P, MREMAP.MAYMOVE)).toThrow(expect.objectContaining({ errno: Errno.EFAULT }));
    const dst = mm.mmap({ addr: 0, length: 3 * P, prot: PROT.NONE, flags: MAP.PRIVATE | MAP.ANONYMOUS });
    expect(() => mm.mremap(a, 2 * P, 3 * P, MREMAP.MAYMOVE | MREMAP.FIXED, dst)).toThrow(expect.objectContaining({ errno: Errno.EFAULT }));
    // As on Linux, the destination was unmapped before the check.
    expect(mm.vmaAt(dst)).toBeUndefined();
    const moved = mm.mremap(a, 2 * P, 2 * P, MREMAP.MAYMOVE | MREMAP.FIXED, dst);
    expect(moved).toBe(dst);
    expect(mm.vmaAt(dst)?.file).toBe(ring);
    // An ordinary shared mapping grows in the same situation.
    const plain = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP.SHARED | MAP.ANONYMOUS });
    expect(mm.mremap(plain, 2 * P, 3 * P, MREMAP.MAYMOVE)).toBeGreaterThan(0);
    mm.release();
    ring.release();
  });
});
