import { Errno, FUTEX, MAP, PROT, Signal, SysError, SYS, WAIT } from '@tvisor/abi';
import { Registers, USER_REGS_SIZE, REG, type Platform, type PlatformAddressSpace, type PlatformContext, type StopEvent } from '@tvisor/platform';
import { allocNative, close, FAULT_SIGNALS, HostThreadClock, kill, tgkill, wait as waitpid } from '@tvisor/platform-stub';
import { ForgedSlotError, MessageSlot, SLOT_STATE } from './message-slot.js';
import { futex, futexAsync, mapShared, type SharedMapping } from './native/libc.js';
import { answerHeld, pollListeners, receiveHeld } from './native/notify.js';
import { HostCpus } from './host-cpus.js';
import { SpinBudget } from './spin-budget.js';
import { STUB_HELD_SYSCALLS } from './stub/stub-seccomp.js';
import { HANDLED_SIGNALS, STUB_MEMFD, startStub, type StartedStub, type StubMemory } from './stub/stub-process.js';
import { STUB_MAX_THREADS, THREAD_AREA_SIZE, THREAD_STACK_OFFSET, threadArea } from './stub/stub-image.js';

/** How many stub threads the whole sandbox can have at once (the control region holds one slot each). */
export const MAX_SLOTS = 1024;
/** How long the sentry polls for the answer to one of its own orders (a batch, a clone) before it sleeps. */
const SPIN_MS = 0.03;
/** The longest the sentry polls the slots (us) before it sleeps on the doorbell; SpinBudget adapts it. */
const SENTRY_SPIN_MAX_US = 128;
const SENTRY_SPIN_PROBE_US = 16;
/** The longest a stub thread polls its slot (pause instructions, 40-60 ns each on current x86) before it sleeps; adapted per thread. */
const STUB_SPIN_MAX = 2048;
const STUB_SPIN_PROBE = 128;
/** The longest the sentry sleeps on the doorbell before it looks for stubs that died. */
const SLEEP_NS = 20_000_000n;
/** The fs base's first word in a register file. */
const FS_WORD = REG.fs_base * 2;
/** How often, at most, a wait that a doorbell ring ended looks for stubs that died (a sleep that times out always looks). */
const REAP_EVERY_MS = 10;
/** In waitAsync, the longest the event loop goes without a turn while stops keep coming. */
const YIELD_EVERY_MS = 1;
/** How long a stub may take to answer a set-up order (clone, batch) before it counts as hung. */
const ORDER_TIMEOUT_MS = 10_000;

/** One stub process: the host side of an application address space. */
class Stub {
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
  ) {}

  /**
   * Answers one held syscall: it runs only if it is the next one the
   * sentry ordered, made by the thread it ordered it on, with exactly the
   * arguments it ordered (all values: nothing in memory to change after the
   * check). Anything else is the application jumping into the stub's code,
   * and fails with EPERM.
   */
  answerHeld(): void {
    const held = receiveHeld(this.listener);
    if (!held) return;
    const want = this.expected[0];
    const ok =
      want !== undefined &&
      held.tid === this.expectedTid &&
      held.nr === want[0] &&
      held.args.every((a, i) => a === BigInt.asUintN(64, BigInt(want[i + 1] ?? 0)));
    if (ok) this.expected.shift();
    answerHeld(this.listener, held.id, ok);
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
class SystrapAddressSpace implements PlatformAddressSpace {
  private readonly pending: number[][] = [];
  constructor(
    private readonly platform: SystrapPlatform,
    readonly stub: Stub,
  ) {}

  get hostPid(): number {
    return this.stub.pid;
  }

  private queue(op: number[]): void {
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
    this.queue([SYS.mprotect, addr, length, prot]);
  }

  flush(): void {
    if (this.pending.length === 0 || !this.stub.alive) return;
    const runner = this.stub.stopped() ?? this.platform.borrowRunning(this.stub);
    const ops = this.pending.splice(0);
    const results = this.platform.runBatch(runner, ops);
    results.forEach((rc, i) => {
      if (rc < 0 && rc > -4096) throw new SysError(-rc, `stub ${this.stub.pid}: mapping change ${ops[i][0]} failed`);
    });
  }

  release(): void {
    this.pending.length = 0;
    if (this.stub.alive) kill(this.stub.pid, Signal.SIGKILL);
    for (const c of this.stub.contexts) c.killed = true;
  }
}

class SystrapContext implements PlatformContext {
  private readonly buffer = new ArrayBuffer(USER_REGS_SIZE);
  readonly regs = new Registers(this.buffer);
  /** The same register file as 32-bit words, which the message slot copies to and from the frame. */
  readonly regWords = new Uint32Array(this.buffer);
  /** The stop a syscall reports: one object per context (a context has at most one stop outstanding). */
  readonly syscallStop: StopEvent = { kind: 'syscall', context: this };
  owner: unknown = undefined;
  running = false;
  killed = false;
  interruptRequested = false;
  /** How long this thread's handler polls for the sentry's answer before it sleeps. */
  readonly stubSpin = new SpinBudget(STUB_SPIN_MAX, STUB_SPIN_PROBE);
  /** Whether the handler's current wait was given a spin budget (else its outcome says nothing of the budget). */
  stubSpinGiven = false;
  /** The fs base the host thread has, as its low and high 32 bits (the sentry sets it; the application cannot without a syscall). */
  hostFsLo = 0;
  hostFsHi = 0;
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
    return this.clock.read();
  }

  kill(): void {
    this.addressSpace.release();
  }
}

