// futex(2) served in-process on the fake platform: value checks, parking and
// waking between two threads.
import { Errno, FUTEX, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { REG } from '@tvisor/platform';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('futex-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
let word: number;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
  const init = new Uint8Array(4);
  new DataView(init.buffer).setUint32(0, 7, true);
  word = h.alloc(t, 4, init);
});

const PRIVATE = FUTEX.PRIVATE_FLAG;

describe('futex', () => {
  it('FUTEX_WAIT with a stale value fails EAGAIN at once; waking nobody wakes 0', () => {
    expect(h.syscall(t, SYS.futex, word, FUTEX.WAIT | PRIVATE, 6, 0)).toBe(-Errno.EAGAIN);
    expect(h.syscall(t, SYS.futex, word, FUTEX.WAKE | PRIVATE, 1)).toBe(0);
  });

  it('a waiter parks until another thread wakes it; the wake counts it', () => {
    const waker = h.newThread(t);
    expect(h.syscall(t, SYS.futex, word, FUTEX.WAIT | PRIVATE, 7, 0)).toBeUndefined();
    expect(h.kernel.blocked.has(t)).toBe(true);
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE | PRIVATE, 10)).toBe(1);
    expect(h.kernel.blocked.has(t)).toBe(false);
    expect(t.regs.getSigned(REG.rax)).toBe(0);
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE | PRIVATE, 10)).toBe(0);
  });

  it('FUTEX_WAKE_BITSET wakes only waiters whose bitset intersects; a zero bitset is EINVAL', () => {
    const other = h.newThread(t);
    const waker = h.newThread(t);
    expect(h.syscall(t, SYS.futex, word, FUTEX.WAIT_BITSET | PRIVATE, 7, 0, 0, 0b01)).toBeUndefined();
    expect(h.syscall(other, SYS.futex, word, FUTEX.WAIT_BITSET | PRIVATE, 7, 0, 0, 0b10)).toBeUndefined();
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE_BITSET | PRIVATE, 10, 0, 0, 0b10)).toBe(1);
    expect([h.kernel.blocked.has(t), h.kernel.blocked.has(other)]).toEqual([true, false]);
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE_BITSET | PRIVATE, 10, 0, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE | PRIVATE, 10)).toBe(1);
  });

  it('an unmapped futex word is EFAULT; an unknown op is ENOSYS', () => {
    expect(h.syscall(t, SYS.futex, 0x2000, FUTEX.WAIT | PRIVATE, 0, 0)).toBe(-Errno.EFAULT);
    expect(h.syscall(t, SYS.futex, word, 99 | PRIVATE, 0, 0)).toBe(-Errno.ENOSYS);
  });

  it('a private and a shared futex at the same private address are different futexes (WakeWrongKind)', () => {
    const privateWaiter = h.newThread(t);
    const sharedWaiter = h.newThread(t);
    const waker = h.newThread(t);
    expect(h.syscall(privateWaiter, SYS.futex, word, FUTEX.WAIT | PRIVATE, 7, 0)).toBeUndefined();
    expect(h.syscall(sharedWaiter, SYS.futex, word, FUTEX.WAIT, 7, 0)).toBeUndefined();
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE, 10)).toBe(1);
    expect([h.kernel.blocked.has(privateWaiter), h.kernel.blocked.has(sharedWaiter)]).toEqual([true, false]);
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE, 10)).toBe(0);
    expect(h.syscall(waker, SYS.futex, word, FUTEX.WAKE | PRIVATE, 10)).toBe(1);
    expect(h.kernel.blocked.has(privateWaiter)).toBe(false);
  });

  it("a thread's exit clears clear_child_tid and wakes a shared waiter there, as pthread_join waits", () => {
    const joiner = h.newThread(t);
    const child = h.newThread(t);
    const tidWord = h.alloc(t, 4, new Uint8Array(new Uint32Array([child.tid]).buffer));
    expect(h.syscall(child, SYS.set_tid_address, tidWord)).toBe(child.tid);
    expect(h.syscall(joiner, SYS.futex, tidWord, FUTEX.WAIT, child.tid, 0)).toBeUndefined();
    h.syscall(child, SYS.exit, 0);
    expect(h.kernel.blocked.has(joiner)).toBe(false);
    expect(joiner.regs.getSigned(REG.rax)).toBe(0);
    expect(h.view(t, tidWord, 4).getUint32(0, true)).toBe(0);
  });
});
