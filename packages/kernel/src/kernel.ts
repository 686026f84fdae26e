import { serveVsyscall } from './vsyscall.js';
import { BUS, CLD, Errno, SA, SEGV, Signal, SysError, signalName } from '@tvisor/abi';
import type { MemoryFile } from '@tvisor/mm';
import type { Platform, StopEvent } from '@tvisor/platform';
import type { SyscallTable } from './syscall-table.js';
import { formatResult, formatSyscallEntry } from './strace.js';
import type { Task, ThreadGroup } from './task.js';
import type { Uname } from './uname.js';
import { DEFAULT_UNAME } from './uname.js';
import type { FsRoot } from './fs-context.js';
import { KernelLog, KmsgFile } from './klog.js';
import { clockNow } from './clock.js';
import { Vdso } from './vdso/vdso.js';
import { PageCache } from './page-cache.js';
import { MemfdFilesystem } from './memfd.js';
import { MemoryFilePages } from './file-pages.js';
import { FutexTable, cleanupRobustList } from './futex.js';
import { PipeFilesystem } from '@tvisor/vfs';
import { deliverFault, deliverPending, sendKill, sendSignal } from './signal-delivery.js';
import { REG } from '@tvisor/platform';
import { sigInfoChild } from './signals/index.js';
import { SIG_IGN } from './signals.js';
import { checkGroupStopped, hangUpOrphanedGroups, holdTask } from './job-control.js';
import { CpuTimers, groupCpu, nsToTicks, retireTaskCpu } from './cpu-time.js';
import { sessionLeaderExited } from './tty/terminal.js';
import { applySeccomp } from './seccomp.js';
import { parentProcessExited, parentThreadExited } from './parent-death.js';

export interface KernelOptions {
  platform: Platform;
  /** The syscall table to serve (for x86-64 Linux, `linux64SyscallTable()`). */
  syscalls: SyscallTable;
  memoryFile: MemoryFile;
  /** The sandbox's filesystem root (a VFS and the dentry processes start at). */
  root: FsRoot;
  /** Called with one line per syscall when --strace is on. */
  strace?: (line: string) => void;
  uname?: Partial<Uname>;
  /**
   * Where tmpfs file pages live, for MAP_SHARED of tmpfs files: the
   * sandbox's tmpfs mounts must use the same allocator (made from
   * `memoryFile`) for their files to be mappable shared.
   */
  filePages?: MemoryFilePages;
  /**
   * Init is the init of a PID namespace (a container's, as with runc and
   * gVisor): it takes no default action for a signal it has no handler for,
   * except SIGKILL or SIGSTOP sent from outside the sandbox (the runtime).
   */
  namespaceInit?: boolean;
  /** The command line that started the sandbox (`runsc do sh`), which dmesg shows. */
  commandLine?: string;
}

/** While host signals are watched, the longest the run loop's fast path goes without an event loop turn. */
const HOST_SIGNAL_TURN_MS = 2;
/** The longest the run loop blocks for stops while host signals are forwarded (a signal that just missed the wait waits this long at most). */
const HOST_SIGNAL_WAIT_SLICE_MS = 20;

/** The longest delay Node's setTimeout takes. */
const MAX_TIMEOUT_MS = 0x7fff_ffff;
/** Syscalls between two releases of the sentry's view of application memory (MemoryFile.releaseAllViews). */
const VIEW_RELEASE_INTERVAL = 512;

/** What a handler returns when it parked its task (see Kernel.block); never a valid result. */
export const BLOCKED = -0x7fff_fff0;

/** What a handler returns when it set every register itself (rt_sigreturn): rax is left alone. */
export const KEEP_REGISTERS = -0x7fff_fff1;

/** How a wait status encodes an exit (wait(2)): code in bits 8-15, or the killing signal in 0-6. */
export function exitStatus(code: number): number {
  return (code & 0xff) << 8;
}
export function signalStatus(sig: number): number {
  return sig & 0x7f;
}