/**
 * The systrap platform: application threads run in stub processes under a
 * seccomp filter that turns every application syscall into SIGSYS; the
 * stub's handler posts the thread's frame in its message slot (shared
 * memory), rings the doorbell and waits on its slot for the sentry's answer.
 * No ptrace stop is on the syscall path.
 */
export class SystrapPlatform implements Platform {
  readonly name = 'systrap';
  private readonly control: SharedMapping;
  private readonly controlOffset: number;
  private readonly doorbell: Int32Array;
  private readonly freeSlots: number[] = [];
  private readonly slots: MessageSlot[] = [];
  /** Contexts resumed and not yet reported stopped. */
  private readonly runningSet: SystrapContext[] = [];
  private readonly stubs = new Map<number, Stub>();
  private lastYield = 0;
  private lastReap = 0;
  /** How long wait and pollStop poll the running threads' slots before they sleep. */
  private readonly sentrySpin = new SpinBudget(SENTRY_SPIN_MAX_US, SENTRY_SPIN_PROBE_US);
  /** Whether the host has a CPU to spare (as of the last wait): only then does either side spin. */
  private readonly hostCpus = new HostCpus();
  private spareCpu = true;
  private scanStart = 0;
  private closed = false;

  constructor(private readonly memory: StubMemory) {
    const size = 0x1000 + MAX_SLOTS * THREAD_AREA_SIZE;
    this.controlOffset = memory.allocate(size);
    this.control = mapShared(memory.fd, this.controlOffset, size, PROT.READ | PROT.WRITE, MAP.SHARED);
    this.doorbell = new Int32Array(this.control.bytes, 0, 2);
    for (let i = MAX_SLOTS - 1; i >= 0; i--) this.freeSlots.push(i);
  }

  private slot(index: number, stubAddress: number): MessageSlot {
    let s = this.slots[index];
    if (!s) {
      const off = 0x1000 + index * THREAD_AREA_SIZE;
      s = new MessageSlot(
        index,
        new Uint8Array(this.control.bytes, off, THREAD_AREA_SIZE),
        this.control.address + BigInt(off),
        this.controlOffset + off,
        stubAddress,
      );
      this.slots[index] = s;
    }
    s.reset(stubAddress);
    return s;
  }

  private takeSlot(stubAddress: number): MessageSlot {
    const i = this.freeSlots.pop();
    if (i === undefined) throw new SysError(Errno.EAGAIN, 'systrap: every message slot is in use');
    return this.slot(i, stubAddress);
  }

  newProcess(): { addressSpace: PlatformAddressSpace; context: PlatformContext } {
    const area = 0;
    const slot = this.takeSlot(threadArea(area));
    let started: StartedStub;
    try {
      // Each stub leads a process group of its own: a group outlives no
      // stub, and none is the terminal's foreground group.
      started = startStub(this.memory, 0, this.controlOffset, { address: threadArea(area), fileOffset: slot.fileOffset });
    } catch (e) {
      this.freeSlots.push(slot.index);
      throw e;
    }
    const pid = started.pid;
    const stub = new Stub(pid, started.listener);
    stub.takeArea();
    this.stubs.set(pid, stub);
    const addressSpace = new SystrapAddressSpace(this, stub);
    const context = new SystrapContext(pid, addressSpace, slot, area);
    stub.contexts.add(context);
    this.awaitFirstStop(context);
    return { addressSpace, context };
  }

