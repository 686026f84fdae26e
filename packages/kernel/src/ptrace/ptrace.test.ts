// The ptrace stop/resume state machine, served by the real kernel and
// syscall handlers on the fake platform: a stopped tracee is one whose
// context the kernel does not resume until its tracer says so.
import { Errno, PTRACE, PTRACE_EVENT, PTRACE_O, SYS, Signal, WAIT, wStopCode } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { REG } from '@tvisor/platform';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sigbit } from '../signals.js';
import type { Task } from '../task.js';
import { KernelHarness, SCRATCH } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('ptrace-test');
afterAll(() => memoryFile.close());

let harness: KernelHarness;
beforeEach(() => {
  harness = new KernelHarness(memoryFile);
});

const syscall = (t: Task, nr: number, ...args: number[]) => harness.syscall(t, nr, ...args);
const running = (t: Task) => harness.ctx(t).running;
const ptrace = (t: Task, req: number, pid: number, addr = 0, data = 0) => syscall(t, SYS.ptrace, req, pid, addr, data);

/** wait4(pid, &status, options) from `t`: [result, status]. */
function wait4(t: Task, pid: number, options = 0): [number | undefined, number] {
  t.mm.copyOut(SCRATCH, new Uint8Array(4));
  const r = syscall(t, SYS.wait4, pid, SCRATCH, options, 0);
  return [r, harness.view(t, SCRATCH, 4).getUint32(0, true)];
}

/** A tracer and its child, traced through PTRACE_TRACEME (under an init of their own: init's exit would kill them all). */
function traced(): { tracer: Task; tracee: Task } {
  const init = harness.newProcess();
  const tracer = harness.newProcess(init.group);
  const tracee = harness.newProcess(tracer.group);
  expect(ptrace(tracee, PTRACE.TRACEME, 0)).toBe(0);
  return { tracer, tracee };
}

