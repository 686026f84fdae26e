import { Errno, MAP, Signal, SysError, SYS } from '@tvisor/abi';
import { Registers, USER_REGS_SIZE, type PlatformAddressSpace, type PlatformContext, type StopEvent } from '@tvisor/platform';
import { HostThreadClock, kill, STUB_BASE } from '@tvisor/platform-stub';
import type { MessageSlot } from './message-slot.js';
import { answerHeld, answerWithFd, receiveHeld } from './native/notify.js';
import { SpinBudget } from './spin-budget.js';
import { STUB_MEMFD } from './stub/stub-process.js';
import { STUB_MAX_THREADS } from './stub/stub-image.js';
import { STUB_MPROTECT_MAX, STUB_WINDOW_FD } from './stub/stub-seccomp.js';

/** The longest a stub thread polls its slot (pause instructions, 40-60 ns each on current x86) before it sleeps; adapted per thread. */
const STUB_SPIN_MAX = 2048;
const STUB_SPIN_PROBE = 128;

/** Mapping changes per window batch: the table's 62 entries less the dup that opens the window and the close that ends it. */
export const WINDOW_BATCH = 60;

/** What an address space needs of the platform to apply its changes. */
export interface BatchRunner {
  /** Runs host syscalls in a stopped thread's handler; returns their results. */
  runBatch(ctx: SystrapContext, ops: number[][]): number[];
  /** A running thread of `stub`, brought into its handler, to run a batch on. */
  borrowRunning(stub: Stub): SystrapContext;
}

/** One stub process: the host side of an application address space. */
export class Stub {
  alive = true;
  /** The wait status once reaped. */
  status = 0;
  readonly contexts = new Set<SystrapContext>();
  /** Free thread-area indices in this stub. */
  private readonly freeAreas: number[] = [];
  private nextArea = 0;
  /** The held syscalls (mmaps) the sentry has ordered and not yet let through, in order, and the thread ordered to make them. */
  readonly expected: number[][] = [];
  expectedTid = 0;
  constructor(
    readonly pid: number,
    /** The sentry's fd of the stub's seccomp listener (closed once the stub is reaped). */
    readonly listener: number,
    /** The sentry's fd of the memory file: a batch's held dup gets it as STUB_WINDOW_FD. */
    private readonly memoryFd: number,
  ) {}

  /**
   * Answers one held syscall: it runs only if it is the next one the
   * sentry ordered, made by the thread it ordered it on, with exactly the
   * arguments it ordered (all values: nothing in memory to change after the
   * check); an ordered dup gets the memory file as STUB_WINDOW_FD instead.
   * Anything else is the application jumping into the stub's code, and
   * fails with EPERM.
   */
  answerHeld(): void {
    const held = receiveHeld(this.listener);
    if (!held) return;
    const want = this.expected[0];
    const ok =
      want !== undefined &&
      held.tid === this.expectedTid &&
      held.nr === want[0] &&
      want.every((w, i) => i === 0 || held.args[i - 1] === BigInt.asUintN(64, BigInt(w)));
    if (ok) this.expected.shift();
    if (ok && held.nr === SYS.dup) {
      if (!answerWithFd(this.listener, held.id, this.memoryFd, STUB_WINDOW_FD)) answerHeld(this.listener, held.id, false, Errno.EBADF);
    } else {
      answerHeld(this.listener, held.id, ok);
    }
  }

  /** Whether every thread of the stub is stopped in its handler: no application code runs in it (a batch may then open the window fd). */
  allStopped(): boolean {
    for (const c of this.contexts) if (c.running) return false;
    return true;
  }

  takeArea(): number {
    const i = this.freeAreas.pop() ?? this.nextArea++;
    if (i >= STUB_MAX_THREADS) throw new SysError(Errno.EAGAIN, `stub ${this.pid}: no room for another thread`);
    return i;
  }

  returnArea(i: number): void {
    this.freeAreas.push(i);
  }

  /** A thread of this stub stopped in its handler, to run mapping changes and clones on. */
  stopped(): SystrapContext | undefined {
    for (const c of this.contexts) if (!c.running && !c.killed) return c;
    return undefined;
  }
}

/** An address space backed by one stub process; mapping changes run in a stopped thread's handler, batched. */
export class SystrapAddressSpace implements PlatformAddressSpace {
  private readonly pending: number[][] = [];
  /**
   * Changes recorded, not applied, while an execve that reuses the stub has
   * not committed (Platform.reuseProcess); undefined once live.
   */
  private recorded: number[][] | undefined;
  /** Given up to the address space an execve committed: the stub is no longer this one's to change or kill. */
  private handedOver = false;

  constructor(
    private readonly runner: BatchRunner,
    readonly stub: Stub,
    deferred = false,
  ) {
    if (deferred) this.recorded = [];
  }

  get hostPid(): number {
    return this.stub.pid;
  }

  private queue(op: number[]): void {
    if (this.recorded) {
      this.recorded.push(op);
      return;
    }
    if (this.handedOver) return;
    this.pending.push(op);
    if (this.pending.length === 62) this.flush();
  }

