import { Signal, SysError, Errno, WAIT, PAGE_SIZE, SEGV, SYS_SECCOMP, VSYSCALL_ADDR } from '@tvisor/abi';
import { REG, Registers, USER_REGS_SIZE, type Platform, type PlatformAddressSpace, type PlatformContext, type StopEvent } from '@tvisor/platform';
import {
  allocNative,
  FAULT_SIGNALS,
  getRegs,
  HostThreadClock,
  kill,
  setRegs,
  STUB_BASE,
  tgkill,
  USER_TOP,
  wait,
  type NativeBuffer,
} from '@tvisor/platform-stub';
import { ChildSignalWaiter } from './child-signals.js';
import { getSigInfo, getXState, setXState, sysemu, waitInterruptibly } from './native/tracer.js';
import { STUB_MEMFD, StubProcess, type StubMemory } from './stub/stub-process.js';
import { STUB_RESERVED_END } from './stub/stub-image.js';
import { MAP } from '@tvisor/abi';
import { SYS } from '@tvisor/abi';

/** How long wait() polls before it blocks in waitpid. */
const WAIT_SPIN_MS = 0.05;
/** In waitAsync, the longest the event loop goes without a turn while stops keep coming. */
const YIELD_EVERY_MS = 1;
/** Bit ptrace sets in the stop signal of a syscall stop under PTRACE_O_TRACESYSGOOD. */
const SYSCALL_STOP = Signal.SIGTRAP | 0x80;

/** An address space backed by one stub process. */
class StubAddressSpace implements PlatformAddressSpace {
  /**
   * Changes recorded, not applied, while an execve that reuses the stub has
   * not committed (Platform.reuseProcess); undefined once live.
   */
  private recorded: Array<[number, number[]]> | undefined;
  /** Given up to the address space an execve committed: the stub is no longer this one's to kill. */
  private handedOver = false;

  constructor(
    readonly stub: StubProcess,
    deferred = false,
  ) {
    if (deferred) this.recorded = [];
  }

  get hostPid(): number {
    return this.stub.pid;
  }

  private change(nr: number, ...args: number[]): void {
    if (this.recorded) this.recorded.push([nr, args]);
    else if (!this.handedOver) this.stub.queue(nr, ...args);
  }

  mapFile(addr: number, length: number, fileOffset: number, prot: number): void {
    this.change(SYS.mmap, addr, length, prot, MAP.SHARED | MAP.FIXED, STUB_MEMFD, fileOffset);
  }

  unmap(addr: number, length: number): void {
    this.change(SYS.munmap, addr, length);
  }

  protect(addr: number, length: number, prot: number): void {
    this.change(SYS.mprotect, addr, length, prot);
  }

  flush(): void {
    if (this.recorded || this.handedOver) return;
    // With its injector thread running (another process's memory changed by
    // process_vm_writev, say), the changes wait for the next resume, which
    // flushes before any thread of the stub runs again.
    if (this.stub.runningThreads.has(this.stub.injector)) return;
    this.stub.flush();
  }

  /**
   * execve's commit: `previous` (the old image's space on the same stub)
   * gives the stub up; every application mapping goes, and the recorded
   * changes are applied in one batch.
   */
  takeOver(previous: StubAddressSpace): void {
    const recorded = this.recorded ?? [];
    this.recorded = undefined;
    previous.handedOver = true;
    this.stub.queue(SYS.munmap, 0, STUB_BASE);
    this.stub.queue(SYS.munmap, STUB_RESERVED_END, USER_TOP - STUB_RESERVED_END);
    for (const [nr, args] of recorded) this.stub.queue(nr, ...args);
    this.stub.flush();
  }

  release(): void {
    if (this.handedOver) return;
    if (this.recorded) {
      // An execve that failed before committing: the stub stays the old image's.
      this.recorded = [];
      this.handedOver = true;
      return;
    }
    if (this.stub.alive) kill(this.stub.pid, Signal.SIGKILL);
  }
}

class PtraceContext implements PlatformContext {
  readonly native: NativeBuffer = allocNative(USER_REGS_SIZE);
  readonly regs = new Registers(this.native.bytes);
  owner: unknown = undefined;
  running = false;
  /** Killed by the sentry: its exit is reaped silently. */
  killed = false;
  /** Ended (Platform.endThread) while it ran: its host thread exits at its next stop. */
  endAtStop = false;
  /** Platform.interrupt sent SIGURG and the stop has not been seen yet. */
  interruptRequested = false;

