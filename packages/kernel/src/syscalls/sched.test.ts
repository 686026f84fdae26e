// Scheduling state (policies, sched_attr, affinity, nice, ioprio) served in-process on the fake platform.
import { CAP, Errno, IOPRIO_CLASS, IOPRIO_CLASS_SHIFT, IOPRIO_WHO, PRIO, RLIMIT, SCHED, SCHED_ATTR_SIZE, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';
import { newCredentials, capMask } from '../credentials.js';
import { allCpusMask, cpuListText, inheritSchedState, onlineCpuCount } from '../sched-state.js';

const memoryFile = MemoryFile.create('sched-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

function attr(fields: { size?: number; policy?: number; flags?: bigint; nice?: number; priority?: number }, length = 64): number {
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  v.setUint32(0, fields.size ?? SCHED_ATTR_SIZE.VER1, true);
  v.setUint32(4, fields.policy ?? SCHED.NORMAL, true);
  v.setBigUint64(8, fields.flags ?? 0n, true);
  v.setInt32(16, fields.nice ?? 0, true);
  v.setUint32(20, fields.priority ?? 0, true);
  return h.alloc(t, length, b);
}

function getattr(pid: number): { size: number; policy: number; nice: number; priority: number } {
  const out = h.alloc(t, 64);
  expect(h.syscall(t, SYS.sched_getattr, pid, out, 64, 0)).toBe(0);
  const v = h.view(t, out, 64);
  return { size: v.getUint32(0, true), policy: v.getUint32(4, true), nice: v.getInt32(16, true), priority: v.getUint32(20, true) };
}

function param(priority: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, priority, true);
  return h.alloc(t, 4, b);
}

describe('sched_setattr / sched_getattr / sched_setscheduler', () => {
  it('records the policy and nice per thread, as sched_getscheduler and sched_getattr report them', () => {
    expect(getattr(0)).toEqual({ size: SCHED_ATTR_SIZE.VER1, policy: SCHED.NORMAL, nice: 0, priority: 0 });
    expect(h.syscall(t, SYS.sched_setattr, 0, attr({ policy: SCHED.BATCH, nice: 5 }), 0)).toBe(0);
    expect(getattr(0)).toMatchObject({ policy: SCHED.BATCH, nice: 5 });
    expect(h.syscall(t, SYS.sched_getscheduler, 0)).toBe(SCHED.BATCH);
    const other = h.newThread(t);
    expect(getattr(other.tid)).toMatchObject({ policy: SCHED.NORMAL, nice: 0 });
    expect(h.syscall(t, SYS.sched_setscheduler, other.tid, SCHED.FIFO, param(10))).toBe(0);
    expect(getattr(other.tid)).toMatchObject({ policy: SCHED.FIFO, priority: 10 });
    expect(h.syscall(t, SYS.sched_getscheduler, 0)).toBe(SCHED.BATCH);
  });

  it('rejects what Linux rejects: bad pid, null attr, flags, sizes (E2BIG with the kernel size written back), priorities that do not fit the policy', () => {
    expect(h.syscall(t, SYS.sched_setattr, -1, attr({}), 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_setattr, 0, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_setattr, 0, attr({}), 2)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_setattr, 1 << 29, attr({ size: 0 }), 0)).toBe(-Errno.ESRCH);
    const small = attr({ size: 12 });
    expect(h.syscall(t, SYS.sched_setattr, 0, small, 0)).toBe(-Errno.E2BIG);
    expect(h.view(t, small, 4).getUint32(0, true)).toBe(SCHED_ATTR_SIZE.VER1);
    // A larger struct is taken only if the bytes this kernel does not know are zero.
    const bigZero = attr({ size: 64, policy: SCHED.IDLE });
    expect(h.syscall(t, SYS.sched_setattr, 0, bigZero, 0)).toBe(0);
    const dirty = new Uint8Array(64);
    new DataView(dirty.buffer).setUint32(0, 64, true);
    dirty[60] = 1;
    const bigDirty = h.alloc(t, 64, dirty);
    expect(h.syscall(t, SYS.sched_setattr, 0, bigDirty, 0)).toBe(-Errno.E2BIG);
    expect(h.syscall(t, SYS.sched_setattr, 0, attr({ policy: SCHED.DEADLINE }), 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_setattr, 0, attr({ policy: 42 }), 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_setscheduler, 0, SCHED.FIFO, param(0))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_setscheduler, 0, SCHED.NORMAL, param(1))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_getparam, -1, param(0))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_getparam, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_getscheduler, -1)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_get_priority_max, 42)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_getattr, 0, h.alloc(t, 64), SCHED_ATTR_SIZE.VER0 - 1, 0)).toBe(-Errno.EINVAL);
  });

  it('real-time policies need CAP_SYS_NICE or RLIMIT_RTPRIO; another user’s thread needs CAP_SYS_NICE', () => {
    const user = h.newProcess(undefined, newCredentials(1000, 1000));
    t = user;
    expect(h.syscall(user, SYS.sched_setscheduler, 0, SCHED.FIFO, param(5))).toBe(-Errno.EPERM);
    user.group.rlimits[RLIMIT.RTPRIO] = [10n, 10n];
    expect(h.syscall(user, SYS.sched_setscheduler, 0, SCHED.FIFO, param(5))).toBe(0);
    expect(h.syscall(user, SYS.sched_setscheduler, 0, SCHED.FIFO, param(11))).toBe(-Errno.EPERM);
    const root = h.newProcess();
    expect(h.syscall(user, SYS.sched_setscheduler, root.tid, SCHED.BATCH, param(0))).toBe(-Errno.EPERM);
  });

  it('SCHED_RESET_ON_FORK gives a child the default policy and no negative nice', () => {
    t.sched.policy = SCHED.FIFO;
    t.sched.priority = 50;
    t.sched.nice = -5;
    t.sched.resetOnFork = true;
    expect(inheritSchedState(t.sched)).toMatchObject({ policy: SCHED.NORMAL, priority: 0, nice: 0, resetOnFork: false });
    t.sched.resetOnFork = false;
    expect(inheritSchedState(t.sched)).toMatchObject({ policy: SCHED.FIFO, priority: 50, nice: -5 });
  });
});

