// wait4's choice of children: __WNOTHREAD (only the calling thread's own
// children) and __WCLONE for a child its parent traces, on the real kernel
// and syscall handlers over the fake platform.
import { Errno, PTRACE, SYS, WAIT } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from './task.js';
import { KernelHarness, SCRATCH } from './testing/kernel-harness.js';

const memoryFile = MemoryFile.create('child-wait-test');
afterAll(() => memoryFile.close());

let harness: KernelHarness;
let init: Task;
beforeEach(() => {
  harness = new KernelHarness(memoryFile);
  // An init of their own: the processes under test are not init (whose exit ends them all).
  init = harness.newProcess();
});

const syscall = (t: Task, nr: number, ...args: number[]) => harness.syscall(t, nr, ...args);

/** wait4(pid, &status, options) from `t`: [result, status]. */
function wait4(t: Task, pid: number, options = 0): [number | undefined, number] {
  t.mm.copyOut(SCRATCH, new Uint8Array(4));
  const r = syscall(t, SYS.wait4, pid, SCRATCH, options, 0);
  return [r, harness.view(t, SCRATCH, 4).getUint32(0, true)];
}

describe('wait4 child selection', () => {
  it('__WNOTHREAD waits only for children the calling thread forked; without it any thread may reap them', () => {
    const parent = harness.newProcess(init.group);
    const sibling = harness.newThread(parent);
    const child = harness.newProcess(parent.group);
    child.group.parentThread = sibling;
    syscall(child, SYS.exit_group, 3);
    expect(wait4(parent, child.group.pid, WAIT.NOTHREAD | WAIT.NOHANG)[0]).toBe(-Errno.ECHILD);
    expect(wait4(parent, -1, WAIT.NOTHREAD | WAIT.NOHANG)[0]).toBe(-Errno.ECHILD);
    // The forking thread reaps it with __WNOTHREAD; another could have without.
    expect(wait4(sibling, child.group.pid, WAIT.NOTHREAD)).toEqual([child.group.pid, 3 << 8]);
    const second = harness.newProcess(parent.group);
    second.group.parentThread = sibling;
    syscall(second, SYS.exit_group, 4);
    expect(wait4(parent, second.group.pid)).toEqual([second.group.pid, 4 << 8]);
  });

  it('a child its parent traces is waited for with __WCLONE, alive or exited', () => {
    const tracer = harness.newProcess(init.group);
    const tracee = harness.newProcess(tracer.group);
    expect(ptraceTraceme(tracee)).toBe(0);
    // An untraced ordinary child does not match __WCLONE.
    const plain = harness.newProcess(tracer.group);
    syscall(plain, SYS.exit_group, 0);
    expect(wait4(tracer, plain.group.pid, WAIT.CLONE | WAIT.NOHANG)[0]).toBe(-Errno.ECHILD);
    expect(wait4(tracer, tracee.group.pid, WAIT.CLONE | WAIT.NOHANG)).toEqual([0, 0]);
    syscall(tracee, SYS.exit_group, 0);
    expect(wait4(tracer, tracee.group.pid, WAIT.CLONE)).toEqual([tracee.group.pid, 0]);
  });
});

function ptraceTraceme(t: Task): number | undefined {
  return syscall(t, SYS.ptrace, PTRACE.TRACEME, 0, 0, 0);
}