  private readonly clock: HostThreadClock;

  constructor(
    readonly pid: number,
    readonly addressSpace: StubAddressSpace,
  ) {
    this.clock = new HostThreadClock(pid);
  }

  getFpState(): Uint8Array {
    return getXState(this.pid);
  }

  setFpState(state: Uint8Array): void {
    setXState(this.pid, state);
  }

  /** The host thread's CPU time when this context took it over (execve reusing the stub). */
  cpuBaseline = 0n;

  cpuTime(): bigint {
    return this.hostCpuTime() - this.cpuBaseline;
  }

  /** The host thread's CPU time since it was made (after an execve that reused the stub, the old image's time too). */
  hostCpuTime(): bigint {
    return this.clock.read();
  }

  /** Replaced by the context an execve committed on the same host thread: killing it does nothing. */
  retired = false;

  kill(): void {
    if (this.retired) return;
    this.killed = true;
    this.addressSpace.release();
  }
}

/**
 * The ptrace platform. Application code runs in stub processes, one per
 * address space; the sentry's thread is their tracer and every request comes
 * from it. Stubs share one process group so a single waitpid(-pgid) collects
 * every stop.
 */
export class PtracePlatform implements Platform {
  readonly name = 'ptrace';
  private readonly contexts = new Map<number, PtraceContext>();
  private processGroup = 0;
  private running = 0;
  /** Wakes waitAsync: every ptrace stop of a stub sends its tracer SIGCHLD. */
  private readonly childSignals = new ChildSignalWaiter();

  constructor(private readonly memory: StubMemory) {}

  newProcess(): { addressSpace: PlatformAddressSpace; context: PlatformContext } {
    const first = this.contexts.size === 0;
    // A process that forks is likely to fork again: from the second process
    // on, a spare stub is kept ready (made while the application runs).
    if (!first) this.keepSpare = true;
    let stub = first ? undefined : this.spare;
    this.spare = undefined;
    stub ??= new StubProcess(this.memory, first ? 0 : this.processGroup);
    if (first) this.processGroup = stub.pid;
    // What a new thread's FP state is: execve into a reused stub resets to it.
    this.initialFpState ??= getXState(stub.pid);
    const addressSpace = new StubAddressSpace(stub);
    const context = new PtraceContext(stub.pid, addressSpace);
    stub.initialRegisters(context.regs);
    this.contexts.set(stub.pid, context);
    return { addressSpace, context };
  }

  private initialFpState: Uint8Array | undefined;
  /** When waitAsync last let the event loop run. */
  private lastYield = 0;
  /** A stub set up ahead of need, for the next newProcess. */
  private spare: StubProcess | undefined;
  private keepSpare = false;

  /** The host pid of the spare stub, if one is ready (for tests and diagnostics). */
  get spareHostPid(): number | undefined {
    return this.spare?.pid;
  }

  /**
   * Called when the sentry is about to wait for running application code:
   * the spawn and set-up of a spare stub (about a millisecond, mostly spent
   * waiting for the host to exec it) then overlaps with the application's
   * run instead of delaying the next fork.
   */
  private prepareSpare(): void {
    if (!this.keepSpare || this.spare !== undefined || this.running === 0) return;
    try {
      this.spare = new StubProcess(this.memory, this.processGroup);
    } catch {
      // Out of host resources now: the next newProcess tries again and reports it.
      this.keepSpare = false;
    }
  }

  reuseProcess(context: PlatformContext): { addressSpace: PlatformAddressSpace; context: PlatformContext; commit(): void } | undefined {
    const old = context as PtraceContext;
    const stub = old.addressSpace.stub;
    if (old.running || old.killed || !stub.alive || old.pid !== stub.pid || this.initialFpState === undefined) return undefined;
    // Only a single-threaded stub: its one host thread is the one execve keeps.
    for (const c of this.contexts.values()) if (c !== old && c.addressSpace === old.addressSpace) return undefined;
    const addressSpace = new StubAddressSpace(stub, true);
    const fresh = new PtraceContext(old.pid, addressSpace);
    stub.initialRegisters(fresh.regs);
    const initialFp = this.initialFpState;
    const commit = () => {
      stub.injector = old.pid;
      addressSpace.takeOver(old.addressSpace);
      setXState(old.pid, initialFp);
      fresh.cpuBaseline = old.hostCpuTime();
      old.retired = true;
      this.contexts.set(old.pid, fresh);
    };
    return { addressSpace, context: fresh, commit };
  }