/** The SIGCHLD siginfo for a child that has exited: how it ended, and its CPU times. */
export function exitSigInfo(child: ThreadGroup): Uint8Array {
  const { code, status } = exitReport(child);
  const cpu = groupCpu(child);
  return sigInfoChild(code, { pid: child.pid, uid: child.creds.uid, status, utime: nsToTicks(cpu.user), stime: nsToTicks(cpu.system) });
}

/** How a child that has exited ended, as siginfo says it: CLD_EXITED with the code, or CLD_KILLED/CLD_DUMPED with the signal. */
export function exitReport(child: ThreadGroup): { code: number; status: number } {
  const status = child.exitStatus ?? 0;
  const sig = status & 0x7f;
  if (sig === 0) return { code: CLD.EXITED, status: (status >> 8) & 0xff };
  return { code: status & 0x80 ? CLD.DUMPED : CLD.KILLED, status: sig };
}

/**
 * ptrace(2) between sandboxed tasks, as the core calls into it. ptrace/
 * installs it when a first link is made (the core does not import it, which
 * keeps the core's import cycle from growing); untraced tasks never use it.
 */
export interface PtraceHooks {
  /** A traced task made a syscall: true if it is held in a syscall-enter-stop (`serve` runs it once the tracer resumes it). */
  syscallEnter(task: Task, serve: () => void): boolean;
  /** A traced task is about to run application code: true if it is held in a ptrace-stop due first (event, syscall exit, interrupt). */
  beforeReturn(task: Task): boolean;
  /** A traced task dequeued `sig` to deliver: true if it is held in a signal-delivery-stop (the tracer says what is delivered). */
  signalDelivery(task: Task, sig: number, info: Uint8Array): boolean;
  /** A traced task takes stop signal `sig` with its default action: it is held in a group-stop the tracer sees and ends. */
  groupStop(task: Task, sig: number): void;
  /** SIGCONT continued process `group`: tracees that PTRACE_LISTEN left in a group-stop trap again (PTRACE_EVENT_STOP). */
  groupContinued(group: ThreadGroup): void;
  /** A thread has exited with wait status `status` (alone, or with its whole process): links to and from it end. */
  taskExited(task: Task, status: number): void;
}

/**
 * The sentry's kernel: tasks, the syscall table and the loop that serves the
 * platform's stops.
 */
export class Kernel {
  readonly table: SyscallTable;
  readonly platform: Platform;
  readonly memoryFile: MemoryFile;
  readonly root: FsRoot;
  readonly uname: Uname;
  readonly log: KernelLog;
  readonly tasks = new Map<number, Task>();
  readonly futexes = new FutexTable();
  /** Cached contents of mapped files, shared by private mappings. */
  readonly pageCache: PageCache;
  /** The vDSO and vvar page every address space maps (vdso/vdso.ts). */
  readonly vdso: Vdso;
  /** tmpfs file pages in the memory file (see KernelOptions.filePages). */
  readonly filePages: MemoryFilePages;
  /** Where memfd_create(2) creates its files. */
  readonly memfds: MemfdFilesystem;
  /** Where pipe(2) creates its pipes. */
  readonly pipes = new PipeFilesystem();
  readonly startTime = Date.now();
  private readonly strace?: (line: string) => void;
  /** Called as each process exits, before its memory goes (System V semaphore undo). */
  readonly onGroupExit = new Set<(group: ThreadGroup) => void>();
  /** Told about sentry bugs met while serving syscalls (runsc prints them with --debug). */
  onInternalError: ((text: string) => void) | undefined;
  private nextId = 1;
  init: ThreadGroup | undefined;
  /** See KernelOptions.namespaceInit. */
  readonly namespaceInit: boolean;
  /** Set once run() has started: new processes are resumed as they are added. */
  running = false;
  /** ptrace(2), once some task has traced another (see PtraceHooks). */
  ptraceHooks: PtraceHooks | undefined;
  /** Yama's ptrace_scope (/proc/sys/kernel/yama/ptrace_scope): 1, relational, as gVisor and most distributions start. */
  ptraceScope = 1;

