import { MAP, MREMAP, PROT } from '@tvisor/abi';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const mf = MemoryFile.create('mm-regressions-test');
afterAll(() => mf.close());
const PAGE = 4096;

describe('regressions found by the model test', () => {
  it('mremap moving the last piece of a shared anonymous mapping over the rest keeps the memory alive', () => {
    // Counterexample from the page-model property: the moved piece held the
    // last reference once the destination range was unmapped.
    const mm = new MemoryManager(mf, new FakeAddressSpace());
    const base = 0x1000_0000;
    mm.mmap({ addr: base, length: 6 * PAGE, prot: PROT.READ | PROT.WRITE, flags: MAP.SHARED | MAP.ANONYMOUS | MAP.FIXED });
    mm.copyOut(base + 5 * PAGE, Uint8Array.of(42));
    const moved = mm.mremap(base + 5 * PAGE, PAGE, 5 * PAGE, MREMAP.MAYMOVE | MREMAP.FIXED, base);
    expect(moved).toBe(base);
    expect(mm.copyIn(base, 1)[0]).toBe(42);
    mm.release();
  });
});

describe('fork strategies', () => {
  it.each(['cow', 'eager'] as const)('%s: parent and child writes never leak into each other', (strategy) => {
    const parent = new MemoryManager(mf, new FakeAddressSpace());
    const base = 0x2000_0000;
    parent.mmap({ addr: base, length: 4 * PAGE, prot: PROT.READ | PROT.WRITE, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED });
    parent.copyOut(base, Uint8Array.of(1));
    parent.copyOut(base + 2 * PAGE, Uint8Array.of(2));
    const before = mf.allocatedBytes();
    const child = parent.fork(new FakeAddressSpace(), strategy);
    // Eager copies the touched memory at fork; copy-on-write copies nothing yet.
    if (strategy === 'cow') expect(mf.allocatedBytes()).toBe(before);
    else expect(mf.allocatedBytes()).toBeGreaterThan(before);
    child.copyOut(base, Uint8Array.of(10));
    parent.copyOut(base + 2 * PAGE, Uint8Array.of(20));
    expect([parent.copyIn(base, 1)[0], parent.copyIn(base + 2 * PAGE, 1)[0]]).toEqual([1, 20]);
    expect([child.copyIn(base, 1)[0], child.copyIn(base + 2 * PAGE, 1)[0]]).toEqual([10, 2]);
    child.release();
    parent.release();
  });
});