  newThread(context: PlatformContext): PlatformContext {
    const parent = context as PtraceContext;
    const stub = parent.addressSpace.stub;
    stub.injector = parent.pid;
    const tid = stub.cloneThread();
    const ctx = new PtraceContext(tid, parent.addressSpace);
    getRegs(tid, ctx.native);
    this.contexts.set(tid, ctx);
    return ctx;
  }

  endThread(context: PlatformContext): void {
    const ctx = context as PtraceContext;
    if (ctx.killed) return;
    ctx.killed = true;
    if (ctx.running) {
      // It runs application code still (a process sharing the address space
      // exits while another goes on): it is ended at the stop asked for here.
      ctx.endAtStop = true;
      tgkill(ctx.addressSpace.stub.pid, ctx.pid, Signal.SIGURG);
      return;
    }
    this.finishThread(ctx);
  }

  /** Ends the host thread of a stopped context that endThread ended. */
  private finishThread(ctx: PtraceContext): void {
    this.contexts.delete(ctx.pid);
    // The stub's first thread is its host thread-group leader: if it exited,
    // it would stay a zombie that waitpid reports only once every other
    // thread has gone, so waiting for it would hang the sentry. It stays
    // stopped for good instead, and dies with the stub.
    if (ctx.pid === ctx.addressSpace.stub.pid) return;
    ctx.addressSpace.stub.exitThread(ctx.pid, ctx.native);
  }

  resume(context: PlatformContext): void {
    const ctx = context as PtraceContext;
    if (ctx.running) return;
    ctx.addressSpace.stub.injector = ctx.pid;
    ctx.addressSpace.stub.flush();
    setRegs(ctx.pid, ctx.native);
    sysemu(ctx.pid);
    ctx.addressSpace.stub.runningThreads.add(ctx.pid);
    ctx.running = true;
    this.running++;
  }

  prepareAsyncWait(): void {
    this.childSignals.listen();
  }

  get runningCount(): number {
    return this.running;
  }

  wait(sliceMs?: number): StopEvent | undefined {
    // A syscall stop usually follows a resume within microseconds: polling
    // briefly keeps this core awake and saves the sleep and wake-up a
    // blocking waitpid costs each time (most of a syscall's round trip here).
    this.prepareSpare();
    const until = performance.now() + WAIT_SPIN_MS;
    do {
      if (this.running === 0) return undefined;
      const ev = this.collect(WAIT.ALL | WAIT.NOHANG);
      if (ev) return ev;
    } while (performance.now() < until);
    return this.collect(WAIT.ALL, sliceMs);
  }