  constructor(opts: KernelOptions) {
    this.platform = opts.platform;
    this.namespaceInit = opts.namespaceInit ?? false;
    this.log = new KernelLog(opts.commandLine);
    this.memoryFile = opts.memoryFile;
    this.root = opts.root;
    this.strace = opts.strace;
    this.uname = { ...DEFAULT_UNAME, ...opts.uname };
    this.filePages = opts.filePages ?? new MemoryFilePages(this.memoryFile);
    this.memfds = new MemfdFilesystem(this.filePages);
    this.table = opts.syscalls;
    this.pageCache = new PageCache(this.memoryFile);
    this.vdso = new Vdso(this.memoryFile);
    this.pipes.installFifoSupport(this.root.vfs);
    // /dev/kmsg (char 1:11) reads and writes the kernel log.
    this.root.vfs.devices.registerChar(1, 11, (inode) => new KmsgFile(inode, this.log));
  }

  /**
   * A file shrank or was cut to `size`: every process that maps it lets go of
   * the pages past the new end, as Linux's truncate_pagecache unmaps them
   * from every address space.
   */
  fileTruncated(dev: number, ino: number, size: number): void {
    const seen = new Set<Task['mm']>();
    for (const task of this.tasks.values()) {
      if (seen.has(task.mm)) continue;
      seen.add(task.mm);
      task.mm.fileTruncated(dev, ino, size);
    }
  }

  /** Allocates the next thread id (pids are thread group leaders' tids). */
  allocateId(): number {
    // clone3's set_tid may have taken an id ahead of the counter.
    while (this.tasks.has(this.nextId)) this.nextId++;
    return this.nextId++;
  }

  /** The most recently allocated id (for /proc/loadavg). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** The task whose syscall is being served: what /proc/self means. */
  current: Task | undefined;

  /**
   * Serves stops until the init process has exited, and returns its wait
   * status. The loop never stalls the sentry: while a kernel timer or a
   * host I/O wait is armed it waits for stops without blocking the event
   * loop, so they can fire; otherwise it blocks in the platform (the fastest
   * path), since only another stop can wake a parked task then.
   */
  async run(): Promise<number> {
    this.running = true;
    for (const task of this.tasks.values()) this.platform.resume(task.context);
    let lastTurn = performance.now();
    while (this.init?.exitStatus === undefined) {
      if (this.platform.runningCount > 0) {
        // Tasks parked on pipes, futexes or children are woken by other
        // tasks' syscalls, which arrive as stops: only timers and host I/O
        // need Node's event loop to run while we wait.
        const quiet = this.armedTimers === 0 && this.hostWaits === 0;
        const slice = this.hostSignalsWatched ? HOST_SIGNAL_WAIT_SLICE_MS : undefined;
        const ev = quiet ? this.platform.wait(slice) : (this.platform.pollStop() ?? (await this.platform.waitAsync()));
        if (ev) this.handleSafely(ev);
        this.vdso.tick();
        // Host signals the sandbox is to hear are seen on the event loop: it
        // gets a turn when one ended the platform's blocking wait (no stop
        // came) and every few ms while stops keep coming.
        if (quiet && this.hostSignalsWatched && (!ev || performance.now() - lastTurn >= HOST_SIGNAL_TURN_MS)) {
          await new Promise((resolve) => setImmediate(resolve));
          lastTurn = performance.now();
        }
      } else if (this.blocked.size > 0 || this.stoppedTasks.size > 0 || this.frozen) {
        // Every task is parked or stopped. Only a timer or host I/O can wake
        // one; if none is pending the app is deadlocked, and like on Linux it
        // then waits forever (Node would otherwise exit on an empty event loop).
        const keepAlive = setInterval(() => {}, 1 << 30);
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        clearInterval(keepAlive);
      } else {
        break;
      }
    }
    this.shutdown();
    return this.init?.exitStatus ?? exitStatus(0);
  }

