// Yama's ptrace_scope as the sentry applies it to PTRACE_ATTACH and
// PTRACE_TRACEME, with PR_SET_PTRACER exceptions (ptrace_test's
// TraceParentNotAllowed, PrctlSetPtracer* cases), on the fake platform.
import { CAP, Errno, PR, PR_SET_PTRACER_ANY, PTRACE, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newCredentials } from './credentials.js';
import { YAMA_SCOPE } from './ptrace-access.js';
import type { Task } from './task.js';
import { KernelHarness } from './testing/kernel-harness.js';

const memoryFile = MemoryFile.create('ptrace-access-test');
afterAll(() => memoryFile.close());

/** An unprivileged user: same uid everywhere, no CAP_SYS_PTRACE. */
const USER = newCredentials(1000, 1000);

let h: KernelHarness;
let parent: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  const init = h.newProcess();
  parent = h.newProcess(init.group, USER);
});

/** PTRACE_ATTACH from `tracer` to `target`, detached again when it worked. */
function attach(tracer: Task, target: Task): number | undefined {
  const r = h.syscall(tracer, SYS.ptrace, PTRACE.ATTACH, target.tid, 0, 0);
  if (r === 0) {
    target.ptrace!.tracer.group.tracees.delete(target);
    target.ptrace = undefined;
  }
  return r;
}

describe('Yama ptrace_scope', () => {
  it('scope 1: a process may attach to its descendants, not to its parent or a sibling', () => {
    expect(h.kernel.ptraceScope).toBe(YAMA_SCOPE.RELATIONAL);
    const child = h.newProcess(parent.group, USER);
    const sibling = h.newProcess(parent.group, USER);
    const grandchild = h.newProcess(child.group, USER);
    expect(attach(parent, grandchild)).toBe(0);
    expect(attach(child, parent)).toBe(-Errno.EPERM);
    expect(attach(child, sibling)).toBe(-Errno.EPERM);
    // CAP_SYS_PTRACE overrides the relation.
    const admin = h.newProcess(
      sibling.group,
      newCredentials(1000, 1000, [], { effective: 1n << BigInt(CAP.SYS_PTRACE), permitted: 1n << BigInt(CAP.SYS_PTRACE) }),
    );
    expect(attach(admin, child)).toBe(0);
  });

  it('PR_SET_PTRACER names a tracer (or an ancestor of it, or anyone) for the whole process until withdrawn', () => {
    const tracee = h.newProcess(parent.group, USER);
    const tracerProcess = h.newProcess(parent.group, USER);
    const tracer = h.newThread(tracerProcess);
    const traceeThread = h.newThread(tracee);
    const setPtracer = (t: Task, pid: number) => h.syscall(t, SYS.prctl, PR.SET_PTRACER, pid, 0, 0, 0);
    expect(attach(tracer, tracee)).toBe(-Errno.EPERM);
    expect(setPtracer(traceeThread, tracerProcess.tid)).toBe(0);
    expect(attach(tracer, tracee)).toBe(0);
    expect(attach(tracer, parent)).toBe(-Errno.EPERM);
    // An ancestor of the tracer: the tracer is its descendant.
    expect(setPtracer(tracee, parent.tid)).toBe(0);
    expect(attach(tracer, tracee)).toBe(0);
    expect(setPtracer(tracee, 0)).toBe(0);
    expect(attach(tracer, tracee)).toBe(-Errno.EPERM);
    expect(setPtracer(tracee, PR_SET_PTRACER_ANY)).toBe(0);
    expect(attach(tracer, tracee)).toBe(0);
    expect(setPtracer(tracee, 0)).toBe(0);
    // An int -1 passed to prctl's varargs without sign extension.
    expect(setPtracer(tracee, 0xffff_ffff)).toBe(0);
    expect(attach(tracer, tracee)).toBe(0);
    expect(setPtracer(tracee, 123456789)).toBe(-Errno.EINVAL);
    // The declared tracer thread's exit ends the exception.
    expect(setPtracer(tracee, tracer.tid)).toBe(0);
    const other = h.newThread(tracerProcess);
    h.syscall(tracer, SYS.exit, 0);
    expect(attach(other, tracee)).toBe(-Errno.EPERM);
  });

  it('scope 3: no attach at all, and no PTRACE_TRACEME', () => {
    h.kernel.ptraceScope = YAMA_SCOPE.NO_ATTACH;
    const child = h.newProcess(parent.group, USER);
    expect(attach(parent, child)).toBe(-Errno.EPERM);
    expect(h.syscall(child, SYS.ptrace, PTRACE.TRACEME, 0, 0, 0)).toBe(-Errno.EPERM);
  });
});
