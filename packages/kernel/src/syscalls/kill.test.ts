// Argument and permission checks of the signal-sending calls, setpgid and arch_prctl, on the fake platform.
import { ARCH, Errno, SIG_HOW, SYS, Signal } from '@tvisor/abi';
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

  it("rt_sigqueueinfo and rt_tgsigqueueinfo deliver the caller's siginfo as given, si_signo aside", () => {
    const set = new Uint8Array(8);
    new DataView(set.buffer).setBigUint64(0, 1n << BigInt(Signal.SIGUSR1 - 1), true);
    const setAddr = h.alloc(t, 8, set);
    expect(h.syscall(t, SYS.rt_sigprocmask, SIG_HOW.BLOCK, setAddr, 0, 8)).toBe(0);
    const zero = h.alloc(t, 16);
    for (const send of [
      (info: number) => h.syscall(t, SYS.rt_sigqueueinfo, t.group.pid, Signal.SIGUSR1, info),
      (info: number) => h.syscall(t, SYS.rt_tgsigqueueinfo, t.group.pid, t.tid, Signal.SIGUSR1, info),
    ]) {
      const given = new Uint8Array(128);
      const v = new DataView(given.buffer);
      v.setInt32(0, Signal.SIGUSR2, true); // si_signo: replaced by the signal sent
      v.setInt32(4, 0x1234, true); // si_errno
      v.setInt32(8, -1, true); // SI_QUEUE
      v.setInt32(16, 4242, true); // si_pid
      v.setUint32(20, 77, true); // si_uid
      v.setBigUint64(24, 0xfeedn, true); // si_value
      expect(send(h.alloc(t, 128, given))).toBe(0);
      const out = h.alloc(t, 128);
      expect(h.syscall(t, SYS.rt_sigtimedwait, setAddr, out, zero, 8)).toBe(Signal.SIGUSR1);
      const got = h.view(t, out, 32);
      expect([got.getInt32(0, true), got.getInt32(4, true), got.getInt32(8, true), got.getInt32(16, true), got.getUint32(20, true)]).toEqual([
        Signal.SIGUSR1,
        0x1234,
        -1,
        4242,
        77,
      ]);
      expect(got.getBigUint64(24, true)).toBe(0xfeedn);
    }
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