  mapFile(addr: number, length: number, fileOffset: number, prot: number): void {
    this.queue([SYS.mmap, addr, length, prot, MAP.SHARED | MAP.FIXED, STUB_MEMFD, fileOffset]);
  }

  unmap(addr: number, length: number): void {
    this.queue([SYS.munmap, addr, length]);
  }

  protect(addr: number, length: number, prot: number): void {
    // The stub's filter takes mprotects shorter than STUB_MPROTECT_MAX only.
    const chunk = STUB_MPROTECT_MAX / 2;
    for (let at = addr, left = length; left > 0; at += chunk, left -= chunk) this.queue([SYS.mprotect, at, Math.min(left, chunk), prot]);
  }

  /**
   * Applies the queued changes now if a thread of the stub runs; while
   * every thread is stopped nothing can see the mappings, so up to one
   * window batch of them waits for the next resume, which runs them on its
   * way back to the application (no round trip of its own).
   */
  flush(): void {
    if (this.recorded || this.handedOver || this.pending.length === 0 || !this.stub.alive) return;
    if (this.pending.length <= WINDOW_BATCH && this.stub.contexts.size > 0 && this.stub.allStopped()) return;
    this.flushNow();
  }

  /**
   * The changes a resume can take along: all of them, when they fit one
   * window batch and the stub has one thread, stopped. (With more threads,
   * one resumed right after could run application code while the window
   * fd is still open: they are flushed first.)
   */
  takeForResume(): number[][] {
    if (this.recorded || this.handedOver || this.pending.length === 0 || !this.stub.alive) return [];
    if (this.pending.length > WINDOW_BATCH || this.stub.contexts.size !== 1 || !this.stub.allStopped()) {
      this.flushNow();
      return [];
    }
    return this.pending.splice(0);
  }

  private flushNow(): void {
    if (this.pending.length === 0 || !this.stub.alive) return;
    const runner = this.stub.stopped() ?? this.runner.borrowRunning(this.stub);
    const ops = this.pending.splice(0);
    const results = this.runner.runBatch(runner, ops);
    results.forEach((rc, i) => {
      if (rc < 0 && rc > -4096) throw new SysError(-rc, `stub ${this.stub.pid}: mapping change ${ops[i][0]} failed`);
    });
  }

  /**
   * execve's commit: `previous` (the old image's space on the same stub)
   * gives the stub up; every application mapping goes (the stub's own range
   * above STUB_BASE stays), and the recorded changes follow, batched.
   */
  takeOver(previous: SystrapAddressSpace): void {
    const recorded = this.recorded ?? [];
    this.recorded = undefined;
    previous.handedOver = true;
    previous.pending.length = 0;
    this.queue([SYS.munmap, 0, STUB_BASE]);
    for (const op of recorded) this.queue(op);
    this.flush();
  }

  release(): void {
    if (this.handedOver) return;
    if (this.recorded) {
      // An execve that failed before committing: the stub stays the old image's.
      this.recorded = undefined;
      this.handedOver = true;
      return;
    }
    this.pending.length = 0;
    if (this.stub.alive) kill(this.stub.pid, Signal.SIGKILL);
    for (const c of this.stub.contexts) c.killed = true;
  }
}

export class SystrapContext implements PlatformContext {
  private readonly buffer = new ArrayBuffer(USER_REGS_SIZE);
  readonly regs = new Registers(this.buffer);
  /** The same register file as 32-bit words, which the message slot copies to and from the frame. */
  readonly regWords = new Uint32Array(this.buffer);
  /** The stop a syscall reports: one object per context (a context has at most one stop outstanding). */
  readonly syscallStop: StopEvent = { kind: 'syscall', context: this };
  owner: unknown = undefined;
  running = false;
  killed = false;
  /** Replaced by the context an execve committed on the same host thread: it no longer acts on the thread. */
  retired = false;
  interruptRequested = false;
  /** How long this thread's handler polls for the sentry's answer before it sleeps. */
  readonly stubSpin = new SpinBudget(STUB_SPIN_MAX, STUB_SPIN_PROBE);
  /** Whether the handler's current wait was given a spin budget (else its outcome says nothing of the budget). */
  stubSpinGiven = false;
  /** The fs base the host thread has, as its low and high 32 bits (the sentry sets it; the application cannot without a syscall). */
  hostFsLo = 0;
  hostFsHi = 0;
  /** The host thread's CPU time when this context took it over (execve reusing the stub). */
  cpuBaseline = 0n;
  private readonly clock: HostThreadClock;

  constructor(
    readonly tid: number,
    readonly addressSpace: SystrapAddressSpace,
    readonly slot: MessageSlot,
    readonly area: number,
  ) {
    this.clock = new HostThreadClock(tid);
  }

  getFpState(): Uint8Array {
    return this.slot.getFpState();
  }

  setFpState(state: Uint8Array): void {
    this.slot.setFpState(state);
  }

  cpuTime(): bigint {
    return this.hostCpuTime() - this.cpuBaseline;
  }

  /** The host thread's CPU time since it was made (after an execve that reused the stub, the old image's time too). */
  hostCpuTime(): bigint {
    return this.clock.read();
  }

  kill(): void {
    if (this.retired) return;
    this.addressSpace.release();
  }
}