  private armedTimers = 0;
  /** Timers on CPU-time clocks, checked on a tick while any is armed. */
  readonly cpuTimers = new CpuTimers((ms, fn) => this.setTimer(ms, fn));
  /** Waits on host events (host fds) that only Node's event loop can report. */
  hostWaits = 0;
  /**
   * Host signals are forwarded into the sandbox (runsc's signal
   * forwarding): their listeners run on the event loop, which the fast
   * path must then let turn now and then.
   */
  hostSignalsWatched = false;

  /**
   * Runs `fn` after `ms` milliseconds on the sentry's event loop, and
   * returns a function that cancels it. Every kernel timer goes through
   * here: while one is armed, the run loop waits for stops without blocking
   * the event loop, so the timer can fire even if every task is busy in
   * application code.
   */
  setTimer(ms: number, fn: () => void): () => void {
    if (this.armedTimers++ === 0) this.platform.prepareAsyncWait();
    let armed = true;
    const disarm = () => {
      if (!armed) return false;
      armed = false;
      this.armedTimers--;
      return true;
    };
    // Node's timers count whole milliseconds (round up, never fire early)
    // and take at most 2^31-1 of them (more fires after 1 ms!): a longer
    // wait is a chain of the longest ones.
    let handle: ReturnType<typeof setTimeout>;
    const schedule = (left: number) => {
      const now = Math.min(MAX_TIMEOUT_MS, left);
      handle = setTimeout(() => {
        if (left > MAX_TIMEOUT_MS) schedule(left - MAX_TIMEOUT_MS);
        else if (disarm()) fn();
      }, now);
    };
    schedule(Math.max(0, Math.ceil(ms)));
    return () => {
      if (disarm()) clearTimeout(handle);
    };
  }

  /**
   * Runs `fn` once `clock` reads `deadline` (ns) or later. The event loop's
   * clock and the sandbox clocks differ by fractions of a millisecond, so a
   * timer that fires a hair early is re-armed for the rest: a sleep never
   * ends before its deadline, as on Linux.
   */
  setDeadline(clock: number, deadline: bigint, fn: () => void): () => void {
    let cancel = () => {};
    const arm = () => {
      const left = Number(deadline - clockNow(clock)) / 1e6;
      if (left <= 0) {
        fn();
        return;
      }
      cancel = this.setTimer(left, arm);
    };
    const left = Number(deadline - clockNow(clock)) / 1e6;
    cancel = this.setTimer(Math.max(0, left), arm);
    return () => cancel();
  }

  /** Tasks parked in a blocking syscall. */
  readonly blocked = new Set<Task>();
  /** Tasks held by a group stop (job control), until SIGCONT. */
  readonly stoppedTasks = new Set<Task>();
  private wakeLoop: (() => void) | undefined;

  /** Set between freeze() and thaw(): no task runs application code or has a syscall served. */
  frozen = false;
  /** What freeze() held: tasks that were to run again, and stops that came in, in order. */
  private readonly frozenTasks = new Set<Task>();
  private readonly frozenStops: StopEvent[] = [];
  private frozenWaiters: (() => void)[] = [];

  /**
   * Stops every task where it is, unseen by the application (no signal, no
   * wait status: the OCI runtime's pause, gVisor's Kernel.Pause). Tasks in
   * application code are interrupted; stops that arrive are kept unserved,
   * and tasks whose waits end are held, until thaw(). Resolves once nothing
   * runs application code any more.
   */
  freeze(): Promise<void> {
    this.frozen = true;
    for (const t of this.tasks.values()) if (!t.exited && !this.blocked.has(t) && !t.jobStopped && t !== this.current) this.platform.interrupt(t.context);
    this.wakeRunLoop();
    return new Promise((resolve) => {
      this.frozenWaiters.push(resolve);
      this.checkFrozen();
    });
  }

  /** Undoes freeze(): the stops kept are served, the tasks held run on. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    for (const ev of this.frozenStops.splice(0)) if (!(ev.context.owner as Task).exited) this.handleSafely(ev);
    const held = [...this.frozenTasks];
    this.frozenTasks.clear();
    for (const t of held) this.resumeTask(t);
    this.checkFrozen();
    this.wakeRunLoop();
  }

  private checkFrozen(): void {
    if ((!this.frozen || this.platform.runningCount === 0) && this.frozenWaiters.length > 0) for (const w of this.frozenWaiters.splice(0)) w();
  }

  /** Tasks may run again: a run loop waiting for a timer or host I/O goes on. */
  wakeRunLoop(): void {
    const wake = this.wakeLoop;
    this.wakeLoop = undefined;
    wake?.();
  }

