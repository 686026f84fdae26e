import type { Platform, PlatformAddressSpace, PlatformContext, StopEvent } from '../platform.js';
import { Registers, USER_REGS_SIZE } from '../registers.js';

/** One call a `FakeAddressSpace` received, in order. */
export type AddressSpaceCall =
  | { op: 'mapFile'; addr: number; length: number; fileOffset: number; prot: number }
  | { op: 'unmap'; addr: number; length: number }
  | { op: 'protect'; addr: number; length: number; prot: number }
  | { op: 'flush' }
  | { op: 'release' };

/**
 * An address space that runs nothing and records what it is asked, so a test
 * can check what the kernel and mm mirrored. Application memory itself lives
 * in mm's memory file, which tests read through mm.
 */
export class FakeAddressSpace implements PlatformAddressSpace {
  readonly hostPid = 0;
  readonly calls: AddressSpaceCall[] = [];
  released = false;

  mapFile(addr: number, length: number, fileOffset: number, prot: number): void {
    this.calls.push({ op: 'mapFile', addr, length, fileOffset, prot });
  }
  unmap(addr: number, length: number): void {
    this.calls.push({ op: 'unmap', addr, length });
  }
  protect(addr: number, length: number, prot: number): void {
    this.calls.push({ op: 'protect', addr, length, prot });
  }
  flush(): void {
    this.calls.push({ op: 'flush' });
  }
  release(): void {
    this.calls.push({ op: 'release' });
    this.released = true;
  }
}

/**
 * A thread that never executes: it only records whether the kernel let it
 * run (`resume`), asked it to stop (`interrupt`) or ended it. A test plays
 * the application: it sets registers and hands the kernel a stop.
 */
export class FakeContext implements PlatformContext {
  readonly regs = new Registers(new ArrayBuffer(USER_REGS_SIZE));
  owner: unknown;
  /** Resumed and not yet stopped by the test. */
  running = false;
  /** The kernel called `interrupt` while it ran. */
  interruptRequested = false;
  killed = false;
  /** What `cpuTime` reports; tests advance it by hand. */
  cpuNanos = 0n;
  private fpState = new Uint8Array(0);

  constructor(readonly addressSpace: PlatformAddressSpace) {}

  getFpState(): Uint8Array {
    return this.fpState.slice();
  }
  setFpState(state: Uint8Array): void {
    this.fpState = state.slice();
  }
  cpuTime(): bigint {
    return this.cpuNanos;
  }
  kill(): void {
    this.killed = true;
    this.running = false;
  }

  /**
   * The test's side of a stop: the context is no longer running, and any
   * interrupt request is consumed. Returns the event to hand the kernel.
   */
  stop<K extends StopEvent['kind']>(kind: K, extra: Omit<Extract<StopEvent, { kind: K }>, 'kind' | 'context'>): StopEvent {
    this.running = false;
    this.interruptRequested = false;
    return { kind, context: this, ...extra } as StopEvent;
  }
}

/**
 * A `Platform` for in-process tests of the kernel: no host processes, no
 * ptrace. Contexts never run by themselves, so `wait` reports only the stops
 * a test queued with `queueStop`; a test can also hand stops to the kernel
 * directly.
 */
export class FakePlatform implements Platform {
  readonly name = 'fake';
  /** Every context created, in order. */
  readonly contexts: FakeContext[] = [];
  private readonly queued: StopEvent[] = [];
  shutDown = false;

  newProcess(): { addressSpace: FakeAddressSpace; context: FakeContext } {
    const addressSpace = new FakeAddressSpace();
    return { addressSpace, context: this.track(new FakeContext(addressSpace)) };
  }

  newThread(context: PlatformContext): FakeContext {
    return this.track(new FakeContext(context.addressSpace));
  }

  endThread(context: PlatformContext): void {
    (context as FakeContext).kill();
  }

  resume(context: PlatformContext): void {
    const c = context as FakeContext;
    if (!c.killed) c.running = true;
  }

  /** Makes the next `wait`/`pollStop`/`waitAsync` report `ev`. */
  queueStop(ev: StopEvent): void {
    (ev.context as FakeContext).running = false;
    this.queued.push(ev);
  }

  wait(): StopEvent | undefined {
    return this.queued.shift();
  }

  waitAsync(): Promise<StopEvent | undefined> {
    return Promise.resolve(this.queued.shift());
  }

  pollStop(): StopEvent | undefined {
    return this.queued.shift();
  }

  prepareAsyncWait(): void {}

  /** Stops a test has queued (a fake context runs no code, so nothing else counts). */
  get runningCount(): number {
    return this.queued.length;
  }

  interrupt(context: PlatformContext): void {
    const c = context as FakeContext;
    if (c.running) c.interruptRequested = true;
  }

  shutdown(): void {
    for (const c of this.contexts) c.kill();
    this.shutDown = true;
  }

  private track(c: FakeContext): FakeContext {
    this.contexts.push(c);
    return c;
  }
}