  newThread(context: PlatformContext): PlatformContext {
    const parent = context as SystrapContext;
    const stub = parent.addressSpace.stub;
    const area = stub.takeArea();
    const address = threadArea(area);
    let slot: MessageSlot;
    try {
      slot = this.takeSlot(address);
    } catch (e) {
      stub.returnArea(area);
      throw e;
    }
    try {
      const [rc] = this.runBatch(parent, [[SYS.mmap, address, THREAD_AREA_SIZE, PROT.READ | PROT.WRITE, MAP.SHARED | MAP.FIXED, STUB_MEMFD, slot.fileOffset]]);
      if (rc < 0 && rc > -4096) throw new SysError(-rc, `stub ${stub.pid}: map a thread area`);
      slot.setNewThreadStack(address + THREAD_STACK_OFFSET, THREAD_AREA_SIZE - THREAD_STACK_OFFSET);
      parent.slot.setClone(address + THREAD_AREA_SIZE);
      this.order(parent, SLOT_STATE.CLONE);
      const tid = parent.slot.cloneResult;
      if (tid <= 0) throw new SysError(tid < 0 ? -tid : Errno.EAGAIN, `stub ${stub.pid}: clone a thread`);
      const ctx = new SystrapContext(tid, parent.addressSpace, slot, area);
      ctx.hostFsLo = parent.hostFsLo;
      ctx.hostFsHi = parent.hostFsHi;
      stub.contexts.add(ctx);
      this.awaitFirstStop(ctx);
      return ctx;
    } catch (e) {
      this.freeSlots.push(slot.index);
      stub.returnArea(area);
      throw e;
    }
  }

  /** A new stub thread's SIGTRAP at `thread_start`: it is stopped from then on, waiting for its registers. */
  private awaitFirstStop(ctx: SystrapContext): void {
    this.awaitMessage(ctx);
    ctx.slot.read(ctx.regWords);
    ctx.regs.set(REG.orig_rax, -1);
  }

  /** Sends `state` to a stopped thread and waits until it has a message again (after a batch or clone). */
  private order(ctx: SystrapContext, state: number): void {
    if (ctx.slot.order(state)) futex(ctx.slot.stateAddress, FUTEX.WAKE, 1);
    this.awaitMessage(ctx);
  }

  /**
   * A thread of `stub` held in its handler although the kernel thinks it
   * runs, for mapping changes made while every thread of the stub runs
   * (e.g. a shared file truncated by another process): a SIGURG brings it
   * into its handler. Its message stays posted, so the next wait reports it
   * as usual (a stray SIGURG is resumed at once).
   */
  borrowRunning(stub: Stub): SystrapContext {
    const ctx = [...stub.contexts].find((c) => c.running && !c.killed);
    if (!ctx) throw new SysError(Errno.ESRCH, `stub ${stub.pid}: no thread to change mappings on`);
    if (ctx.slot.state !== SLOT_STATE.MESSAGE) {
      tgkill(stub.pid, ctx.tid, Signal.SIGURG);
      this.awaitMessage(ctx);
    }
    return ctx;
  }

  /**
   * Runs host syscalls in a stopped thread's handler; returns their results
   * (read from the slot: the application can forge them, and only harms
   * itself). The mmaps among them are held by the stub's filter until the
   * sentry has matched each against `ops`.
   */
  runBatch(ctx: SystrapContext, ops: number[][]): number[] {
    const stub = ctx.addressSpace.stub;
    stub.expected.length = 0;
    for (const op of ops) if (STUB_HELD_SYSCALLS.includes(op[0])) stub.expected.push(op);
    stub.expectedTid = ctx.tid;
    try {
      ctx.slot.setBatch(ops);
      if (ctx.slot.order(SLOT_STATE.BATCH)) futex(ctx.slot.stateAddress, FUTEX.WAKE, 1);
      this.serveHeld(ctx);
      this.awaitMessage(ctx);
    } finally {
      // What was not let through by now never will be: a late copy is the application's.
      stub.expected.length = 0;
    }
    return ops.map((_, i) => ctx.slot.batchResult(i));
  }