  /**
   * Parks `task` in its current syscall. `start` arranges for `complete` to
   * be called with the syscall's result (or -errno) when the wait is over,
   * and returns a function that cancels the arrangement (for signals and
   * exit). The handler returns what this returns. `interruptedResult` is
   * the result when a signal ends the wait, or computes it then (a sleep
   * writes its remaining time); null makes the wait one only SIGKILL ends
   * (Linux's TASK_KILLABLE): signals stay pending until it is over.
   */
  block(task: Task, start: (complete: (result: number) => void) => () => void, interruptedResult: number | (() => number) | null = -Errno.ERESTARTSYS): number {
    let done = false;
    let parked = false;
    let resultAtOnce = 0;
    const complete = (result: number) => {
      if (done) return;
      done = true;
      this.blocked.delete(task);
      task.cancelBlock = undefined;
      task.interruptBlock = undefined;
      // Completed inside `start`: the result goes back through the handler, and the caller resumes
      // the task (resuming it here as well delivered its pending signals twice).
      if (!parked) {
        resultAtOnce = result;
        return;
      }
      if (task.exited) return;
      task.regs.setReturn(result);
      if (this.strace) this.strace(`${task.pendingStrace} ${formatResult(result)}`);
      this.resumeTask(task);
      this.wakeRunLoop();
    };
    this.blocked.add(task);
    const cancel = start(complete);
    if (done) return resultAtOnce;
    const stopDue = task.ptrace !== undefined && (task.ptrace.interruptPending || task.ptrace.attachStopPending);
    if (interruptedResult !== null && (task.group.signals.next(task.blocked) !== 0 || stopDue)) {
      // A signal (or a tracer's PTRACE_INTERRUPT or ATTACH) may have come while the task ran
      // application code, its interrupt then absorbed by this very syscall's stop; or sigsuspend
      // unblocked a pending signal. As a pending signal ends an interruptible sleep on Linux, the
      // syscall is interrupted before it parks (else pause() would sleep with it pending, and a
      // periodic timer's signal, queued once until delivered, would never come again). The caller
      // resumes the task, delivering the signal.
      done = true;
      this.blocked.delete(task);
      cancel();
      return typeof interruptedResult === 'number' ? interruptedResult : interruptedResult();
    }
    parked = true;
    // A parked thread takes part in a group stop as it is.
    checkGroupStopped(this, task.group);
    if (!done) {
      task.cancelBlock = () => {
        done = true;
        this.blocked.delete(task);
        task.cancelBlock = undefined;
        task.interruptBlock = undefined;
        cancel();
      };
      // A signal ends the wait: the syscall fails with `interruptedResult`
      // (-ERESTARTSYS lets SA_RESTART restart it), then the signal is delivered.
      if (interruptedResult !== null) {
        task.interruptBlock = () => {
          cancel();
          complete(typeof interruptedResult === 'number' ? interruptedResult : interruptedResult());
        };
      }
    }
    return BLOCKED;
  }

  /**
   * Delivers pending signals, then lets `task` run application code again.
   * While its process is stopped (job control), it is held instead.
   */
  resumeTask(task: Task): void {
    if (task.exited) return;
    if (this.frozen) {
      this.frozenTasks.add(task);
      return;
    }
    // A tracee goes on as its tracer says, even through a group stop.
    if (task.ptrace && this.ptraceHooks?.beforeReturn(task)) return;
    if (task.group.jobStop.state !== 'running' && !task.ptrace) {
      holdTask(this, task);
      return;
    }
    if (!deliverPending(this, task)) return;
    this.platform.resume(task.context);
  }