describe('sched_setaffinity / sched_getaffinity', () => {
  it('keeps the mask per thread, drops CPUs the sandbox does not have, refuses an empty result', () => {
    const bytes = Math.ceil(onlineCpuCount() / 64) * 8;
    const mask = (bits: bigint) => {
      const b = new Uint8Array(128);
      for (let i = 0; i < 1024; i++) if ((bits >> BigInt(i)) & 1n) b[i >> 3] |= 1 << (i & 7);
      return h.alloc(t, 128, b);
    };
    const get = (pid: number) => {
      const out = h.alloc(t, 128);
      expect(h.syscall(t, SYS.sched_getaffinity, pid, 128, out)).toBe(bytes);
      let m = 0n;
      const b = h.read(t, out, bytes);
      for (let i = 0; i < bytes * 8; i++) if (b[i >> 3] & (1 << (i & 7))) m |= 1n << BigInt(i);
      return m;
    };
    expect(get(0)).toBe(allCpusMask());
    const highest = 1n << BigInt(bytes * 8 - 1);
    expect(h.syscall(t, SYS.sched_setaffinity, 0, 128, mask(1n | highest))).toBe(0);
    expect(get(0)).toBe(onlineCpuCount() === bytes * 8 ? 1n | highest : 1n);
    const other = h.newThread(t);
    expect(get(other.tid)).toBe(allCpusMask());
    expect(h.syscall(t, SYS.sched_setaffinity, 0, 128, mask(0n))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_getaffinity, 0, bytes - 1, h.alloc(t, 128))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.sched_getaffinity, 0x7ffffffe, 128, h.alloc(t, 128))).toBe(-Errno.ESRCH);
    expect(h.syscall(t, SYS.sched_setaffinity, 0x7ffffffe, 128, mask(1n))).toBe(-Errno.ESRCH);
    expect(cpuListText(0b1101110n)).toBe('1-3,5-6');
  });
});

