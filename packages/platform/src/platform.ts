import type { AddressSpace } from './address-space.js';
import type { Registers } from './registers.js';

/**
 * The seam between the kernel and the mechanism that runs application code.
 * The kernel decides *what* happens (it serves every syscall and owns every
 * mapping); a platform only runs application instructions until they need the
 * kernel, and mirrors the address space `mm` describes.
 *
 * One platform instance serves many address spaces and contexts. Every method
 * must be called from the thread that created the platform (ptrace requires
 * it). The kernel is the only caller; it is single-threaded, so no method is
 * ever re-entered.
 *
 * Errors: a method that cannot get a host resource it needs (a process, a
 * thread, memory) throws `SysError` from `@tvisor/abi` with the errno the
 * kernel should pass on (EAGAIN, ENOMEM...); a host thread that vanishes
 * under the platform is reported as a 'gone' stop, never thrown.
 */
export interface Platform {
  /** Human-readable platform name, as `--platform` spells it. */
  readonly name: string;

  /**
   * Creates an empty application address space with one execution context
   * bound to it. The address space holds no application mappings yet; the
   * context's registers are undefined until the kernel sets them.
   * Called by the kernel for the first process, for fork/clone without
   * CLONE_VM, and for execve when `reuseProcess` declines. The context is
   * stopped; it runs only after the kernel maps memory, sets registers and
   * calls `resume`. Throws SysError (EAGAIN, ENOMEM) when the host refuses.
   */
  newProcess(): { addressSpace: PlatformAddressSpace; context: PlatformContext };

  /**
   * For execve, optionally: a new, empty address space and context built on
   * the host resources behind `context` (which must be stopped and the only
   * context of its address space), saving the cost of a new host process.
   * Until `commit` is called nothing changes for `context`: the new address
   * space only records what it is asked (its `flush` applies nothing) and
   * killing the new context or releasing the new space just drops them.
   * `commit` removes every old mapping, applies the recorded changes and
   * resets the thread's FP state; from then on the new context runs the
   * thread, and the old context and address space are inert (their `kill`
   * and `release` do nothing). Returns undefined when it cannot reuse
   * `context` (the kernel then calls newProcess). Called only by execve.
   */
  reuseProcess?(context: PlatformContext): { addressSpace: PlatformAddressSpace; context: PlatformContext; commit(): void } | undefined;

  /**
   * Creates another thread in `context`'s address space (for clone with
   * CLONE_THREAD, and for a process sharing the address space: clone with
   * CLONE_VM). `context` must be stopped. The new context is stopped;
   * its registers are undefined until the kernel sets them (clone copies the
   * parent's). Throws SysError (EAGAIN) when the host cannot create a thread.
   */
  newThread(context: PlatformContext): PlatformContext;

  /**
   * Ends one thread of an address space; the others go on. (To end them all,
   * kill any context: the address space goes with it.) Called by the kernel
   * when a thread exits while others of its group live on, and for every
   * thread of a process that exits or execs while another process shares
   * its address space (clone with CLONE_VM). The context is inert
   * afterwards: one still running is stopped and never reported. Never throws.
   */
  endThread(context: PlatformContext): void;

  /**
   * Marks `context` runnable with its current registers: the application runs
   * from there until its next syscall, fault or signal, which `wait` reports.
   * Writes back any register changes the kernel made since the last stop.
   * The kernel calls it after serving a stop, and only for a stopped context
   * (resuming a running one is a kernel bug; a platform may ignore it). The
   * address space has been flushed by then.
   */
  resume(context: PlatformContext): void;

  /**
   * Blocks until some resumed context stops and reports why. Returns
   * undefined when no context is running (nothing could ever be reported).
   * Blocks the whole event loop: the kernel uses it only when it has no
   * timer or host I/O to wait for. Each stop is reported exactly once.
   *
   * With `sliceMs`, a platform may also return undefined once about that
   * long has passed without a stop (or a host signal interrupted it), so a
   * caller whose event loop must see host signals gets a turn even while
   * the app computes without syscalls; a platform that cannot bound its
   * wait ignores it.
   */
  wait(sliceMs?: number): StopEvent | undefined;