  /** Starts a new thread of an existing process (clone): held if the process is stopping. */
  startTask(task: Task): void {
    if (this.frozen) this.frozenTasks.add(task);
    else if (task.group.jobStop.state !== 'running') holdTask(this, task);
    else this.platform.resume(task.context);
  }

  /**
   * A signal became pending for `task`: end its blocking syscall, or stop
   * it in application code, so the signal is delivered now.
   */
  interruptTask(task: Task): void {
    if (task.exited) return;
    if (task.interruptBlock) {
      task.interruptBlock();
      return;
    }
    if (task !== this.current) this.platform.interrupt(task.context);
  }

  /**
   * Serves one stop. A failure of the platform or a sentry bug while doing
   * so costs the affected process its life, never the sentry's.
   */
  private handleSafely(ev: StopEvent): void {
    if (this.frozen) {
      this.frozenStops.push(ev);
      this.checkFrozen();
      return;
    }
    try {
      this.handle(ev);
    } catch (e) {
      const task = ev.context.owner as Task;
      this.internalError(task, `${ev.kind} stop`, e);
      this.killGroup(task.group, Signal.SIGKILL);
    }
  }

  private handle(ev: StopEvent): void {
    const task = ev.context.owner as Task;
    switch (ev.kind) {
      case 'syscall':
        task.lastFault = -1;
        if (task.ptrace && this.ptraceHooks?.syscallEnter(task, () => this.serveTraced(task))) return;
        this.syscall(task);
        break;
      case 'fault': {
        if (ev.signal === Signal.SIGSEGV && serveVsyscall(task, () => this.syscall(task))) break;
        const fix = ev.signal === Signal.SIGSEGV ? this.fixFault(task, ev.code, ev.addr) : 'deliver';
        if (fix === 'fixed') break;
        // mm may know better than the host: a page past the end of a mapped file is SIGBUS.
        const [sig, code] = fix === 'sigbus' ? [Signal.SIGBUS, BUS.ADRERR] : [ev.signal, ev.code];
        this.log.event(`pid ${task.group.pid} (${task.group.name}): ${signalName(sig)} at 0x${ev.addr.toString(16)}, ip 0x${task.regs.ip.toString(16)}`);
        deliverFault(this, task, sig, code, ev.addr);
        break;
      }
      case 'interrupt':
        // Stopped so that a pending signal is delivered: resumeTask does it.
        break;
      case 'signal':
        // A host signal reached the stub (e.g. a terminal's SIGINT): treat it
        // as sent to the process, which has no handlers delivered yet.
        sendKill(this, task.group, ev.signal);
        break;
      case 'gone':
        this.killGroup(task.group, Signal.SIGKILL);
        return;
    }
    if (!task.exited && !this.blocked.has(task)) this.resumeTask(task);
  }

  /** Serves a tracee's syscall once its tracer resumed it from the syscall-enter-stop (from the tracer's own syscall). */
  private serveTraced(task: Task): void {
    const tracer = this.current;
    this.syscall(task);
    this.current = tracer;
    if (!task.exited && !this.blocked.has(task)) this.resumeTask(task);
    this.wakeRunLoop();
  }

  private syscall(task: Task): void {
    try {
      this.serveSyscall(task);
    } finally {
      this.current = undefined;
    }
    // Every so often the sentry lets go of the application pages it touched
    // (copies into read(2) buffers, loaded images): they are the
    // application's memory, and its own RSS need not carry them.
    if (++this.syscallsSinceRelease >= VIEW_RELEASE_INTERVAL) {
      this.syscallsSinceRelease = 0;
      this.memoryFile.releaseAllViews();
    }
  }
  private syscallsSinceRelease = 0;

