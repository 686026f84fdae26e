// Job control (group stop, SIGCONT, wait reports) served by the real kernel
// and syscall handlers, on a fake platform whose contexts only record
// whether the kernel let them run and whether it asked them to stop.
import { CLD, Errno, SA, SYS, Signal, W_CONTINUED, WAIT, wStopCode, P } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { REG } from '@tvisor/platform';
import type { FakePlatform } from '@tvisor/platform/testing';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { procStat } from './fs/proc/pid-files.js';
import type { Kernel } from './kernel.js';
import { sigbit } from './signals.js';
import { decodeSigInfo } from './signals/index.js';
import { Task, type ThreadGroup } from './task.js';
import { KernelHarness, SCRATCH } from './testing/kernel-harness.js';

const memoryFile = MemoryFile.create('job-control-test');
afterAll(() => memoryFile.close());

let harness: KernelHarness;
let kernel: Kernel;
let platform: FakePlatform;

const newProcess = (parent: ThreadGroup | undefined): Task => harness.newProcess(parent);
const newThread = (t: Task): Task => harness.newThread(t);
const ctx = (t: Task) => harness.ctx(t);
const syscall = (t: Task, nr: number, ...args: number[]): number | undefined => harness.syscall(t, nr, ...args);
const takeInterrupt = (t: Task): void => harness.takeInterrupt(t);

/** wait4(pid, &status, options) from `t`: [result, status]. */
function wait4(t: Task, pid: number, options: number): [number | undefined, number] {
  t.mm.copyOut(SCRATCH, new Uint8Array(4));
  const r = syscall(t, SYS.wait4, pid, SCRATCH, options, 0);
  return [r, new DataView(t.mm.copyIn(SCRATCH, 4).buffer).getUint32(0, true)];
}

/** Sets `sig`'s action in `t`'s process: handler, flags. */
function sigaction(t: Task, sig: number, handler: bigint, flags = 0): void {
  t.group.signals.actions[sig] = { handler, flags: BigInt(flags), restorer: 0n, mask: 0n };
}

/** The si_code and si_status of the SIGCHLD pending for `g`, taking it. */
function takeSigchld(g: ThreadGroup): { code: number; status: number; pid: number } | undefined {
  if (!(g.signals.pending & sigbit(Signal.SIGCHLD))) return undefined;
  const d = decodeSigInfo(g.signals.dequeue(Signal.SIGCHLD)!);
  if (d.layout !== 'chld') throw new Error(`SIGCHLD with layout ${d.layout}`);
  return { code: d.info.si_code, status: d.info.si_status, pid: d.info.si_pid };
}

beforeEach(() => {
  harness = new KernelHarness(memoryFile);
  kernel = harness.kernel;
  platform = harness.platform;
});

/** A parent (blocking SIGCHLD so it stays pending to look at) and a child in its own process group of the parent's session. */
function family(): { parent: Task; child: Task } {
  const parent = newProcess(undefined);
  parent.blocked = sigbit(Signal.SIGCHLD);
  sigaction(parent, Signal.SIGCHLD, 0x1000n);
  const child = newProcess(parent.group);
  child.group.pgid = child.group.pid;
  return { parent, child };
}