describe('ptrace stops', () => {
  it('a signal stops the tracee until the tracer resumes it; the signal it gives back is the one delivered', () => {
    const { tracer, tracee } = traced();
    expect(syscall(tracer, SYS.kill, tracee.group.pid, Signal.SIGUSR1)).toBe(0);
    harness.takeInterrupt(tracee);
    // Held in a signal-delivery-stop, not killed by SIGUSR1's default action.
    expect(running(tracee)).toBe(false);
    expect(tracee.group.exitStatus).toBeUndefined();
    expect(wait4(tracer, tracee.tid)).toEqual([tracee.tid, wStopCode(Signal.SIGUSR1)]);
    // Reported once.
    expect(wait4(tracer, tracee.tid, WAIT.NOHANG)).toEqual([0, 0]);
    // Suppressed: it runs on.
    expect(ptrace(tracer, PTRACE.CONT, tracee.tid, 0, 0)).toBe(0);
    expect(running(tracee)).toBe(true);
    expect(tracee.group.exitStatus).toBeUndefined();
    // Given back: delivered, and its default action kills.
    expect(syscall(tracer, SYS.kill, tracee.group.pid, Signal.SIGUSR1)).toBe(0);
    harness.takeInterrupt(tracee);
    expect(ptrace(tracer, PTRACE.CONT, tracee.tid, 0, Signal.SIGUSR1)).toBe(0);
    expect(tracee.group.exitStatus).toBe(Signal.SIGUSR1);
  });

  it('requests other than KILL need the tracee stopped (ESRCH), and only its tracer may make them', () => {
    const { tracer, tracee } = traced();
    expect(ptrace(tracer, PTRACE.CONT, tracee.tid)).toBe(-Errno.ESRCH);
    const other = harness.newProcess();
    expect(ptrace(other, PTRACE.CONT, tracee.tid)).toBe(-Errno.ESRCH);
    expect(ptrace(other, PTRACE.ATTACH, tracee.tid)).toBe(-Errno.EPERM);
    expect(ptrace(tracer, PTRACE.ATTACH, tracer.tid)).toBe(-Errno.EPERM);
  });

  it('PTRACE_SYSCALL: an enter stop before the syscall runs and an exit stop with its result; SYSEMU skips it', () => {
    const { tracer, tracee } = traced();
    syscall(tracer, SYS.kill, tracee.group.pid, Signal.SIGSTOP);
    harness.takeInterrupt(tracee);
    wait4(tracer, tracee.tid);
    expect(ptrace(tracer, PTRACE.SETOPTIONS, tracee.tid, 0, PTRACE_O.TRACESYSGOOD)).toBe(0);
    expect(ptrace(tracer, PTRACE.SYSCALL, tracee.tid)).toBe(0);
    // getpid stops at entry: not run yet, rax reads -ENOSYS.
    expect(syscall(tracee, SYS.getpid)).toBe(-Errno.ENOSYS);
    expect(running(tracee)).toBe(false);
    const sysgood = Signal.SIGTRAP | 0x80;
    expect(wait4(tracer, -1, WAIT.ALL)).toEqual([tracee.tid, wStopCode(sysgood)]);
    expect(tracee.regs.getSigned(REG.orig_rax)).toBe(SYS.getpid);
    // Resumed with PTRACE_SYSCALL: the syscall runs and stops again at its exit.
    expect(ptrace(tracer, PTRACE.SYSCALL, tracee.tid)).toBe(0);
    expect(running(tracee)).toBe(false);
    expect(tracee.regs.getSigned(REG.rax)).toBe(tracee.group.pid);
    expect(wait4(tracer, -1, WAIT.ALL)).toEqual([tracee.tid, wStopCode(sysgood)]);
    // The tracer changes the result there.
    tracee.regs.set(REG.rax, 77);
    expect(ptrace(tracer, PTRACE.SYSEMU, tracee.tid)).toBe(0);
    expect(running(tracee)).toBe(true);
    expect(tracee.regs.getSigned(REG.rax)).toBe(77);
    // SYSEMU: the next syscall stops at entry and is never run, however the tracer resumes it.
    syscall(tracee, SYS.getpid);
    wait4(tracer, -1, WAIT.ALL);
    tracee.regs.set(REG.rax, 5);
    expect(ptrace(tracer, PTRACE.CONT, tracee.tid)).toBe(0);
    expect(running(tracee)).toBe(true);
    expect(tracee.regs.getSigned(REG.rax)).toBe(5);
  });

  it('a fork event stops the parent before fork returns; the new child starts traced and stopped', () => {
    const { tracer, tracee } = traced();
    syscall(tracer, SYS.kill, tracee.group.pid, Signal.SIGSTOP);
    harness.takeInterrupt(tracee);
    wait4(tracer, tracee.tid);
    ptrace(tracer, PTRACE.SETOPTIONS, tracee.tid, 0, PTRACE_O.TRACEFORK);
    ptrace(tracer, PTRACE.CONT, tracee.tid);
    syscall(tracee, SYS.fork);
    expect(running(tracee)).toBe(false);
    expect(wait4(tracer, tracee.tid)).toEqual([tracee.tid, wStopCode(Signal.SIGTRAP, PTRACE_EVENT.FORK)]);
    const msg = SCRATCH + 64;
    expect(ptrace(tracer, PTRACE.GETEVENTMSG, tracee.tid, 0, msg)).toBe(0);
    const childPid = Number(harness.view(tracer, msg, 8).getBigUint64(0, true));
    const child = harness.kernel.tasks.get(childPid)!;
    expect(child.ptrace?.tracer).toBe(tracer);
    expect(running(child)).toBe(false);
    // Not the tracer's child, yet its tracer waits for it (with or without __WALL).
    expect(wait4(tracer, childPid)).toEqual([childPid, wStopCode(Signal.SIGSTOP)]);
    expect(ptrace(tracer, PTRACE.CONT, childPid)).toBe(0);
    expect(running(child)).toBe(true);
    expect(ptrace(tracer, PTRACE.CONT, tracee.tid)).toBe(0);
    expect(running(tracee)).toBe(true);
    // The tracer hears of its exit; its parent reaps it only afterwards (blocking SIGCHLD, which would stop it for the tracer).
    tracee.blocked = sigbit(Signal.SIGCHLD);
    syscall(child, SYS.exit_group, 4);
    expect(wait4(tracee, childPid, WAIT.NOHANG)).toEqual([0, 0]);
    expect(wait4(tracer, childPid)).toEqual([childPid, 4 << 8]);
    expect(wait4(tracee, childPid)).toEqual([childPid, 4 << 8]);
  });

  it("the tracer's exit lets a stopped tracee go on, or kills it with PTRACE_O_EXITKILL", () => {
    const { tracer, tracee } = traced();
    syscall(tracer, SYS.kill, tracee.group.pid, Signal.SIGSTOP);
    harness.takeInterrupt(tracee);
    expect(running(tracee)).toBe(false);
    const second = harness.newProcess(tracer.group);
    expect(ptrace(tracer, PTRACE.SEIZE, second.tid, 0, PTRACE_O.EXITKILL)).toBe(0);
    syscall(tracer, SYS.exit_group, 0);
    expect(tracee.ptrace).toBeUndefined();
    expect(running(tracee)).toBe(true);
    expect(second.group.exitStatus).toBe(Signal.SIGKILL);
  });
});