  pollStop(): StopEvent | undefined {
    // Most stops come within microseconds: a brief poll catches them without
    // a trip through the event loop. At least every YIELD_EVERY_MS it finds
    // nothing, so the caller's waitAsync lets the event loop run.
    const now = performance.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) return undefined;
    const until = now + WAIT_SPIN_MS;
    do {
      if (this.running === 0) return undefined;
      const ev = this.collect(WAIT.ALL | WAIT.NOHANG);
      if (ev) return ev;
    } while (performance.now() < until);
    return undefined;
  }

  async waitAsync(): Promise<StopEvent | undefined> {
    this.childSignals.listen();
    this.prepareSpare();
    // Timers and host I/O get their turn before anything else.
    await new Promise((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
    for (;;) {
      if (this.running === 0) return undefined;
      // Take the SIGCHLD notice first, so one arriving after this check is not lost.
      this.childSignals.consume();
      const ev = this.collect(WAIT.ALL | WAIT.NOHANG);
      if (ev) return ev;
      await this.childSignals.next();
    }
  }

  /**
   * Collects one stop with waitpid(options); undefined when nothing is running, (WNOHANG) nothing
   * happened yet, or a blocking wait ended without a stop: a forwarded host signal came, or `sliceMs` passed.
   */
  private collect(options: number, sliceMs?: number): StopEvent | undefined {
    const giveUpAt = sliceMs === undefined ? undefined : performance.now() + sliceMs;
    for (;;) {
      if (this.running === 0) return undefined;
      const left = giveUpAt === undefined ? undefined : giveUpAt - performance.now();
      if (left !== undefined && left <= 0) return undefined;
      // Undefined here sends the caller back to the event loop, which runs the host signal's listener.
      const [pid, status] = waitInterruptibly(-this.processGroup, options, options & WAIT.NOHANG ? undefined : left) ?? [0, 0];
      if (pid === 0) return undefined;
      const ctx = this.contexts.get(pid);
      if (!ctx) continue;
      ctx.addressSpace.stub.runningThreads.delete(pid);
      if (ctx.running) {
        ctx.running = false;
        this.running--;
      }
      if ((status & 0xff) !== 0x7f) {
        // Exited or killed: the host process is gone.
        ctx.addressSpace.stub.alive = false;
        this.contexts.delete(pid);
        if (ctx.killed) continue;
        return { kind: 'gone', context: ctx, status };
      }
      if (ctx.killed) {
        if (ctx.endAtStop && ctx.addressSpace.stub.alive) this.finishThread(ctx);
        continue;
      }
      // This thread is stopped while the kernel serves it: injections go through it.
      ctx.addressSpace.stub.injector = pid;
      const sig = (status >> 8) & 0xff;
      if (sig === SYSCALL_STOP) {
        ctx.interruptRequested = false;
        getRegs(pid, ctx.native);
        return { kind: 'syscall', context: ctx };
      }
      getRegs(pid, ctx.native);
      const asked = ctx.interruptRequested;
      // Any stop serves an interrupt request: the kernel delivers pending signals whenever it resumes a context.
      ctx.interruptRequested = false;
      if (sig === Signal.SIGURG) {
        // Our own interrupt, or one that arrived after another stop served it: never passed to the stub.
        if (asked) return { kind: 'interrupt', context: ctx };
        this.resume(ctx);
        continue;
      }
      if (sig === Signal.SIGSYS) {
        const call = this.vsyscallCall(ctx);
        if (call) return call;
      }
      if (FAULT_SIGNALS.has(sig)) {
        const info = getSigInfo(pid);
        // si_code > 0 means the kernel raised it for an instruction (a fault),
        // not a kill() from elsewhere.
        if (info.code > 0) return { kind: 'fault', context: ctx, signal: sig, code: info.code, addr: info.addr };
      }
      return { kind: 'signal', context: ctx, signal: sig };
    }
  }

  /**
   * A call into the vsyscall page, trapped by the stub's seccomp filter
   * (see stub-seccomp.ts), as the fault it is where the host does not
   * emulate the page (vsyscall=none): the kernel serves the call. The host
   * has already emulated the entry's `ret` by then; that is undone, so the
   * thread stands at the entry with the return address on its stack.
   */
  private vsyscallCall(ctx: PtraceContext): StopEvent | undefined {
    const info = getSigInfo(ctx.pid);
    const entry = info.exactAddr;
    if (info.code !== SYS_SECCOMP || entry < VSYSCALL_ADDR || entry >= VSYSCALL_ADDR + BigInt(PAGE_SIZE)) return undefined;
    ctx.regs.setBig(REG.rip, entry);
    ctx.regs.sp -= 8;
    return { kind: 'fault', context: ctx, signal: Signal.SIGSEGV, code: SEGV.MAPERR, addr: info.addr };
  }

  interrupt(context: PlatformContext): void {
    const ctx = context as PtraceContext;
    if (!ctx.running || ctx.interruptRequested) return;
    ctx.interruptRequested = true;
    // Any signal stops a tracee for its tracer; SIGURG's default action is
    // to be ignored, so a stray one can never hurt the stub.
    // tgkill names the stub (the thread group) and the thread: a thread other
    // than the stub's first is not found under its own id as the group.
    tgkill(ctx.addressSpace.stub.pid, ctx.pid, Signal.SIGURG);
  }

  shutdown(): void {
    this.childSignals.close();
    if (this.spare?.alive) kill(this.spare.pid, Signal.SIGKILL);
    this.spare = undefined;
    this.keepSpare = false;
    for (const ctx of this.contexts.values()) ctx.kill();
    while (this.contexts.size > 0) {
      try {
        const [pid] = wait(-this.processGroup, WAIT.ALL);
        this.contexts.delete(pid);
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.ECHILD) break;
        throw e;
      }
    }
    this.contexts.clear();
  }
}