describe('group stop', () => {
  it('stops every thread; the parent is told once the last running thread has stopped; SIGCONT resumes them all', () => {
    const { parent, child } = family();
    const spinner = newThread(child);
    const parked = newThread(child);
    expect(syscall(parked, SYS.pause)).toBeUndefined();

    expect(syscall(parent, SYS.kill, child.group.pid, Signal.SIGSTOP)).toBe(0);
    // The first thread that does not block it is asked to stop and take it.
    expect(child.group.jobStop.state).toBe('running');
    expect([child, spinner].map((t) => ctx(t).interruptRequested)).toEqual([true, false]);
    takeInterrupt(child);
    // It stops the process: the other running thread is asked to stop too, the parked one left alone.
    expect(ctx(child).running).toBe(false);
    expect(child.group.jobStop.state).toBe('stopping');
    expect([spinner, parked].map((t) => ctx(t).interruptRequested)).toEqual([true, false]);
    expect(wait4(parent, child.group.pid, WAIT.UNTRACED | WAIT.NOHANG)).toEqual([0, 0]);
    expect(takeSigchld(parent.group)).toBeUndefined();
    takeInterrupt(spinner);
    expect(child.group.jobStop.state).toBe('stopped');
    expect([child, spinner, parked].map((t) => ctx(t).running)).toEqual([false, false, false]);
    expect(kernel.blocked.has(parked)).toBe(true);
    expect(takeSigchld(parent.group)).toEqual({ code: CLD.STOPPED, status: Signal.SIGSTOP, pid: child.group.pid });
    expect(procStat(kernel, child.group).split(' ')[2]).toBe('T');

    // Reported once.
    expect(wait4(parent, child.group.pid, WAIT.UNTRACED | WAIT.NOHANG)).toEqual([child.group.pid, wStopCode(Signal.SIGSTOP)]);
    expect(wait4(parent, child.group.pid, WAIT.UNTRACED | WAIT.NOHANG)).toEqual([0, 0]);
    // Without WUNTRACED a stop is no news.
    expect(wait4(parent, child.group.pid, WAIT.NOHANG)).toEqual([0, 0]);

    expect(syscall(parent, SYS.kill, child.group.pid, Signal.SIGCONT)).toBe(0);
    expect(child.group.jobStop.state).toBe('running');
    expect([child, spinner].map((t) => ctx(t).running)).toEqual([true, true]);
    expect(kernel.blocked.has(parked)).toBe(true);
    expect(takeSigchld(parent.group)).toEqual({ code: CLD.CONTINUED, status: Signal.SIGCONT, pid: child.group.pid });
    expect(wait4(parent, child.group.pid, WAIT.CONTINUED | WAIT.NOHANG)).toEqual([child.group.pid, W_CONTINUED]);
    expect(wait4(parent, child.group.pid, WAIT.CONTINUED | WAIT.NOHANG)).toEqual([0, 0]);
    expect(kernel.stoppedTasks.size).toBe(0);
  });

  it('holds a parked thread whose syscall completes while the process is stopped, and resumes it with its result on SIGCONT', () => {
    const { parent, child } = family();
    const waiter = newThread(child);
    let complete: (r: number) => void = () => {};
    ctx(waiter).running = false;
    kernel.block(waiter, (done) => {
      complete = done;
      return () => {};
    });
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGTSTP);
    takeInterrupt(child);
    expect(child.group.jobStop.state).toBe('stopped');
    complete(42);
    expect(kernel.blocked.has(waiter)).toBe(false);
    expect(ctx(waiter).running).toBe(false);
    expect(waiter.jobStopped).toBe(true);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGCONT);
    expect(ctx(waiter).running).toBe(true);
    expect(waiter.regs.getSigned(REG.rax)).toBe(42);
  });

  it('a thread created while the process is stopping is held', () => {
    const { parent, child } = family();
    const other = newThread(child);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGSTOP);
    takeInterrupt(child);
    expect(child.group.jobStop.state).toBe('stopping');
    // `other` makes a syscall before it sees its interrupt: a new thread comes from it.
    const t = new Task(kernel, kernel.allocateId(), child.group, platform.newThread(other.context));
    child.group.tasks.add(t);
    kernel.addTask(t);
    kernel.startTask(t);
    expect(ctx(t).running).toBe(false);
    expect(syscall(other, SYS.getpid)).toBe(child.group.pid);
    expect(ctx(other).running).toBe(false);
    expect(child.group.jobStop.state).toBe('stopped');
  });

  it('SA_NOCLDSTOP: no SIGCHLD for stops and continues, but wait still reports them', () => {
    const { parent, child } = family();
    sigaction(parent, Signal.SIGCHLD, 0x1000n, SA.NOCLDSTOP);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGSTOP);
    takeInterrupt(child);
    expect(takeSigchld(parent.group)).toBeUndefined();
    expect(wait4(parent, -1, WAIT.UNTRACED | WAIT.NOHANG)).toEqual([child.group.pid, wStopCode(Signal.SIGSTOP)]);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGCONT);
    expect(takeSigchld(parent.group)).toBeUndefined();
    expect(wait4(parent, -1, WAIT.CONTINUED | WAIT.NOHANG)).toEqual([child.group.pid, W_CONTINUED]);
  });

  it('wakes a parent parked in wait4(WUNTRACED)', () => {
    const { parent, child } = family();
    const helper = newProcess(parent.group);
    expect(wait4(parent, child.group.pid, WAIT.UNTRACED)[0]).toBeUndefined();
    syscall(helper, SYS.kill, child.group.pid, Signal.SIGSTOP);
    expect(kernel.blocked.has(parent)).toBe(true);
    takeInterrupt(child);
    expect(kernel.blocked.has(parent)).toBe(false);
    expect(parent.regs.getSigned(REG.rax)).toBe(child.group.pid);
    expect(new DataView(parent.mm.copyIn(SCRATCH, 4).buffer).getUint32(0, true)).toBe(wStopCode(Signal.SIGSTOP));
  });

  it('SIGKILL ends a stopped process', () => {
    const { parent, child } = family();
    const other = newThread(child);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGSTOP);
    takeInterrupt(child);
    takeInterrupt(other);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGTERM);
    // A fatal signal waits for the process to be continued.
    expect(child.group.exitStatus).toBeUndefined();
    expect(child.group.signals.pending & sigbit(Signal.SIGTERM)).not.toBe(0n);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGKILL);
    expect(kernel.stoppedTasks.size).toBe(0);
    expect(wait4(parent, child.group.pid, WAIT.NOHANG)).toEqual([child.group.pid, Signal.SIGKILL]);
  });

  it('a terminal stop signal is discarded in an orphaned process group; SIGSTOP still stops', () => {
    const { parent, child } = family();
    // A session leader's group has no parent in its session: orphaned.
    child.group.sid = child.group.pid;
    for (const sig of [Signal.SIGTSTP, Signal.SIGTTIN, Signal.SIGTTOU]) {
      syscall(parent, SYS.kill, child.group.pid, sig);
      takeInterrupt(child);
      expect(child.group.jobStop.state).toBe('running');
      expect(ctx(child).running).toBe(true);
    }
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGSTOP);
    takeInterrupt(child);
    expect(child.group.jobStop.state).toBe('stopped');
  });

  it('SIGCONT discards pending stop signals, and a stop signal a pending SIGCONT, whatever the mask', () => {
    const { parent, child } = family();
    child.blocked = sigbit(Signal.SIGTSTP) | sigbit(Signal.SIGCONT);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGTSTP);
    expect(child.group.signals.pending).toBe(sigbit(Signal.SIGTSTP));
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGCONT);
    expect(child.group.signals.pending).toBe(sigbit(Signal.SIGCONT));
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGTTOU);
    expect(child.group.signals.pending).toBe(sigbit(Signal.SIGTTOU));
    // Unblocked, the pending stop signal stops the process when it next leaves the kernel.
    child.blocked = 0n;
    syscall(child, SYS.getpid);
    expect(child.group.jobStop.state).toBe('stopped');
    expect(ctx(child).running).toBe(false);
  });

  it('a caught stop signal runs no stop; SIGCONT continues even when caught, ignored or blocked', () => {
    const { parent, child } = family();
    sigaction(child, Signal.SIGTSTP, 0x2000n);
    child.blocked = sigbit(Signal.SIGTSTP);
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGTSTP);
    expect(child.group.jobStop.state).toBe('running');
    for (const [handler, blocked] of [
      [1n, 0n],
      [0n, sigbit(Signal.SIGCONT)],
    ] as const) {
      syscall(parent, SYS.kill, child.group.pid, Signal.SIGSTOP);
      takeInterrupt(child);
      expect(child.group.jobStop.state).toBe('stopped');
      sigaction(child, Signal.SIGCONT, handler);
      child.blocked = blocked;
      syscall(parent, SYS.kill, child.group.pid, Signal.SIGCONT);
      expect(child.group.jobStop.state).toBe('running');
      expect(ctx(child).running).toBe(true);
    }
  });

  it('waitid: WSTOPPED with WNOWAIT leaves the report, without it the report is used up; WNOHANG with nothing writes zeros', () => {
    const { parent, child } = family();
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGSTOP);
    takeInterrupt(child);
    const info = () => {
      const v = new DataView(parent.mm.copyIn(SCRATCH, 28).buffer);
      return { signo: v.getInt32(0, true), code: v.getInt32(8, true), pid: v.getInt32(16, true), status: v.getInt32(24, true) };
    };
    const stopped = { signo: Signal.SIGCHLD, code: CLD.STOPPED, pid: child.group.pid, status: Signal.SIGSTOP };
    expect(syscall(parent, SYS.waitid, P.PID, child.group.pid, SCRATCH, WAIT.STOPPED | WAIT.NOWAIT | WAIT.NOHANG, 0)).toBe(0);
    expect(info()).toEqual(stopped);
    parent.mm.copyOut(SCRATCH, new Uint8Array(28).fill(0xff));
    expect(syscall(parent, SYS.waitid, P.ALL, 0, SCRATCH, WAIT.STOPPED | WAIT.EXITED, 0)).toBe(0);
    expect(info()).toEqual(stopped);
    parent.mm.copyOut(SCRATCH, new Uint8Array(28).fill(0xff));
    expect(syscall(parent, SYS.waitid, P.ALL, 0, SCRATCH, WAIT.STOPPED | WAIT.EXITED | WAIT.NOHANG, 0)).toBe(0);
    expect(info()).toEqual({ signo: 0, code: 0, pid: 0, status: 0 });
    // Only stops asked for, and the child is a zombie: as on Linux (wait_task_zombie without WEXITED),
    // a zombie is neither reported nor counted as a child to wait for, so waitid fails with ECHILD.
    syscall(parent, SYS.kill, child.group.pid, Signal.SIGKILL);
    expect(syscall(parent, SYS.waitid, P.ALL, 0, SCRATCH, WAIT.STOPPED | WAIT.NOHANG, 0)).toBe(-Errno.ECHILD);
    expect(syscall(parent, SYS.waitid, P.ALL, 0, SCRATCH, WAIT.EXITED, 0)).toBe(0);
    expect(info()).toEqual({ signo: Signal.SIGCHLD, code: CLD.KILLED, pid: child.group.pid, status: Signal.SIGKILL });
  });

  it('a process group left orphaned with a stopped member gets SIGHUP and SIGCONT; one a parent in its session still holds does not', () => {
    const init = newProcess(undefined);
    // parent starts a session; its child is a job (own process group) of that session.
    const parent = newProcess(init.group);
    parent.group.sid = parent.group.pgid = parent.group.pid;
    const job = newProcess(parent.group);
    job.group.pgid = job.group.pid;
    syscall(parent, SYS.kill, job.group.pid, Signal.SIGSTOP);
    takeInterrupt(job);
    expect(job.group.jobStop.state).toBe('stopped');
    syscall(parent, SYS.exit_group, 0);
    // Now a child of init, in another session: orphaned. SIGHUP kills it once SIGCONT let it run.
    expect(job.group.parent).toBe(init.group);
    expect(job.group.jobStop.state).toBe('running');
    expect(job.group.exitStatus).toBe(Signal.SIGHUP);

    // The same in init's session: init keeps the group from being orphaned.
    const parent2 = newProcess(init.group);
    const job2 = newProcess(parent2.group);
    job2.group.pgid = job2.group.pid;
    syscall(parent2, SYS.kill, job2.group.pid, Signal.SIGSTOP);
    takeInterrupt(job2);
    syscall(parent2, SYS.exit_group, 0);
    expect(job2.group.jobStop.state).toBe('stopped');
    expect(job2.group.exitStatus).toBeUndefined();
  });
});
