// The signal family (rt_sigaction, rt_sigprocmask, rt_sigpending, kill to
// self) served in-process on the fake platform.
import { Errno, SA, SIG_HOW, SYS, Signal } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { REG } from '@tvisor/platform';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sendKill } from '../signal-delivery.js';
import { sigbit } from '../signals.js';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('signal-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

/** A struct kernel_sigaction: handler, flags, restorer, mask. */
function sigactionStruct(handler: bigint, flags: bigint, mask: bigint): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, handler, true);
  v.setBigUint64(8, flags, true);
  v.setBigUint64(16, 0x4000n, true);
  v.setBigUint64(24, mask, true);
  return b;
}

describe('rt_sigaction', () => {
  it('installs a handler and reports the old one', () => {
    const act = h.alloc(t, 32, sigactionStruct(0x1234n, BigInt(SA.RESTORER | SA.RESTART), sigbit(Signal.SIGUSR2)));
    const old = h.alloc(t, 32);
    expect(h.syscall(t, SYS.rt_sigaction, Signal.SIGUSR1, act, old, 8)).toBe(0);
    expect(h.view(t, old, 32).getBigUint64(0, true)).toBe(0n); // SIG_DFL before
    expect(h.syscall(t, SYS.rt_sigaction, Signal.SIGUSR1, 0, old, 8)).toBe(0);
    const v = h.view(t, old, 32);
    expect(v.getBigUint64(0, true)).toBe(0x1234n);
    expect(v.getBigUint64(8, true) & BigInt(SA.RESTART)).toBe(BigInt(SA.RESTART));
    expect(v.getBigUint64(24, true)).toBe(sigbit(Signal.SIGUSR2));
  });

  it('refuses SIGKILL and SIGSTOP, signal 0 and 65, and a wrong sigsetsize with EINVAL', () => {
    const act = h.alloc(t, 32, sigactionStruct(0x1234n, BigInt(SA.RESTORER), 0n));
    for (const sig of [Signal.SIGKILL, Signal.SIGSTOP, 0, 65]) {
      expect(h.syscall(t, SYS.rt_sigaction, sig, act, 0, 8), `signal ${sig}`).toBe(-Errno.EINVAL);
    }
    expect(h.syscall(t, SYS.rt_sigaction, Signal.SIGUSR1, act, 0, 4)).toBe(-Errno.EINVAL);
  });
});

describe('rt_sigprocmask and rt_sigpending', () => {
  const set = (mask: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, mask, true);
    return h.alloc(t, 8, b);
  };

  it('blocks and unblocks; SIGKILL and SIGSTOP are silently left unblocked', () => {
    const old = h.alloc(t, 8);
    const want = sigbit(Signal.SIGUSR1) | sigbit(Signal.SIGKILL) | sigbit(Signal.SIGSTOP);
    expect(h.syscall(t, SYS.rt_sigprocmask, SIG_HOW.BLOCK, set(want), old, 8)).toBe(0);
    expect(h.view(t, old, 8).getBigUint64(0, true)).toBe(0n);
    expect(t.blocked).toBe(sigbit(Signal.SIGUSR1));
    expect(h.syscall(t, SYS.rt_sigprocmask, SIG_HOW.UNBLOCK, set(sigbit(Signal.SIGUSR1)), old, 8)).toBe(0);
    expect(h.view(t, old, 8).getBigUint64(0, true)).toBe(sigbit(Signal.SIGUSR1));
    expect(t.blocked).toBe(0n);
    expect(h.syscall(t, SYS.rt_sigprocmask, 7, set(0n), 0, 8)).toBe(-Errno.EINVAL);
  });

  it('a blocked signal sent to oneself stays pending and rt_sigpending reports it', () => {
    h.syscall(t, SYS.rt_sigprocmask, SIG_HOW.BLOCK, set(sigbit(Signal.SIGUSR2)), 0, 8);
    expect(h.syscall(t, SYS.kill, t.group.pid, Signal.SIGUSR2)).toBe(0);
    const out = h.alloc(t, 8);
    expect(h.syscall(t, SYS.rt_sigpending, out, 8)).toBe(0);
    expect(h.view(t, out, 8).getBigUint64(0, true)).toBe(sigbit(Signal.SIGUSR2));
    expect(h.syscall(t, SYS.kill, 99999, Signal.SIGUSR2)).toBe(-Errno.ESRCH);
    expect(h.syscall(t, SYS.kill, t.group.pid, 65)).toBe(-Errno.EINVAL);
  });
});

