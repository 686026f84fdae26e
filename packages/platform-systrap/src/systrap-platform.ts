import { Errno, FUTEX, MAP, PROT, Signal, SysError, SYS, WAIT } from '@tvisor/abi';
import { REG, type Platform, type PlatformAddressSpace, type PlatformContext, type StopEvent } from '@tvisor/platform';
import { allocNative, close, FAULT_SIGNALS, kill, tgkill, wait as waitpid } from '@tvisor/platform-stub';
import { Stub, SystrapAddressSpace, SystrapContext, WINDOW_BATCH, type BatchRunner } from './address-space.js';
import { ForgedSlotError, MessageSlot, SLOT_STATE } from './message-slot.js';
import { futex, futexAsync, mapShared, type SharedMapping } from './native/libc.js';
import { pollListeners } from './native/notify.js';
import { HostCpus } from './host-cpus.js';
import { SpinBudget } from './spin-budget.js';
import { STUB_HELD_SYSCALLS, STUB_THREAD_CLONE_FLAGS, STUB_WINDOW_FD } from './stub/stub-seccomp.js';
import { HANDLED_SIGNALS, STUB_MEMFD, startStub, type StartedStub, type StubMemory } from './stub/stub-process.js';
import { THREAD_AREA_SIZE, THREAD_STACK_OFFSET, threadArea } from './stub/stub-image.js';

/** How many stub threads the whole sandbox can have at once (the control region holds one slot each). */
export const MAX_SLOTS = 1024;
/** How long the sentry polls for the answer to one of its own orders (a batch, a clone) before it sleeps. */
const SPIN_MS = 0.03;
/** The longest the sentry polls the slots (us) before it sleeps on the doorbell; SpinBudget adapts it. */
const SENTRY_SPIN_MAX_US = 128;
const SENTRY_SPIN_PROBE_US = 16;
/** The longest the sentry sleeps on the doorbell before it looks for stubs that died. */
const SLEEP_NS = 20_000_000n;
/** The fs base's first word in a register file. */
const FS_WORD = REG.fs_base * 2;
/** How often, at most, a wait that a doorbell ring ended looks for stubs that died (a sleep that times out always looks). */
const REAP_EVERY_MS = 10;
/** In waitAsync, the longest the event loop goes without a turn while stops keep coming. */
const YIELD_EVERY_MS = 1;
/** A window batch's first entry: the held dup the sentry answers with the memory file as STUB_WINDOW_FD. */
const WINDOW_OPEN = [SYS.dup, STUB_MEMFD];
/** How long a stub may take to answer a set-up order (clone, batch) before it counts as hung. */
const ORDER_TIMEOUT_MS = 10_000;

/**
 * The systrap platform: application threads run in stub processes under a
 * seccomp filter that turns every application syscall into SIGSYS; the
 * stub's handler posts the thread's frame in its message slot (shared
 * memory), rings the doorbell and waits on its slot for the sentry's answer.
 * No ptrace stop is on the syscall path.
 */
export class SystrapPlatform implements Platform, BatchRunner {
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

  /** Starts a stub with its first thread area in a fresh slot; its first message (thread_start's SIGTRAP) is awaited by the caller. */
  private startWithSlot(): { started: StartedStub; slot: MessageSlot } {
    const slot = this.takeSlot(threadArea(0));
    try {
      // Each stub leads a process group of its own: a group outlives no
      // stub, and none is the terminal's foreground group.
      return { started: startStub(this.memory, 0, this.controlOffset, { address: threadArea(0), fileOffset: slot.fileOffset }), slot };
    } catch (e) {
      this.freeSlots.push(slot.index);
      throw e;
    }
  }

  newProcess(): { addressSpace: PlatformAddressSpace; context: PlatformContext } {
    const { started, slot } = this.startWithSlot();
    const pid = started.pid;
    const stub = new Stub(pid, started.listener, this.memory.fd);
    stub.takeArea();
    this.stubs.set(pid, stub);
    const addressSpace = new SystrapAddressSpace(this, stub);
    const context = new SystrapContext(pid, addressSpace, slot, 0);
    stub.contexts.add(context);
    this.awaitFirstStop(context);
    // What a new process's registers and FP state are: execve into a reused stub resets to them.
    if (!this.initialRegWords) {
      this.initialRegWords = context.regWords.slice();
      this.initialFpState = context.getFpState();
    }
    return { addressSpace, context };
  }

  private initialRegWords: Uint32Array | undefined;
  private initialFpState: Uint8Array | undefined;