describe('getpriority / setpriority / ioprio', () => {
  it('nice is per thread, clamped to -20..19; the raw getpriority returns 20 - nice', () => {
    const other = h.newThread(t);
    expect(h.syscall(t, SYS.setpriority, PRIO.PROCESS, other.tid, 100)).toBe(0);
    expect(h.syscall(t, SYS.getpriority, PRIO.PROCESS, other.tid)).toBe(20 - 19);
    expect(h.syscall(t, SYS.getpriority, PRIO.PROCESS, 0)).toBe(20);
    expect(h.syscall(t, SYS.setpriority, PRIO.PROCESS, 0, -100)).toBe(0);
    expect(h.syscall(t, SYS.getpriority, PRIO.PROCESS, 0)).toBe(40);
    // PRIO_PGRP reports the highest priority among the group's threads.
    expect(h.syscall(t, SYS.getpriority, PRIO.PGRP, 0)).toBe(40);
    expect(h.syscall(t, SYS.getpriority, 3, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.getpriority, PRIO.PROCESS, 0x7ffffffe)).toBe(-Errno.ESRCH);
  });

  it('lowering nice needs CAP_SYS_NICE or RLIMIT_NICE (EACCES); renicing another user needs CAP_SYS_NICE (EPERM)', () => {
    const user = h.newProcess(undefined, newCredentials(1000, 1000));
    expect(h.syscall(user, SYS.setpriority, PRIO.PROCESS, 0, 5)).toBe(0);
    expect(h.syscall(user, SYS.setpriority, PRIO.PROCESS, 0, 2)).toBe(-Errno.EACCES);
    user.group.rlimits[RLIMIT.NICE] = [20n, 20n];
    expect(h.syscall(user, SYS.setpriority, PRIO.PROCESS, 0, 0)).toBe(0);
    expect(h.syscall(user, SYS.setpriority, PRIO.PROCESS, t.tid, 5)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setpriority, PRIO.PROCESS, user.tid, 7)).toBe(0);
    t.creds.effective &= ~capMask(CAP.SYS_NICE);
    expect(h.syscall(t, SYS.setpriority, PRIO.PROCESS, user.tid, 8)).toBe(-Errno.EPERM);
  });

  it('ioprio starts as class NONE, is set and read back, and is validated as Linux does', () => {
    const value = (klass: number, data: number) => (klass << IOPRIO_CLASS_SHIFT) | data;
    expect(h.syscall(t, SYS.ioprio_get, IOPRIO_WHO.PROCESS, 0)).toBe(0);
    expect(h.syscall(t, SYS.ioprio_set, IOPRIO_WHO.PROCESS, 0, value(IOPRIO_CLASS.IDLE, 0))).toBe(0);
    expect(h.syscall(t, SYS.ioprio_get, IOPRIO_WHO.PROCESS, t.tid)).toBe(value(IOPRIO_CLASS.IDLE, 0));
    expect(h.syscall(t, SYS.ioprio_set, IOPRIO_WHO.PROCESS, 0, value(5, 0))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.ioprio_set, IOPRIO_WHO.PROCESS, 0, value(IOPRIO_CLASS.NONE, 1))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.ioprio_set, IOPRIO_WHO.PROCESS, 0, value(IOPRIO_CLASS.RT, 4))).toBe(0);
    t.creds.effective &= ~(capMask(CAP.SYS_NICE) | capMask(CAP.SYS_ADMIN));
    expect(h.syscall(t, SYS.ioprio_set, IOPRIO_WHO.PROCESS, 0, value(IOPRIO_CLASS.RT, 4))).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.ioprio_get, 4, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.ioprio_get, IOPRIO_WHO.PROCESS, 0x7ffffffe)).toBe(-Errno.ESRCH);
  });
});
