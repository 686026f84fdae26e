// NUMA policy syscalls on the sandbox's single node, served in-process.
import { Errno, MAP, MPOL, MPOL_F, PROT, SYS } from '@tvisor/abi';
import { MemoryFile, PAGE_SIZE } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('mempolicy-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

function mask(value: bigint): number {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigUint64(0, value, true);
  return h.alloc(t, 8, raw);
}

function get(flags = 0, addr = 0): { mode: number; nodes: bigint; result: number } {
  const mode = h.alloc(t, 4);
  const nodes = h.alloc(t, 8);
  const result = h.syscall(t, SYS.get_mempolicy, mode, nodes, 64, addr, flags)!;
  return { result, mode: h.view(t, mode, 4).getInt32(0, true), nodes: h.view(t, nodes, 8).getBigUint64(0, true) };
}

describe('set_mempolicy / get_mempolicy', () => {
  it('starts at MPOL_DEFAULT and reports what was set, flags included', () => {
    expect(get()).toEqual({ result: 0, mode: MPOL.DEFAULT, nodes: 0n });
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.BIND, mask(1n), 64)).toBe(0);
    expect(get()).toEqual({ result: 0, mode: MPOL.BIND, nodes: 1n });
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.INTERLEAVE | MPOL.F_STATIC_NODES, mask(1n), 64)).toBe(0);
    expect(get()).toEqual({ result: 0, mode: MPOL.INTERLEAVE | MPOL.F_STATIC_NODES, nodes: 1n });
    // The next interleave node is node 0; MPOL_F_NODE without interleave is EINVAL.
    expect(get(MPOL_F.NODE)).toEqual({ result: 0, mode: 0, nodes: 1n });
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.DEFAULT, 0, 0)).toBe(0);
    expect(get(MPOL_F.NODE).result).toBe(-Errno.EINVAL);
    expect(get(MPOL_F.MEMS_ALLOWED)).toEqual({ result: 0, mode: 0, nodes: 1n });
  });

  it('rejects what Linux rejects', () => {
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.DEFAULT, mask(1n), 64)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.set_mempolicy, 7439, mask(1n), 64)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.DEFAULT, mask(0n), 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.BIND, mask(0n), 64)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.INTERLEAVE, mask(2n), 64)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.BIND | MPOL.F_STATIC_NODES | MPOL.F_RELATIVE_NODES, mask(1n), 64)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.set_mempolicy, MPOL.PREFERRED, 0, 1)).toBe(0);
    expect(h.syscall(t, SYS.get_mempolicy, 0, h.alloc(t, 8), 0, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.get_mempolicy, h.alloc(t, 4), 0, 0, 0x1000, 0)).toBe(-Errno.EINVAL);
  });
});

describe('mbind', () => {
  it('sets a policy on part of a mapping, which get_mempolicy(MPOL_F_ADDR) reports; a hole is EFAULT', () => {
    const addr = h.syscall(t, SYS.mmap, 0, 3 * PAGE_SIZE, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)!;
    expect(get(MPOL_F.ADDR, addr).mode).toBe(MPOL.DEFAULT);
    expect(h.syscall(t, SYS.mbind, addr + PAGE_SIZE, PAGE_SIZE, MPOL.PREFERRED, mask(1n), 64, 0)).toBe(0);
    expect(get(MPOL_F.ADDR, addr).mode).toBe(MPOL.DEFAULT);
    expect(get(MPOL_F.ADDR, addr + PAGE_SIZE)).toEqual({ result: 0, mode: MPOL.PREFERRED, nodes: 1n });
    // The VMA split where the policy changes.
    expect(t.mm.vmaAt(addr + PAGE_SIZE)).toMatchObject({ start: addr + PAGE_SIZE, end: addr + 2 * PAGE_SIZE });
    expect(h.syscall(t, SYS.munmap, addr + 2 * PAGE_SIZE, PAGE_SIZE)).toBe(0);
    expect(h.syscall(t, SYS.mbind, addr, 3 * PAGE_SIZE, MPOL.BIND, mask(1n), 64, 0)).toBe(-Errno.EFAULT);
    expect(get(MPOL_F.ADDR, addr + 2 * PAGE_SIZE).result).toBe(-Errno.EFAULT);
    expect(h.syscall(t, SYS.mbind, addr + 1, PAGE_SIZE, MPOL.BIND, mask(1n), 64, 0)).toBe(-Errno.EINVAL);
  });
});