  /**
   * execve keeps the stub of a single-threaded process: the new image's
   * mappings are recorded until commit, which unmaps every application
   * mapping of the stub and applies them, and resets the thread's FP state
   * (in the frame its rt_sigreturn loads).
   */
  reuseProcess(context: PlatformContext): { addressSpace: PlatformAddressSpace; context: PlatformContext; commit(): void } | undefined {
    const old = context as SystrapContext;
    const stub = old.addressSpace.stub;
    const initialRegs = this.initialRegWords;
    const initialFp = this.initialFpState;
    if (old.running || old.killed || old.retired || !stub.alive || stub.contexts.size !== 1 || !initialRegs || !initialFp) return undefined;
    const addressSpace = new SystrapAddressSpace(this, stub, true);
    const fresh = new SystrapContext(old.tid, addressSpace, old.slot, old.area);
    fresh.regWords.set(initialRegs);
    const commit = () => {
      fresh.hostFsLo = old.hostFsLo;
      fresh.hostFsHi = old.hostFsHi;
      fresh.cpuBaseline = old.hostCpuTime();
      old.retired = true;
      stub.contexts.delete(old);
      stub.contexts.add(fresh);
      fresh.setFpState(initialFp);
      addressSpace.takeOver(old.addressSpace);
    };
    return { addressSpace, context: fresh, commit };
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
      this.orderServing(parent, SLOT_STATE.CLONE, [[SYS.clone, STUB_THREAD_CLONE_FLAGS, address + THREAD_AREA_SIZE, 0, 0, 0]]);
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
   * itself). While every thread of the stub is stopped, the mmaps go
   * through the window fd, opened by the batch's first entry (a held dup
   * the sentry answers with the memory file) and closed by its last: one
   * round trip to the sentry per batch. Otherwise each mmap is held by the
   * stub's filter until the sentry has matched it against `ops`.
   */
  runBatch(ctx: SystrapContext, ops: number[][]): number[] {
    const stub = ctx.addressSpace.stub;
    if (!stub.allStopped()) {
      ctx.slot.setBatch(ops);
      this.orderServing(
        ctx,
        SLOT_STATE.BATCH,
        ops.filter((op) => STUB_HELD_SYSCALLS.includes(op[0])),
      );
      return ops.map((_, i) => ctx.slot.batchResult(i));
    }
    const results: number[] = [];
    for (let i = 0; i < ops.length; i += WINDOW_BATCH) {
      const chunk = ops.slice(i, i + WINDOW_BATCH);
      this.setWindowBatch(ctx, chunk);
      this.orderServing(ctx, SLOT_STATE.BATCH, [WINDOW_OPEN]);
      for (let k = 0; k < chunk.length; k++) results.push(ctx.slot.batchResult(k + 1));
    }
    return results;
  }

  /** Writes `ops` (at most WINDOW_BATCH) into ctx's batch table between the window's dup and close, their mmaps through the window fd. */
  private setWindowBatch(ctx: SystrapContext, ops: number[][]): void {
    const through = ops.map((op) => (op[0] === SYS.mmap && op[5] === STUB_MEMFD ? [...op.slice(0, 5), STUB_WINDOW_FD, op[6]] : op));
    ctx.slot.setBatch([WINDOW_OPEN, ...through, [SYS.close, STUB_WINDOW_FD]]);
  }

  /**
   * Gives a stopped thread an order and waits until it has a message again,
   * letting through the held syscalls in `expected` (in order, from that
   * thread only) and refusing any other.
   */
  private orderServing(ctx: SystrapContext, state: number, expected: number[][]): void {
    const stub = ctx.addressSpace.stub;
    stub.expected.length = 0;
    stub.expected.push(...expected);
    stub.expectedTid = ctx.tid;
    try {
      if (ctx.slot.order(state)) futex(ctx.slot.stateAddress, FUTEX.WAKE, 1);
      this.serveHeld(ctx);
      this.awaitMessage(ctx);
    } finally {
      // What was not let through by now never will be: a late copy is the application's.
      stub.expected.length = 0;
    }
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
    if (ctx.running || ctx.killed || ctx.retired) return;
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
    if (ctx.running || ctx.killed || ctx.retired) return;
    const changes = ctx.addressSpace.takeForResume();
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
    if (changes.length > 0) {
      // The pending mapping changes ride on the resume: the handler runs them, closes the window and returns to the application.
      this.setWindowBatch(ctx, changes);
      const stub = ctx.addressSpace.stub;
      stub.expected.length = 0;
      stub.expected.push(WINDOW_OPEN);
      stub.expectedTid = ctx.tid;
      if (ctx.slot.order(SLOT_STATE.BATCH_RESUME)) futex(ctx.slot.stateAddress, FUTEX.WAKE, 1);
      this.serveHeld(ctx);
      stub.expected.length = 0;
      return;
    }
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
      // A mapping change that rode on the last resume failed: mm and the host disagree, and the process cannot run on.
      if (ctx.slot.takeBatchFailed()) throw new ForgedSlotError(`stub ${ctx.addressSpace.stub.pid}: a mapping change failed`);
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
    if (!ctx.running || ctx.interruptRequested || ctx.killed || ctx.retired) return;
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
