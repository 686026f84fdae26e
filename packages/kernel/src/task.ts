import type { MemoryManager } from '@tvisor/mm';
import type { VirtualDentry } from '@tvisor/vfs';
import type { Registers } from '@tvisor/platform';
import type { FdTable } from './fd-table.js';
import type { FsContext } from './fs-context.js';
import type { Kernel } from './kernel.js';
import type { PlatformContext } from '@tvisor/platform';
import { Signal } from '@tvisor/abi';
import { SignalState } from './signals.js';
import { ALTSTACK_INITIAL, type AltStack } from './signals/index.js';
import { defaultRlimits } from './rlimits.js';
import type { PosixTimer } from './posix-timers.js';
import { GroupStop } from './job-control.js';
import { zeroCpu, type CpuTimes } from './cpu-time.js';
import type { Terminal } from './tty/terminal.js';
import type { SeccompState } from './seccomp.js';
import type { Credentials } from './credentials.js';
import type { PtraceLink, TraceeExit } from './ptrace/link.js';
import { defaultSchedState, type SchedState } from './sched-state.js';

export type { Credentials } from './credentials.js';

/**
 * A process (a thread group): what its threads share. Identified by the
 * thread group leader's tid, which is the pid inside the sandbox.
 */
export class ThreadGroup {
  readonly tasks = new Set<Task>();
  readonly children = new Set<ThreadGroup>();
  signals = new SignalState();
  /** Set once the whole group has exited: the wait status (as wait(2) encodes it). */
  exitStatus: number | undefined;
  /** Process group and session ids. */
  pgid: number;
  sid: number;
  /** The controlling terminal (shared by the session; inherited across fork). */
  tty: Terminal | undefined;
  name: string;
  /** When the process started (ms since the epoch), for /proc/PID/stat. */
  readonly startedAt = Date.now();
  /** prctl state. */
  parentDeathSignal = 0;
  /** The thread that forked this process (Linux's real_parent): its exit is the parent's death for PR_SET_PDEATHSIG and whom PTRACE_TRACEME names. */
  parentThread: Task | undefined;
  /** /proc/PID/oom_score_adj (-1000..1000), inherited across fork as Linux's signal_struct keeps it. */
  oomScoreAdj = 0;
  noNewPrivs = false;
  dumpable = 1;
  childSubreaper = false;
  personality = 0;
  /** Set by execve (Linux clears PF_FORKNOEXEC): the parent may no longer setpgid this process (EACCES). */
  execed = false;
  /** setitimer(ITIMER_REAL) / alarm: when it fires (monotonic ns), its interval, and how to cancel it. */
  realTimer: { deadline: number; intervalNs: number; cancel: () => void } | undefined;
  /** setitimer(ITIMER_VIRTUAL / ITIMER_PROF): expiry on the process's CPU clock (ns), interval, canceller. */
  readonly cpuItimers = new Map<number, { deadline: bigint; interval: bigint; cancel: () => void }>();
  /** CPU time of threads that have exited (or were replaced by execve). */
  exitedCpu: CpuTimes = zeroCpu();
  /** CPU time of reaped children (RUSAGE_CHILDREN, times' cutime/cstime). */
  childrenCpu: CpuTimes = zeroCpu();
  /** Resident set size (KiB) when the process exited, and the largest among reaped children. */
  maxRssKb = 0;
  childrenMaxRssKb = 0;
  /** POSIX timers (timer_create) by id. */
  readonly timers = new Map<number, PosixTimer>();
  /** Resource limits, [soft, hard] per RLIMIT_*. */
  rlimits: Array<[bigint, bigint]> = defaultRlimits();
  /** Cancels the RLIMIT_CPU watch (cpu-limit.ts), when one is armed. */
  cpuLimitCancel: (() => void) | undefined;
  /** rt_sigtimedwait callers waiting for one of their blocked signals to arrive. */
  readonly signalWaiters = new Set<() => void>();
  /** Called when a child changes state (exits, stops, continues): wakes wait4/waitid callers. */
  readonly childWaiters = new Set<() => void>();
  /** Job control: whether the process is stopped, and what wait has still to report. */
  readonly jobStop = new GroupStop();
  /** The signal the parent gets when this process exits (clone's exit signal; SIGCHLD for fork). */
  exitSignal: number = Signal.SIGCHLD;
  /** Called when the whole group has exited, after its exit status is set (pidfds wake their pollers). */
  readonly exitWatchers = new Set<() => void>();
  /** Called once when the whole group has exited (a process started from outside, e.g. an OCI exec, has no parent to tell). */
  onExit: ((status: number) => void) | undefined;
  /** Set while a vfork parent waits for this child to exec or exit. */
  vforkDone: (() => void) | undefined;
  /** Threads this process's threads trace (ptrace): wait reports their stops, whoever their parent is. */
  readonly tracees = new Set<Task>();
  /** This process exited while traced by another than its parent, which has not yet waited for it: its parent cannot reap it yet. */
  exitUnreportedToTracer = false;
  /** PR_SET_PTRACER: who may trace this process under Yama scope 1 besides its ancestors (tracer undefined: anyone). */
  ptracerException: { tracer: Task | undefined } | undefined;
  /** Its leader exited traced by its parent: the parent waits for it as a tracee, whatever __WCLONE says. */
  exitedTracedByParent = false;
  /** Exits of tracees this process is not the parent of, for wait to report once. */
  readonly traceeExits: TraceeExit<ThreadGroup>[] = [];
  /** Where argv and envp live in the process's memory, and its executable as resolved at exec (for /proc). */
  mmInfo: {
    argStart: number;
    argEnd: number;
    envStart: number;
    envEnd: number;
    exe: VirtualDentry | undefined;
    auxv: ReadonlyArray<readonly [number, number]>;
  } = {
    argStart: 0,
    argEnd: 0,
    envStart: 0,
    envEnd: 0,
    exe: undefined,
    auxv: [],
  };

