// The credentials family served in-process on the fake platform: what root
// may do and an unprivileged process may not.
import { Errno, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KernelHarness } from '../testing/kernel-harness.js';
import { newCredentials } from '../credentials.js';

const memoryFile = MemoryFile.create('creds-syscalls-test');
afterAll(() => memoryFile.close());

const USER = newCredentials(1000, 1000, [1000]);

let h: KernelHarness;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
});

function resuid(t: ReturnType<KernelHarness['newProcess']>, nr: number): number[] {
  const p = h.alloc(t, 12);
  expect(h.syscall(t, nr, p, p + 4, p + 8)).toBe(0);
  const v = h.view(t, p, 12);
  return [v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)];
}

describe('uids and gids', () => {
  it('root sets any real, effective and saved ids; getresuid reports them', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.setresuid, 1, 2, 3)).toBe(0);
    expect(resuid(t, SYS.getresuid)).toEqual([1, 2, 3]);
    expect(h.syscall(t, SYS.getuid)).toBe(1);
    expect(h.syscall(t, SYS.geteuid)).toBe(2);
    // No longer root: it may only pick among its own ids.
    expect(h.syscall(t, SYS.setuid, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setresuid, -1, 3, -1)).toBe(0);
    expect(h.syscall(t, SYS.geteuid)).toBe(3);
  });

  it('an unprivileged process cannot become root or set groups', () => {
    const t = h.newProcess(undefined, USER);
    expect(h.syscall(t, SYS.setuid, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setgid, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setresgid, -1, 0, -1)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setgroups, 0, 0)).toBe(-Errno.EPERM);
    expect(resuid(t, SYS.getresgid)).toEqual([1000, 1000, 1000]);
  });

  it('setgroups then getgroups round-trips; getgroups with a short buffer is EINVAL', () => {
    const t = h.newProcess();
    const list = new Uint8Array(12);
    const v = new DataView(list.buffer);
    [10, 20, 30].forEach((g, i) => v.setUint32(i * 4, g, true));
    expect(h.syscall(t, SYS.setgroups, 3, h.alloc(t, 12, list))).toBe(0);
    expect(h.syscall(t, SYS.getgroups, 0, 0)).toBe(3);
    const out = h.alloc(t, 12);
    expect(h.syscall(t, SYS.getgroups, 3, out)).toBe(3);
    expect([0, 4, 8].map((o) => h.view(t, out, 12).getUint32(o, true))).toEqual([10, 20, 30]);
    expect(h.syscall(t, SYS.getgroups, 1, out)).toBe(-Errno.EINVAL);
  });
});
