// Argument and permission checks of the signal-sending calls, setpgid and arch_prctl, on the fake platform.
import { ARCH, Errno, SYS, Signal } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newCredentials } from '../credentials.js';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('kill-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

/** A siginfo with si_code SI_QUEUE (-1). */
function queueInfo(on: Task): number {
  const b = new Uint8Array(128);
  new DataView(b.buffer).setInt32(8, -1, true);
  return h.alloc(on, 128, b);
}

describe('kill, tkill, tgkill, rt_(tg)sigqueueinfo', () => {
  it('tkill and tgkill refuse ids <= 0 with EINVAL before looking anything up', () => {
    expect(h.syscall(t, SYS.tkill, -1, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.tkill, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.tgkill, t.group.pid, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.tgkill, 0, t.tid, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.tgkill, t.group.pid, t.tid, 0)).toBe(0);
    expect(h.syscall(t, SYS.rt_tgsigqueueinfo, t.group.pid, 0, 0, queueInfo(t))).toBe(-Errno.EINVAL);
  });

  it("kill with a thread's id signals its process", () => {
    const thread = h.newThread(t);
    expect(h.syscall(thread, SYS.kill, thread.tid, 0)).toBe(0);
    expect(h.syscall(thread, SYS.kill, 0x7ffffffe, 0)).toBe(-Errno.ESRCH);
  });

  it('a process of another user cannot be signalled through rt_sigqueueinfo or rt_tgsigqueueinfo (EPERM)', () => {
    const user = h.newProcess(undefined, newCredentials(1000, 1000));
    expect(h.syscall(user, SYS.rt_sigqueueinfo, t.group.pid, Signal.SIGKILL, queueInfo(user))).toBe(-Errno.EPERM);
    expect(h.syscall(user, SYS.rt_tgsigqueueinfo, t.group.pid, t.tid, Signal.SIGKILL, queueInfo(user))).toBe(-Errno.EPERM);
    expect(t.group.exitStatus).toBeUndefined();
    expect(h.syscall(user, SYS.rt_tgsigqueueinfo, user.group.pid, user.tid, 0, queueInfo(user))).toBe(0);
  });
});

describe('setpgid and arch_prctl', () => {
  it('setpgid joins only a process group that exists in the session (EPERM otherwise)', () => {
    const a = h.newProcess(t.group);
    const b = h.newProcess(t.group);
    expect(h.syscall(t, SYS.setpgid, a.group.pid, a.group.pid)).toBe(0);
    expect(h.syscall(t, SYS.setpgid, a.group.pid, b.group.pid)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setpgid, b.group.pid, a.group.pid)).toBe(0);
    expect(b.group.pgid).toBe(a.group.pid);
  });

  it('ARCH_SET_FS/GS refuse a base at or above TASK_SIZE_MAX with EPERM', () => {
    expect(h.syscall(t, SYS.arch_prctl, ARCH.SET_FS, 0x7ffffffff000)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.arch_prctl, ARCH.SET_GS, 0x7ffffffff000)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.arch_prctl, ARCH.SET_FS, 0x7ffffffe000)).toBe(0);
  });
});
