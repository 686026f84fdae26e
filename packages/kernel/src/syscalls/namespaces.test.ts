import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CLONE, Errno, MPOL_MF, PR, SYS } from '@tvisor/abi';
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

describe('user namespaces and system-wide capabilities', () => {
  it('capabilities gained by unshare(CLONE_NEWUSER) do not pass checks made against the initial namespace', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.prctl, PR.SET_MM, 0, 0, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.mbind, 0, 0, 0, 0, 0, MPOL_MF.MOVE_ALL)).toBe(0);
    expect(h.syscall(t, SYS.unshare, CLONE.NEWUSER)).toBe(0);
    expect(h.syscall(t, SYS.getuid)).toBe(65534);
    expect(h.syscall(t, SYS.prctl, PR.SET_MM, 0, 0, 0, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.mbind, 0, 0, 0, 0, 0, MPOL_MF.MOVE_ALL)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.sethostname, 0, 0)).toBe(-Errno.EPERM);
    // Its own new UTS namespace is its to rename.
    expect(h.syscall(t, SYS.unshare, CLONE.NEWUTS)).toBe(0);
    expect(h.syscall(t, SYS.sethostname, 0, 0)).toBe(0);
    // A second thread stops a new user namespace.
    h.newThread(t);
    expect(h.syscall(t, SYS.unshare, CLONE.NEWUSER)).toBe(-Errno.EINVAL);
  });
});