  /**
   * Like `wait`, but never blocks the event loop: resolves when some
   * resumed context has stopped, so timers and host I/O go on meanwhile.
   * At most one call is outstanding at a time.
   */
  waitAsync(): Promise<StopEvent | undefined>;

  /**
   * For callers that must keep the event loop turning: a stop, if one comes
   * within a brief poll; undefined otherwise, and also whenever the event
   * loop is due a turn (the caller then awaits `waitAsync`, which gives it
   * one first). Never blocks for long.
   */
  pollStop(): StopEvent | undefined;

  /**
   * The kernel is about to need `waitAsync` (it armed a timer): a platform
   * may start whatever waitAsync relies on now, so the first wait does not
   * pay for it. A hint: calling it any number of times is harmless.
   */
  prepareAsyncWait(): void;

  /** How many contexts are running application code (resumed and not yet reported stopped). */
  readonly runningCount: number;

  /**
   * Asks a running context to stop soon, so the kernel can deliver a signal
   * to it; the stop is reported by `wait` as an 'interrupt'. Does nothing if
   * the context is already stopped. Called by the kernel when it queues a
   * signal for a task that is not the one it is serving. Never throws.
   */
  interrupt(context: PlatformContext): void;

  /**
   * Stops every context and frees every host resource the platform holds.
   * Called once, by whoever created the platform (runsc) after the kernel
   * returns; the platform is unusable afterwards.
   */
  shutdown(): void;
}

/** An address space as the platform implements it. */
export interface PlatformAddressSpace extends AddressSpace {
  /** The host pid of the process that backs this address space (for tests and /proc diagnostics only). */
  readonly hostPid: number;
}

/** One application thread as the platform runs it. */
export interface PlatformContext {
  /**
   * The thread's general registers; valid while it is stopped. The same
   * object for the context's whole life: the kernel may keep a reference, and
   * its writes take effect at the next `resume`.
   */
  readonly regs: Registers;
  /** The address space the context runs in. */
  readonly addressSpace: PlatformAddressSpace;
  /**
   * The thread's floating-point and vector state (x87, SSE, AVX...) in the
   * XSAVE format, as a copy. Only while the context is stopped.
   */
  getFpState(): Uint8Array;
  /** Replaces the thread's FP state with an XSAVE image (from getFpState or a signal frame). Only while stopped. */
  setFpState(state: Uint8Array): void;
  /**
   * CPU time (ns) the host has spent running this context's thread so far:
   * its application code and the host's work on its behalf. Never decreases;
   * may be read while the context runs. After the thread is gone, the last
   * value the platform saw.
   */
  cpuTime(): bigint;
  /** Kernel-side owner (the Task), set by the kernel; opaque to the platform. */
  owner: unknown;
  /**
   * Ends the context: its host thread or process is killed and reaped. Safe
   * to call more than once.
   */
  kill(): void;
}

/** Why a context stopped. */
export type StopEvent =
  /** The application made a system call; its number and arguments are in `regs`. */
  | { kind: 'syscall'; context: PlatformContext }
  /** A synchronous fault: the application touched memory it may not, executed an illegal instruction, divided by zero... */
  | { kind: 'fault'; context: PlatformContext; signal: number; code: number; addr: number }
  /** A signal from outside the sandbox reached the context's host thread (e.g. SIGINT from a terminal). */
  | { kind: 'signal'; context: PlatformContext; signal: number }
  /** The kernel asked for this stop (Platform.interrupt). */
  | { kind: 'interrupt'; context: PlatformContext }
  /** The host thread is gone (killed from outside). */
  | { kind: 'gone'; context: PlatformContext; status: number };