describe('the init of a PID namespace (a container: Kernel namespaceInit)', () => {
  let init: Task;
  let child: Task;
  beforeEach(() => {
    h = new KernelHarness(memoryFile, { namespaceInit: true });
    init = h.newProcess();
    child = h.newProcess(init.group);
  });
  const pending = (task: Task, sig: number) => (task.group.signals.pending & sigbit(sig)) !== 0n;

  it('drops a signal it has no handler for, from inside (even SIGKILL) and from the runtime (but SIGKILL)', () => {
    expect(h.kernel.init).toBe(init.group);
    for (const sig of [Signal.SIGTERM, Signal.SIGINT, Signal.SIGHUP, Signal.SIGUSR1, Signal.SIGKILL]) {
      expect(h.syscall(child, SYS.kill, init.group.pid, sig), `kill ${sig}`).toBe(0);
      expect(pending(init, sig), `signal ${sig} pending`).toBe(false);
      expect(init.group.exitStatus, `signal ${sig} killed init`).toBeUndefined();
    }
    expect(h.syscall(init, SYS.kill, init.group.pid, Signal.SIGTERM)).toBe(0);
    expect(pending(init, Signal.SIGTERM)).toBe(false);
    sendKill(h.kernel, init.group, Signal.SIGTERM);
    expect(pending(init, Signal.SIGTERM)).toBe(false);
    expect(init.group.exitStatus).toBeUndefined();
    sendKill(h.kernel, init.group, Signal.SIGKILL);
    expect(init.group.exitStatus).toBe(Signal.SIGKILL);
  });

  it('takes a signal it handles or blocks, and other processes take theirs as before', () => {
    expect(h.syscall(init, SYS.kill, child.group.pid, Signal.SIGKILL)).toBe(0);
    expect(child.group.exitStatus).toBe(Signal.SIGKILL);
    const sender = h.newProcess(init.group);
    const mask = h.alloc(init, 8, new Uint8Array(new BigUint64Array([sigbit(Signal.SIGUSR2)]).buffer));
    expect(h.syscall(init, SYS.rt_sigprocmask, SIG_HOW.BLOCK, mask, 0, 8)).toBe(0);
    const act = h.alloc(init, 32, sigactionStruct(0x1234n, BigInt(SA.RESTORER), 0n));
    expect(h.syscall(init, SYS.rt_sigaction, Signal.SIGTERM, act, 0, 8)).toBe(0);
    expect(h.syscall(sender, SYS.kill, init.group.pid, Signal.SIGUSR2)).toBe(0);
    expect(pending(init, Signal.SIGUSR2)).toBe(true);
    expect(h.syscall(sender, SYS.kill, init.group.pid, Signal.SIGTERM)).toBe(0);
    expect(pending(init, Signal.SIGTERM)).toBe(true);
  });

  it('without namespaceInit, init takes the default action like any process', () => {
    h = new KernelHarness(memoryFile);
    init = h.newProcess();
    child = h.newProcess(init.group);
    expect(h.syscall(child, SYS.kill, init.group.pid, Signal.SIGTERM)).toBe(0);
    expect(pending(init, Signal.SIGTERM)).toBe(true);
    expect(h.syscall(child, SYS.kill, init.group.pid, Signal.SIGKILL)).toBe(0);
    expect(init.group.exitStatus).toBe(Signal.SIGKILL);
  });
});

describe('rt_sigtimedwait', () => {
  it('takes a waited-for signal once; the next one stays pending for whoever comes next (no stale waiter eats it)', () => {
    const sender = h.newThread(t);
    const usr1 = sigbit(Signal.SIGUSR1);
    t.blocked = usr1;
    sender.blocked = usr1;
    const waitSet = h.alloc(t, 8, new Uint8Array(new BigUint64Array([usr1]).buffer));
    expect(h.syscall(t, SYS.rt_sigtimedwait, waitSet, 0, 0, 8)).toBeUndefined();
    expect(h.syscall(sender, SYS.tgkill, t.group.pid, t.tid, Signal.SIGUSR1)).toBe(0);
    expect(h.kernel.blocked.has(t)).toBe(false);
    expect(t.regs.getSigned(REG.rax)).toBe(Signal.SIGUSR1);
    expect(h.syscall(sender, SYS.tgkill, t.group.pid, t.tid, Signal.SIGUSR1)).toBe(0);
    expect(t.group.signals.pending & usr1).toBe(usr1);
    expect(h.syscall(t, SYS.rt_sigtimedwait, waitSet, 0, 0, 8)).toBe(Signal.SIGUSR1);
  });
});

describe('pause', () => {
  it('does not sleep with a deliverable signal pending (one that came while the task ran, its interrupt absorbed by this stop)', () => {
    const child = h.newProcess(t.group);
    // Sent while the child was in application code: pending, with an interrupt asked of the platform.
    sendKill(h.kernel, child.group, Signal.SIGALRM);
    expect(child.group.signals.pending & sigbit(Signal.SIGALRM)).not.toBe(0n);
    h.syscall(child, SYS.pause);
    // Its default action ends the process at once, as on Linux; it did not park with the signal pending.
    expect(h.kernel.blocked.has(child)).toBe(false);
    expect(child.group.exitStatus).toBe(Signal.SIGALRM);
  });
});