  private serveSyscall(task: Task): void {
    const regs = task.regs;
    const nr = regs.syscallNumber;
    const entry = this.table.lookup(nr);
    this.current = task;
    const shown = this.strace ? `[${task.tid}] ` + formatSyscallEntry(task, nr, entry) : '';
    let result: number;
    const startedAt = performance.now();
    const verdict = task.seccomp ? applySeccomp(this, task, task.seccomp, nr) : undefined;
    if (verdict && !verdict.run) {
      result = verdict.result === 'keep' ? KEEP_REGISTERS : verdict.result;
    } else if (!entry?.handler) {
      result = -Errno.ENOSYS;
    } else {
      try {
        result = entry.handler(task, regs);
      } catch (e) {
        result = e instanceof SysError ? -e.errno : this.internalError(task, entry.name, e);
      }
    }
    task.sentryMs += performance.now() - startedAt;
    if (task.exited) {
      if (this.strace) this.strace(`${shown} = ?`);
      return;
    }
    if (result === BLOCKED) {
      task.pendingStrace = shown;
      return;
    }
    if (result === KEEP_REGISTERS) {
      if (this.strace) this.strace(`${shown} = ${task.regs.getSigned(REG.rax)}`);
      return;
    }
    // execve may have given the task new registers: write the result there.
    task.regs.setReturn(result);
    if (this.strace) this.strace(`${shown} ${formatResult(result)}`);
  }

  /**
   * A host SIGSEGV in the stub may just mean mm has not mirrored that page
   * yet (lazy population) or it is copy-on-write. The host's si_code tells
   * an unmapped page (populate it, as a read) from a protection mismatch
   * (retry as a write, which breaks COW); mm decides whether the access is
   * legal at all, and whether it is SIGBUS (past the end of a mapped file)
   * rather than the host's SIGSEGV.
   */
  private fixFault(task: Task, code: number, addr: number): 'fixed' | 'sigbus' | 'deliver' {
    // The same fault twice in a row was not fixed by the first attempt (an
    // access mm allows but the host page cannot give, e.g. exec of a
    // no-exec page): deliver it.
    const again = task.lastFault === addr;
    task.lastFault = addr;
    if (again) return 'deliver';
    const result = task.mm.handleFault(addr, code === SEGV.ACCERR);
    if (result === 'fixed') {
      task.mm.addressSpace.flush();
      return 'fixed';
    }
    return result.signal === 'SIGBUS' ? 'sigbus' : 'deliver';
  }