  /** Answers the held mmaps of a batch until none is expected, the thread is back with a message, or its stub is gone. */
  private serveHeld(ctx: SystrapContext): void {
    const stub = ctx.addressSpace.stub;
    const deadline = performance.now() + ORDER_TIMEOUT_MS;
    while (stub.expected.length > 0 && ctx.slot.state !== SLOT_STATE.MESSAGE) {
      const [r] = pollListeners([stub.listener], 1);
      if (r === 'ready') stub.answerHeld();
      else if (r === 'gone') return;
      else {
        this.reap();
        if (!stub.alive || performance.now() > deadline) return;
      }
    }
  }

  /** Answers every syscall held outside a batch (the application's own mmaps through the stub's code: EPERM). */
  private drainHeld(): void {
    const stubs = [...this.stubs.values()].filter((s) => s.alive);
    if (stubs.length === 0) return;
    const ready = pollListeners(
      stubs.map((s) => s.listener),
      0,
    );
    ready.forEach((r, i) => {
      if (r !== 'ready') return;
      const stub = stubs[i];
      while (pollListeners([stub.listener], 0)[0] === 'ready') stub.answerHeld();
    });
  }

  /** Waits (synchronously) until one thread posts a message; throws if its stub dies or hangs. */
  private awaitMessage(ctx: SystrapContext): void {
    const stub = ctx.addressSpace.stub;
    const deadline = performance.now() + ORDER_TIMEOUT_MS;
    const spinUntil = performance.now() + SPIN_MS;
    while (ctx.slot.state !== SLOT_STATE.MESSAGE) {
      if (performance.now() < spinUntil) continue;
      this.reap();
      if (!stub.alive) throw new SysError(Errno.EAGAIN, `stub ${stub.pid} died (status 0x${stub.status.toString(16)})`);
      if (performance.now() > deadline) {
        kill(stub.pid, Signal.SIGKILL);
        throw new SysError(Errno.EAGAIN, `stub ${stub.pid} did not answer`);
      }
      const seen = this.announceSleep();
      if (ctx.slot.state !== SLOT_STATE.MESSAGE) futex(this.control.address, FUTEX.WAIT, seen, timespec(1_000_000n));
      this.endSleep();
    }
  }

  /**
   * Counts one more sleeper (a full barrier: stubs that post after this see
   * it and wake the doorbell) and returns the doorbell count to wait on. A
   * count, not a flag: a synchronous wait may come and go while waitAsync's
   * futex wait is outstanding on its worker, and must not clear its mark.
   */
  private announceSleep(): number {
    Atomics.add(this.doorbell, 1, 1);
    return Atomics.load(this.doorbell, 0);
  }

  private endSleep(): void {
    Atomics.sub(this.doorbell, 1, 1);
  }

  endThread(context: PlatformContext): void {
    const ctx = context as SystrapContext;
    if (ctx.running || ctx.killed) return;
    ctx.killed = true;
    const stub = ctx.addressSpace.stub;
    stub.contexts.delete(ctx);
    if (!stub.alive) return;
    ctx.slot.order(SLOT_STATE.EXIT);
    futex(ctx.slot.stateAddress, FUTEX.WAKE, 1);
    // The handler clears the state just before its exit(2): from then on it
    // touches no memory, so the slot and area can be given to another thread.
    const deadline = performance.now() + ORDER_TIMEOUT_MS;
    while (ctx.slot.state === SLOT_STATE.EXIT && performance.now() < deadline) this.reap();
    if (ctx.slot.state !== SLOT_STATE.EXIT) {
      this.freeSlots.push(ctx.slot.index);
      stub.returnArea(ctx.area);
    }
  }

