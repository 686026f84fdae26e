// The parts behind the MemoryManager facade, used directly: they share one
// MmState, so what one part does the others (and the facade) see, and the
// state's flush batching covers every part.

import { afterAll, describe, expect, it } from 'vitest';
import { Errno, MADV, MAP, PROT } from '@tvisor/abi';
import { PAGE_SIZE } from '../src/layout.js';
import { MappingSyscalls } from '../src/mapping-syscalls.js';
import { MemoryAdvice } from '../src/memory-advice.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { MemoryReport } from '../src/memory-report.js';
import { MmState } from '../src/mm-state.js';
import { PageFaults } from '../src/page-faults.js';
import { UserMemory } from '../src/user-memory.js';
import { FakeAddressSpace } from './fake-address-space.js';

const mf = MemoryFile.create('mm-seams-test');
afterAll(() => mf.close());

const RW = PROT.READ | PROT.WRITE;
const ANON = MAP.PRIVATE | MAP.ANONYMOUS;

function parts() {
  const as = new FakeAddressSpace();
  const state = new MmState(mf, as);
  const faults = new PageFaults(state);
  return {
    as,
    state,
    faults,
    user: new UserMemory(state, faults),
    mappings: new MappingSyscalls(state, faults),
    advice: new MemoryAdvice(state, faults),
    report: new MemoryReport(state),
  };
}

describe('MemoryManager parts', () => {
  it('share one state: a mapping made by one part is read, advised and reported by the others', () => {
    const { user, mappings, advice, report, as } = parts();
    const a = mappings.mmap({ addr: 0, length: 2 * PAGE_SIZE, prot: RW, flags: ANON });
    user.copyOut(a + PAGE_SIZE, new Uint8Array([1, 2, 3]));
    expect(Array.from(user.copyIn(a + PAGE_SIZE, 3))).toEqual([1, 2, 3]);
    expect(report.vmaList().map((v) => [v.start, v.end])).toEqual([[a, a + 2 * PAGE_SIZE]]);
    advice.madvise(a, 2 * PAGE_SIZE, MADV.DONTNEED);
    expect(Array.from(user.copyIn(a + PAGE_SIZE, 3))).toEqual([0, 0, 0]);
    expect(as.pages.get(a + PAGE_SIZE)?.prot).toBe(RW);
    mappings.munmap(a, 2 * PAGE_SIZE);
    expect(report.vmaList()).toEqual([]);
    expect(() => user.copyIn(a, 1)).toThrow(expect.objectContaining({ errno: Errno.EFAULT }));
  });

  it('batch holds the AddressSpace flushes of every part back to one', () => {
    const { state, user, mappings, as } = parts();
    const before = as.flushes;
    const a = mappings.mmap({ addr: 0, length: PAGE_SIZE, prot: RW, flags: ANON });
    mappings.mprotect(a, PAGE_SIZE, PROT.READ);
    expect(as.flushes - before).toBe(2);
    const during = as.flushes;
    state.batch(() => {
      const b = mappings.mmap({ addr: 0, length: 4 * PAGE_SIZE, prot: RW, flags: ANON | MAP.NORESERVE });
      user.copyOut(b, new Uint8Array([9]));
      mappings.mprotect(b, PAGE_SIZE, PROT.READ);
      mappings.munmap(b + PAGE_SIZE, PAGE_SIZE);
      expect(as.flushes).toBe(during);
    });
    expect(as.flushes).toBe(during + 1);
  });

  it("the facade hands out the state's own limits: a limit set through it binds the mapping syscalls", () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace());
    mm.mmap({ addr: 0, length: 4 * PAGE_SIZE, prot: RW, flags: ANON });
    mm.limits.addressSpace = 6 * PAGE_SIZE;
    expect(() => mm.mmap({ addr: 0, length: 4 * PAGE_SIZE, prot: RW, flags: ANON })).toThrow(expect.objectContaining({ errno: Errno.ENOMEM }));
    expect(mm.mmap({ addr: 0, length: 2 * PAGE_SIZE, prot: RW, flags: ANON })).toBeGreaterThan(0);
    expect(mm.stats().vmSize).toBe(6 * PAGE_SIZE);
  });
});