  /**
   * A bug in the sentry met while serving a syscall. The sentry must not
   * die of it (the app would die with it, and other sandboxed processes
   * too): it is logged, and the syscall fails with EIO.
   */
  private internalError(task: Task, name: string, e: unknown): number {
    const text = `sentry error in ${name} for pid ${task.group.pid}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    this.log.event(text);
    this.onInternalError?.(text);
    return -Errno.EIO;
  }

  addTask(task: Task): void {
    this.tasks.set(task.tid, task);
  }

  /** execve succeeded: a vfork parent waiting for this child may go on. */
  execDone(task: Task): void {
    const done = task.group.vforkDone;
    task.group.vforkDone = undefined;
    done?.();
  }

  /**
   * exit(2) of one thread: the process goes on while it has others (its
   * last thread's exit ends it). The thread's clear_child_tid word is
   * zeroed and futex-woken, which is how pthread_join learns of it.
   */
  exitThread(task: Task, code: number): void {
    const g = task.group;
    if (g.tasks.size <= 1) {
      this.exitGroup(g, exitStatus(code));
      return;
    }
    task.cancelBlock?.();
    retireTaskCpu(task);
    task.exited = true;
    this.tasks.delete(task.tid);
    g.tasks.delete(task);
    this.stoppedTasks.delete(task);
    cleanupRobustList(task);
    const vforkDone = task.vforkDone;
    task.vforkDone = undefined;
    vforkDone?.();
    if (task.clearChildTid !== 0) {
      try {
        g.mm.copyOut(task.clearChildTid, new Uint8Array(4));
        // Linux wakes clear_child_tid as a shared futex; pthread_join waits on it so.
        this.futexes.wake(FutexTable.key(task, task.clearChildTid, true), 1);
      } catch {
        // An unmapped clear_child_tid is ignored, as on Linux.
      }
    }
    this.platform.endThread(task.context);
    parentThreadExited(task, this.sendFromKernel);
    this.ptraceHooks?.taskExited(task, exitStatus(code));
    // The last thread a stopping process waited for may be this one.
    checkGroupStopped(this, g);
  }

  /**
   * Ends every thread of `group` with wait status `status`: the process
   * becomes a zombie until its parent reaps it, its children go to init,
   * and the parent is told (wait4 wakes up; SIGCHLD's disposition decides
   * whether the zombie is reaped at once).
   */
  exitGroup(group: ThreadGroup, status: number): void {
    if (group.exitStatus !== undefined) return;
    group.exitStatus = status;
    group.maxRssKb = Math.floor(group.mm.residentBytes() / 1024);
    // Killing a context takes its address space with it: not while another process (clone with CLONE_VM) runs there.
    const memoryShared = group.mm.shared;
    for (const t of group.tasks) {
      t.cancelBlock?.();
      retireTaskCpu(t);
      t.exited = true;
      this.tasks.delete(t.tid);
      this.stoppedTasks.delete(t);
      if (memoryShared) this.platform.endThread(t.context);
      else t.context.kill();
    }
    if (this.ptraceHooks) for (const t of group.tasks) this.ptraceHooks.taskExited(t, status);
    group.realTimer?.cancel();
    group.realTimer = undefined;
    for (const timer of group.cpuItimers.values()) timer.cancel();
    group.cpuItimers.clear();
    group.cpuLimitCancel?.();
    group.cpuLimitCancel = undefined;
    for (const timer of group.timers.values()) timer.cancel?.();
    group.timers.clear();
    for (const fd of group.fds.fds()) this.root.vfs.locks.releaseRecordLocks(group.fds.get(fd).inode, group.pid);
    group.fds.release();
    for (const hook of this.onGroupExit) hook(group);
    group.mm.release();
    const vforkDone = group.vforkDone;
    group.vforkDone = undefined;
    vforkDone?.();
    group.onExit?.(status);
    for (const watch of [...group.exitWatchers]) watch();

    sessionLeaderExited(group);
    if (group === this.init) {
      // Like a PID namespace: when init dies, every other process is killed.
      for (const t of [...this.tasks.values()]) this.exitGroup(t.group, signalStatus(Signal.SIGKILL));
      return;
    }
    const init = this.init;
    for (const child of group.children) {
      child.parent = init;
      init?.children.add(child);
      if (child.exitStatus !== undefined) this.notifyParent(child);
    }
    parentProcessExited(group.children, init, this.sendFromKernel);
    hangUpOrphanedGroups(this, group, group.children);
    group.children.clear();
    this.notifyParent(group);
  }

  /** A signal from the kernel itself (SI_KERNEL, no sender). */
  private readonly sendFromKernel = (g: ThreadGroup, sig: number) => sendKill(this, g, sig);

  private notifyParent(child: ThreadGroup): void {
    const parent = child.parent;
    if (!parent) return;
    const chld = parent.signals.actions[Signal.SIGCHLD];
    // SIGCHLD ignored or SA_NOCLDWAIT: children are reaped as they exit (wait(2) NOTES).
    if (child.exitSignal === Signal.SIGCHLD && (chld.handler === SIG_IGN || (chld.flags & BigInt(SA.NOCLDWAIT)) !== 0n)) {
      parent.children.delete(child);
    }
    for (const wake of [...parent.childWaiters]) wake();
    if (child.exitSignal > 0) {
      const info = exitSigInfo(child);
      sendSignal(this, parent, child.exitSignal, info);
    }
  }

  /**
   * A signal the kernel raises in `task` itself for what it just did (SIGPIPE, SIGXFSZ): as
   * Linux's send_sig(sig, current, 0), it is directed at that thread and reads as SI_USER from
   * the process itself.
   */
  raiseSignal(task: Task, sig: number): void {
    sendKill(this, task.group, sig, task, task);
  }

  killGroup(group: ThreadGroup, sig: number): void {
    this.exitGroup(group, signalStatus(sig));
  }

  private shutdown(): void {
    for (const t of [...this.tasks.values()]) this.exitGroup(t.group, signalStatus(Signal.SIGKILL));
    this.platform.shutdown();
    this.vdso.release();
  }
}
