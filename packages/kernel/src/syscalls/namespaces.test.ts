import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CLONE, Errno, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('namespaces-syscalls-test');
afterAll(() => memoryFile.close());
let h: KernelHarness;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
});

describe('unshare', () => {
  it('accepts no flags, copies a shared fd table and fs context, and refuses thread flags in a multithreaded process', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.unshare, 0)).toBe(0);
    const fds = t.group.fds.share();
    const fs = t.group.fs;
    expect(h.syscall(t, SYS.unshare, CLONE.FILES | CLONE.FS)).toBe(0);
    expect(t.group.fds).not.toBe(fds);
    expect(t.group.fs).not.toBe(fs);
    expect(t.group.fs.root).toBe(fs.root);
    // Single-threaded, the thread flags change nothing.
    expect(h.syscall(t, SYS.unshare, CLONE.THREAD | CLONE.VM | CLONE.SIGHAND)).toBe(0);
    h.newThread(t);
    expect(h.syscall(t, SYS.unshare, CLONE.THREAD)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.unshare, CLONE.PARENT)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.unshare, CLONE.NEWNS)).toBe(-Errno.EINVAL);
  });
});