  constructor(
    readonly pid: number,
    public parent: ThreadGroup | undefined,
    public mm: MemoryManager,
    public fds: FdTable,
    public fs: FsContext,
    public creds: Credentials,
    name: string,
  ) {
    this.pgid = parent?.pgid ?? pid;
    this.sid = parent?.sid ?? pid;
    this.tty = parent?.tty;
    this.name = name;
  }
}

/** One application thread. */
export class Task {
  /** Address the kernel clears and futex-wakes when the thread exits (set_tid_address). */
  clearChildTid = 0;
  exited = false;
  /** Signals this thread blocks (sigprocmask). */
  blocked = 0n;
  /** The mask rt_sigsuspend replaced, restored into the next signal frame. */
  savedMask: bigint | undefined;
  /** sigaltstack settings. */
  altStack: AltStack = { ...ALTSTACK_INITIAL };
  /** set_robust_list's head, for robust futex cleanup at exit. */
  robustList = 0;
  /** set_mempolicy's NUMA policy, encoded by syscalls/mempolicy.ts (0: MPOL_DEFAULT); clone copies it. */
  memPolicy = 0;
  /** Scheduling policy, nice, affinity and I/O priority (sched-state.ts); clone copies it. */
  sched: SchedState = defaultSchedState();
  /** Cancels the wait of a syscall parked by Kernel.block. */
  cancelBlock: (() => void) | undefined;
  /** Ends that wait because a signal arrived. */
  interruptBlock: (() => void) | undefined;
  /** The --strace text of a parked syscall, printed with its result. */
  pendingStrace = '';
  /** Address of the last fault mm fixed, to notice one that keeps coming back. */
  lastFault = -1;
  /** Held by a group stop: not resumed until SIGCONT. */
  jobStopped = false;
  /** CPU time (ns) of execution contexts this task had before execve replaced them. */
  cpuUserBase = 0n;
  /** Time (ms) the sentry spent serving this task's syscalls: its system time. */
  sentryMs = 0;
  /** Set while a CLONE_VFORK|CLONE_THREAD creator waits for this thread to exit. */
  vforkDone: (() => void) | undefined;
  /** seccomp mode and filters (undefined: none); shared with threads and children it creates, kept across execve. */
  seccomp: SeccompState | undefined;
  /** How restart_syscall(2) resumes a sleep a signal interrupted (-ERESTART_RESTARTBLOCK). */
  restartBlock: (() => number) | undefined;
  /** The link to this thread's tracer while it is traced (ptrace/). */
  ptrace: PtraceLink<Task> | undefined;

  constructor(
    readonly kernel: Kernel,
    /** Thread id; execve from another thread gives it the leader's (the pid). */
    public tid: number,
    public group: ThreadGroup,
    public context: PlatformContext,
  ) {
    context.owner = this;
    this.creds = group.creds;
    this.comm = group.name;
  }

  /** The thread's name (PR_SET_NAME, /proc/PID/task/TID/comm); the leader's is also ThreadGroup.name. */
  comm: string;

  /** Renames the thread; the leader's name is the process's. */
  setComm(name: string): void {
    this.comm = name;
    if (this.tid === this.group.pid) this.group.name = name;
  }

  /**
   * The thread's credentials: Linux keeps them per task (a raw setuid(2)
   * changes one thread; glibc's wrappers repeat it on every thread). The
   * leader's object is also ThreadGroup.creds, what others check the process by.
   */
  creds: Credentials;

  /** Moves the task to a new execution context (execve); the old one is the caller's to kill. */
  replaceContext(context: PlatformContext): void {
    this.cpuUserBase += this.context.cpuTime();
    this.context = context;
    context.owner = this;
  }

  get regs(): Registers {
    return this.context.regs;
  }

  get mm(): MemoryManager {
    return this.group.mm;
  }
}
