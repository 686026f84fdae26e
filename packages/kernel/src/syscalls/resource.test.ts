// Resource limits served in-process on the fake platform.
import { AT, Errno, O, RLIMIT, RLIM_INFINITY, SYS, Signal } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sigbit } from '../signals.js';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('resource-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

function rlimit(soft: bigint, hard: bigint): number {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, soft, true);
  v.setBigUint64(8, hard, true);
  return h.alloc(t, 16, b);
}

function read(addr: number): [bigint, bigint] {
  const v = h.view(t, addr, 16);
  return [v.getBigUint64(0, true), v.getBigUint64(8, true)];
}

describe('rlimits', () => {
  it('starts with Linux defaults for a process started by init', () => {
    const out = h.alloc(t, 16);
    expect(h.syscall(t, SYS.prlimit64, 0, RLIMIT.STACK, 0, out)).toBe(0);
    expect(read(out)).toEqual([8n << 20n, RLIM_INFINITY]);
    expect(h.syscall(t, SYS.getrlimit, RLIMIT.NOFILE, out)).toBe(0);
    expect(read(out)).toEqual([1024n, 1n << 20n]);
  });

  it('prlimit64 sets and returns the old value; soft above hard is EINVAL; unknown resource EINVAL; unknown pid ESRCH', () => {
    const old = h.alloc(t, 16);
    expect(h.syscall(t, SYS.prlimit64, 0, RLIMIT.CORE, rlimit(100n, 200n), old)).toBe(0);
    expect(read(old)).toEqual([0n, RLIM_INFINITY]);
    expect(h.syscall(t, SYS.prlimit64, t.group.pid, RLIMIT.CORE, 0, old)).toBe(0);
    expect(read(old)).toEqual([100n, 200n]);
    expect(h.syscall(t, SYS.prlimit64, 0, RLIMIT.CORE, rlimit(300n, 200n), 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.prlimit64, 0, RLIMIT.NLIMITS, 0, old)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.prlimit64, 4242, RLIMIT.CORE, 0, old)).toBe(-Errno.ESRCH);
  });

  it('RLIMIT_NOFILE is enforced: open past the soft limit fails EMFILE', () => {
    expect(h.syscall(t, SYS.setrlimit, RLIMIT.NOFILE, rlimit(3n, 3n))).toBe(0);
    const path = h.cstr(t, '/f');
    for (let i = 0; i < 3; i++) expect(h.syscall(t, SYS.openat, AT.FDCWD, path, O.CREAT | O.RDONLY, 0o600)).toBe(i);
    expect(h.syscall(t, SYS.openat, AT.FDCWD, path, O.RDONLY, 0)).toBe(-Errno.EMFILE);
    expect(h.syscall(t, SYS.dup, 0)).toBe(-Errno.EMFILE);
  });

  it('RLIMIT_CPU set below the CPU time already used sends SIGXCPU at once and raises the soft limit by a second', () => {
    const child = h.newProcess(t.group);
    child.blocked = sigbit(Signal.SIGXCPU);
    h.ctx(child).cpuNanos = 5_000_000n;
    const limit = h.alloc(child, 16, new Uint8Array(new BigUint64Array([0n, 10n]).buffer));
    expect(h.syscall(child, SYS.setrlimit, RLIMIT.CPU, limit)).toBe(0);
    expect(child.group.signals.pending & sigbit(Signal.SIGXCPU)).toBe(sigbit(Signal.SIGXCPU));
    expect(child.group.rlimits[RLIMIT.CPU]).toEqual([1n, 10n]);
  });
});
