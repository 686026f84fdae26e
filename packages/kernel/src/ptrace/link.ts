// The state of one tracer/tracee link (ptrace(2)). A leaf module: task.ts
// holds a link per traced thread, and the core's import cycle must not grow,
// so nothing here imports the kernel or the task.

/** How the tracer last resumed the tracee: where it stops next. */
export type ResumeMode = 'cont' | 'syscall' | 'sysemu';

/** What kind of ptrace-stop the tracee is in (man 2 ptrace, "Stopped states"). */
export type StopKind = 'signal' | 'group' | 'syscall-enter' | 'syscall-exit' | 'event';

/** A ptrace-stop: what wait reports, and how the tracee goes on when the tracer resumes it. */
export interface PtraceStop {
  kind: StopKind;
  /** The wait status wait4 reports (W_STOPCODE with an event in bits 16+). */
  status: number;
  /** waitid's si_status: the stop signal. */
  signal: number;
  /** The siginfo PTRACE_GETSIGINFO reads and PTRACE_SETSIGINFO replaces. */
  siginfo: Uint8Array;
  /** Whether wait has reported this stop already. */
  reported: boolean;
  /** PTRACE_LISTEN: still stopped, but no longer waiting for the tracer's say. */
  listening: boolean;
  /** Called when the tracer resumes the tracee, with the signal it gave (0: none). */
  resume(signal: number): void;
}

/** A signal the tracer gave at a signal-delivery-stop, to be delivered instead of the one that stopped. */
export interface InjectedSignal {
  sig: number;
  info: Uint8Array;
}

/** One tracee's link to its tracer (`Tracer` is the tracer's task type). */
export class PtraceLink<Tracer> {
  /** PTRACE_O_* options. */
  options = 0;
  mode: ResumeMode = 'cont';
  /** PTRACE_GETEVENTMSG's value: the new pid of a fork event, the exit status of an exit event, the former tid of exec. */
  eventMsg = 0;
  /** The ptrace-stop the tracee is in, if any. */
  stop: PtraceStop | undefined;
  /** A PTRACE_EVENT stop due before the current syscall returns (fork, clone, exec). */
  pendingEvent: { event: number; msg: number } | undefined;
  /** The syscall being served was entered under PTRACE_SYSCALL: a syscall-exit-stop follows. */
  exitStopDue = false;
  /** PTRACE_ATTACH: a SIGSTOP signal-delivery-stop is due (the SIGSTOP is sent to this thread alone). */
  attachStopPending = false;
  /** PTRACE_INTERRUPT: a PTRACE_EVENT_STOP is due before the tracee runs application code again. */
  interruptPending = false;
  /** The signal the tracer chose at the last signal-delivery-stop, delivered next without a new stop. */
  injected: InjectedSignal | undefined;
  /** PTRACE_SINGLESTEP set the trap flag (it was clear): the next stop clears it again, so the tracer never sees it. */
  forcedTrapFlag = false;
  /** u_debugreg as PTRACE_POKEUSER set them (kept for PEEKUSER; the platform has no hardware breakpoints). */
  readonly debugRegs = new Array<bigint>(8).fill(0n);

  constructor(
    readonly tracer: Tracer,
    /** PTRACE_SEIZE (rather than ATTACH or TRACEME): group-stops are PTRACE_EVENT_STOPs, INTERRUPT and LISTEN work. */
    readonly seized: boolean,
  ) {}

  /** Enters `stop`; the tracee is held until `release` is called. */
  enter(stop: Omit<PtraceStop, 'reported' | 'listening'>): PtraceStop {
    const s: PtraceStop = { ...stop, reported: false, listening: false };
    this.stop = s;
    return s;
  }

  /** Ends the current stop (the tracer resumed or detached the tracee): the stop's continuation runs with `signal`. */
  release(signal: number): void {
    const s = this.stop;
    if (!s) return;
    this.stop = undefined;
    s.resume(signal);
  }
}

/** An exit of a tracee the tracer is not the parent of, which the tracer's wait reports once (and never reaps). */
export interface TraceeExit<Group> {
  pid: number;
  status: number;
  group: Group;
}