  resume(context: PlatformContext): void {
    const ctx = context as SystrapContext;
    if (ctx.running || ctx.killed) return;
    ctx.addressSpace.flush();
    const words = ctx.regWords;
    const fsLo = words[FS_WORD];
    const fsHi = words[FS_WORD + 1];
    if (fsLo !== ctx.hostFsLo || fsHi !== ctx.hostFsHi) {
      ctx.slot.setFsBase(fsLo, fsHi);
      ctx.hostFsLo = fsLo;
      ctx.hostFsHi = fsHi;
    }
    ctx.slot.write(words, threadArea(ctx.area) + THREAD_STACK_OFFSET, THREAD_AREA_SIZE - THREAD_STACK_OFFSET);
    ctx.running = true;
    this.runningSet.push(ctx);
    // The budget is for the handler's next wait; whether it slept through this one says how the last budget did.
    const given = ctx.stubSpinGiven;
    ctx.stubSpinGiven = this.spareCpu && ctx.stubSpin.value > 0;
    ctx.slot.spin = ctx.stubSpinGiven ? ctx.stubSpin.value : 0;
    if (ctx.slot.order(SLOT_STATE.RESUME)) {
      if (given) ctx.stubSpin.miss();
      futex(ctx.slot.stateAddress, FUTEX.WAKE, 1);
    } else if (given) {
      ctx.stubSpin.hit();
    }
  }

  prepareAsyncWait(): void {}

  get runningCount(): number {
    return this.runningSet.length;
  }

  wait(sliceMs?: number): StopEvent | undefined {
    const now = performance.now();
    const spin = this.spinBudgetUs(now);
    const spinUntil = now + spin / 1000;
    const giveUpAt = sliceMs === undefined ? Infinity : now + sliceMs;
    let slept = false;
    for (;;) {
      if (this.runningSet.length === 0) return undefined;
      const ev = this.collect();
      if (ev) {
        if (!slept && spin > 0) this.sentrySpin.hit();
        return ev;
      }
      if (performance.now() < spinUntil) continue;
      if (!slept && spin > 0) this.sentrySpin.miss();
      slept = true;
      const seen = this.announceSleep();
      const again = this.collect();
      if (again) {
        this.endSleep();
        return again;
      }
      futex(this.control.address, FUTEX.WAIT, seen, timespec(SLEEP_NS));
      this.endSleep();
      this.reapIfDue();
      // Given a slice, the caller gets control back at least that often (a host signal that came
      // just before the sleep is then not held up while the app computes without syscalls).
      if (performance.now() >= giveUpAt) return this.runningSet.length === 0 ? undefined : this.collect();
    }
  }

