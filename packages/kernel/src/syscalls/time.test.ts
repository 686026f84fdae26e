// The time family served in-process on the fake platform.
import { CLOCK, Errno, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('time-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

function timespec(addr: number): bigint {
  const v = h.view(t, addr, 16);
  return v.getBigInt64(0, true) * 1_000_000_000n + v.getBigInt64(8, true);
}

describe('clocks', () => {
  it('CLOCK_MONOTONIC never goes back; CLOCK_REALTIME agrees with the host within a minute', () => {
    const ts = h.alloc(t, 16);
    expect(h.syscall(t, SYS.clock_gettime, CLOCK.MONOTONIC, ts)).toBe(0);
    const a = timespec(ts);
    expect(h.syscall(t, SYS.clock_gettime, CLOCK.MONOTONIC, ts)).toBe(0);
    expect(timespec(ts)).toBeGreaterThanOrEqual(a);
    expect(h.syscall(t, SYS.clock_gettime, CLOCK.REALTIME, ts)).toBe(0);
    const diffMs = Number(timespec(ts) / 1_000_000n) - Date.now();
    expect(Math.abs(diffMs)).toBeLessThan(60_000);
    expect(h.view(t, ts, 16).getBigInt64(8, true)).toBeLessThan(1_000_000_000n);
  });

  it('rejects an unknown clock with EINVAL and a bad address with EFAULT', () => {
    expect(h.syscall(t, SYS.clock_gettime, 42, h.alloc(t, 16))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.clock_getres, 42, h.alloc(t, 16))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.clock_gettime, CLOCK.MONOTONIC, 0x1000)).toBe(-Errno.EFAULT);
  });

  it('clock_getres reports 1 ns for the high-resolution clocks', () => {
    const ts = h.alloc(t, 16);
    expect(h.syscall(t, SYS.clock_getres, CLOCK.MONOTONIC, ts)).toBe(0);
    expect(timespec(ts)).toBe(1n);
  });

  it('nanosleep rejects a negative or too large tv_nsec with EINVAL and parks for a valid one', () => {
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setBigInt64(8, 1_000_000_000n, true);
    expect(h.syscall(t, SYS.nanosleep, h.alloc(t, 16, bad), 0)).toBe(-Errno.EINVAL);
    new DataView(bad.buffer).setBigInt64(8, -1n, true);
    expect(h.syscall(t, SYS.nanosleep, h.alloc(t, 16, bad), 0)).toBe(-Errno.EINVAL);
    const long = new Uint8Array(16);
    new DataView(long.buffer).setBigInt64(0, 3600n, true);
    expect(h.syscall(t, SYS.nanosleep, h.alloc(t, 16, long), 0)).toBeUndefined();
    expect(h.kernel.blocked.has(t)).toBe(true);
    t.cancelBlock?.();
  });
});
