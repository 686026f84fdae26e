// membarrier(2): the commands QUERY reports, registration, and what Linux rejects.
import { Errno, MEMBARRIER_CMD, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('membarrier-syscall-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

describe('membarrier', () => {
  it('QUERY reports the global and the expedited private/global commands, and each of them succeeds', () => {
    const mask = h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.QUERY, 0, 0)!;
    for (const cmd of [
      MEMBARRIER_CMD.GLOBAL,
      MEMBARRIER_CMD.GLOBAL_EXPEDITED,
      MEMBARRIER_CMD.REGISTER_GLOBAL_EXPEDITED,
      MEMBARRIER_CMD.PRIVATE_EXPEDITED,
      MEMBARRIER_CMD.REGISTER_PRIVATE_EXPEDITED,
    ]) {
      expect(mask & cmd).toBe(cmd);
    }
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.GLOBAL, 0, 0)).toBe(0);
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.REGISTER_GLOBAL_EXPEDITED, 0, 0)).toBe(0);
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.GLOBAL_EXPEDITED, 0, 0)).toBe(0);
  });

  it('PRIVATE_EXPEDITED is EPERM until the address space registers for it', () => {
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.PRIVATE_EXPEDITED, 0, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.REGISTER_PRIVATE_EXPEDITED, 0, 0)).toBe(0);
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.PRIVATE_EXPEDITED, 0, 0)).toBe(0);
    const other = h.newProcess();
    expect(h.syscall(other, SYS.membarrier, MEMBARRIER_CMD.PRIVATE_EXPEDITED, 0, 0)).toBe(-Errno.EPERM);
  });

  it('rejects flags, unknown commands and the variants it does not report with EINVAL', () => {
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.QUERY, 1, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.GLOBAL, 1, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.membarrier, 1 << 12, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.membarrier, MEMBARRIER_CMD.REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0)).toBe(-Errno.EINVAL);
  });
});