  pollStop(): StopEvent | undefined {
    const now = performance.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) return undefined;
    const spin = this.spinBudgetUs(now);
    const until = now + spin / 1000;
    do {
      if (this.runningSet.length === 0) return undefined;
      const ev = this.collect();
      if (ev) {
        if (spin > 0) this.sentrySpin.hit();
        return ev;
      }
    } while (performance.now() < until);
    if (spin > 0) this.sentrySpin.miss();
    return undefined;
  }

  async waitAsync(): Promise<StopEvent | undefined> {
    await new Promise((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
    for (;;) {
      if (this.runningSet.length === 0) return undefined;
      const ev = this.collect();
      if (ev) return ev;
      const seen = this.announceSleep();
      const again = this.collect();
      if (again) {
        this.endSleep();
        return again;
      }
      await futexAsync(this.control.address, FUTEX.WAIT, seen, timespec(SLEEP_NS));
      this.endSleep();
      if (this.closed) return undefined;
      this.reapIfDue();
    }
  }

  /** The sentry's poll budget for this wait (us): none while the host has no CPU to spare. Also refreshes spareCpu for resume. */
  private spinBudgetUs(now: number): number {
    this.spareCpu = this.hostCpus.haveSpare(now);
    return this.spareCpu ? this.sentrySpin.value : 0;
  }

  /** One stop from the running contexts, if any has a message (or its stub died). */
  private collect(): StopEvent | undefined {
    const list = this.runningSet;
    const n = list.length;
    for (let k = 0; k < n; k++) {
      const i = (this.scanStart + k) % n;
      const ctx = list[i];
      const stub = ctx.addressSpace.stub;
      if (ctx.slot.state !== SLOT_STATE.MESSAGE && stub.alive) continue;
      // Removed in place, order kept (splice would allocate an array per stop).
      for (let j = i; j < n - 1; j++) list[j] = list[j + 1];
      list.length = n - 1;
      this.scanStart = i;
      ctx.running = false;
      if (!stub.alive) {
        if (ctx.killed) return this.collect();
        ctx.killed = true;
        return { kind: 'gone', context: ctx, status: stub.status };
      }
      if (ctx.killed) return this.collect();
      const ev = this.stopOf(ctx);
      if (ev) return ev;
      return this.collect();
    }
    return undefined;
  }

  /** What the message of a stopped context means; undefined when it was a stray interrupt (resumed at once). */
  private stopOf(ctx: SystrapContext): StopEvent | undefined {
    let msg;
    try {
      msg = ctx.slot.read(ctx.regWords);
      if (!HANDLED_SIGNALS.includes(msg.signal)) throw new ForgedSlotError(`slot ${ctx.slot.index}: signal ${msg.signal} is not one the stub handles`);
    } catch (e) {
      if (!(e instanceof ForgedSlotError)) throw e;
      // The application rewrote its own slot or frame: its stub cannot be trusted to run on.
      ctx.addressSpace.release();
      ctx.killed = true;
      return { kind: 'gone', context: ctx, status: Signal.SIGKILL };
    }
    ctx.regWords[FS_WORD] = ctx.hostFsLo;
    ctx.regWords[FS_WORD + 1] = ctx.hostFsHi;
    const asked = ctx.interruptRequested;
    ctx.interruptRequested = false;
    if (msg.signal === Signal.SIGSYS && msg.syscall >= 0) return ctx.syscallStop;
    if (msg.signal === Signal.SIGURG) {
      if (asked) return { kind: 'interrupt', context: ctx };
      this.resume(ctx);
      return undefined;
    }
    if (FAULT_SIGNALS.has(msg.signal) && msg.code > 0) return { kind: 'fault', context: ctx, signal: msg.signal, code: msg.code, addr: msg.addr };
    return { kind: 'signal', context: ctx, signal: msg.signal };
  }

  /**
   * Reaps at most every REAP_EVERY_MS: a doorbell ring means a message, not
   * a death, and a poll and a waitpid per stub after each ring cost two host
   * syscalls per application syscall. A sleep that times out is always past due.
   */
  private reapIfDue(): void {
    if (performance.now() - this.lastReap >= REAP_EVERY_MS) this.reap();
  }

  /** Reaps stubs that exited (killed, or died on a forbidden syscall or a fault in the handler), and answers stray held syscalls. */
  private reap(): void {
    this.lastReap = performance.now();
    this.drainHeld();
    for (const stub of this.stubs.values()) {
      let pid: number;
      let status: number;
      try {
        [pid, status] = waitpid(stub.pid, WAIT.ALL | WAIT.NOHANG);
      } catch (e) {
        if (!(e instanceof SysError && e.errno === Errno.ECHILD)) throw e;
        [pid, status] = [stub.pid, 0];
      }
      if (pid <= 0) continue;
      stub.alive = false;
      stub.status = status;
      close(stub.listener);
      this.stubs.delete(pid);
      for (const c of stub.contexts) {
        this.freeSlots.push(c.slot.index);
        if (!c.running) c.killed = true;
      }
    }
  }

  interrupt(context: PlatformContext): void {
    const ctx = context as SystrapContext;
    if (!ctx.running || ctx.interruptRequested || ctx.killed) return;
    ctx.interruptRequested = true;
    tgkill(ctx.addressSpace.stub.pid, ctx.tid, Signal.SIGURG);
  }

  shutdown(): void {
    this.closed = true;
    for (const stub of this.stubs.values()) {
      if (stub.alive) kill(stub.pid, Signal.SIGKILL);
      try {
        waitpid(stub.pid, WAIT.ALL);
      } catch (e) {
        if (!(e instanceof SysError && e.errno === Errno.ECHILD)) throw e;
      }
      close(stub.listener);
    }
    this.stubs.clear();
    this.runningSet.length = 0;
  }
}

const timespecs = new Map<bigint, bigint>();
/** The address of a struct timespec of `ns` nanoseconds in native memory (futex timeouts), made once per value. */
function timespec(ns: bigint): bigint {
  let addr = timespecs.get(ns);
  if (addr === undefined) {
    const buf = allocNative(16);
    const v = new DataView(buf.bytes);
    v.setBigInt64(0, ns / 1_000_000_000n, true);
    v.setBigInt64(8, ns % 1_000_000_000n, true);
    addr = buf.address;
    timespecs.set(ns, addr);
  }
  return addr;
}
