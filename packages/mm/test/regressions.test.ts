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
