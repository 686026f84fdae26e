// Parses the output of sigframe-probe.c into deliveries, handler runs and
// sigreturns, paired the way they happened.
import { hexBig, hexBytes, hexNum } from './native.js';

/** What the tracer saw at one stop. */
export interface TracerSnapshot {
  /** Signal of a signal-delivery-stop, 0 at rt_sigreturn stops. */
  sig: number;
  /** SigBlk from /proc/<pid>/status at the stop. */
  blocked: bigint;
  /** PTRACE_GETREGS as 54 32-bit words. */
  regs: Uint32Array;
  /** PTRACE_GETFPREGS. */
  fpregs: Uint8Array;
  /** PTRACE_GETREGSET NT_X86_XSTATE. */
  xstate: Uint8Array;
  /** PTRACE_GETSIGINFO, at deliveries. */
  siginfo: Uint8Array | undefined;
}

export interface KernelAction {
  sig: number;
  handler: number;
  flags: number;
  restorer: number;
  mask: bigint;
}

export interface ReportedAltStack {
  sp: number;
  flags: number;
  size: number;
}

/** One run of the handler, as it reported itself. */
export interface HandlerRun {
  sig: number;
  /** rsi, rdx, rsp, rax and rflags on entry. */
  siAddr: number;
  ucAddr: number;
  rsp: number;
  rax: bigint;
  eflags: bigint;
  /** The blocked set while the handler ran. */
  blocked: bigint;
  /** The frame from rsp through the end of the FP area, as Linux built it. */
  frame: Uint8Array;
  /** The same bytes after the handler's edits, as rt_sigreturn read them. */
  frameOut: Uint8Array | undefined;
  /** sigaltstack(2) queried inside the handler. */
  altNow: ReportedAltStack | undefined;
  /** rt_sigaction(2) queried inside the handler. */
  actionNow: KernelAction | undefined;
  delivery: TracerSnapshot;
  sigreturnEntry: TracerSnapshot | undefined;
  sigreturnExit: TracerSnapshot | undefined;
}

export interface ProbeRun {
  altStack: ReportedAltStack;
  action: KernelAction;
  blocked: bigint;
  runs: HandlerRun[];
  /** Return value of the raw kill/fault sequence and the blocked set after it (absent if the child was killed). */
  after: { ret: bigint; blocked: bigint; xmm15: string } | undefined;
  altAfter: ReportedAltStack | undefined;
  /** Exit code, or undefined if a signal killed the child. */
  exitCode: number | undefined;
  killedBy: number | undefined;
  /** Signal-delivery-stops no handler run answered (e.g. the SIGSEGV that kills the child). */
  unhandled: TracerSnapshot[];
}

/** The tracer snapshot whose tag line ("deliver", "sigreturn-entry", "sigreturn-exit") is lines[i]. */
export function readSnapshot(lines: string[][], i: number): TracerSnapshot {
  const f = lines[i];
  return {
    sig: hexNum(f[1]),
    blocked: hexBig(f[2]),
    regs: new Uint32Array(hexBytes(lines[i + 1][1]).buffer),
    fpregs: hexBytes(lines[i + 2][1]),
    xstate: hexBytes(lines[i + 3][2]),
    siginfo: f[0] === 'deliver' ? hexBytes(lines[i + 4][1]) : undefined,
  };
}

export function action(f: string[]): KernelAction {
  return { sig: hexNum(f[1]), handler: hexNum(f[2]), flags: hexNum(f[3]), restorer: hexNum(f[4]), mask: hexBig(f[5]) };
}
export function alt(f: string[]): ReportedAltStack {
  return { sp: hexNum(f[1]), flags: hexNum(f[2]), size: hexNum(f[3]) };
}

/** Groups the probe's lines into a ProbeRun; throws if they do not follow the protocol. */
export function parseProbe(lines: string[][]): ProbeRun {
  const snapshots: TracerSnapshot[] = [];
  const open: HandlerRun[] = [];
  const done: HandlerRun[] = [];
  let returning: HandlerRun | undefined;
  const runs: HandlerRun[] = [];
  let altStack: ReportedAltStack | undefined;
  let act: KernelAction | undefined;
  let blocked: bigint | undefined;
  let after: { ret: bigint; blocked: bigint; xmm15: string } | undefined;
  let altAfter: ReportedAltStack | undefined;
  let exitCode: number | undefined;
  let killedBy: number | undefined;
  let deliveries = 0;
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i];
    switch (f[0]) {
      case 'altstack':
        altStack = alt(f);
        break;
      case 'action':
        act = action(f);
        break;
      case 'blocked':
        blocked = hexBig(f[1]);
        break;
      case 'deliver':
      case 'sigreturn-entry':
      case 'sigreturn-exit': {
        const snap = readSnapshot(lines, i);
        i += f[0] === 'deliver' ? 4 : 3;
        if (f[0] === 'deliver') {
          snapshots.push(snap);
        } else if (f[0] === 'sigreturn-entry') {
          const run = done.pop();
          if (run === undefined) throw new Error('rt_sigreturn without a finished handler');
          run.sigreturnEntry = snap;
          returning = run;
        } else {
          if (returning === undefined) throw new Error('rt_sigreturn exit without entry');
          returning.sigreturnExit = snap;
          returning = undefined;
        }
        break;
      }
      case 'handler': {
        const delivery = snapshots[deliveries++];
        if (delivery === undefined) throw new Error('handler without a delivery');
        const run: HandlerRun = {
          sig: hexNum(f[1]),
          siAddr: hexNum(f[2]),
          ucAddr: hexNum(f[3]),
          rsp: hexNum(f[4]),
          rax: hexBig(f[5]),
          eflags: hexBig(f[6]),
          blocked: hexBig(f[7]),
          frame: new Uint8Array(),
          frameOut: undefined,
          altNow: undefined,
          actionNow: undefined,
          delivery,
          sigreturnEntry: undefined,
          sigreturnExit: undefined,
        };
        open.push(run);
        runs.push(run);
        break;
      }
      case 'frame':
        top(open).frame = hexBytes(f[2]);
        break;
      case 'altnow':
        top(open).altNow = alt(f);
        break;
      case 'actnow':
        top(open).actionNow = action(f);
        break;
      case 'fout': {
        const run = open.pop();
        if (run === undefined) throw new Error('fout without handler');
        run.frameOut = hexBytes(f[2]);
        done.push(run);
        break;
      }
      case 'after':
        after = { ret: hexBig(f[1]), blocked: hexBig(f[2]), xmm15: f[3] };
        break;
      case 'need-frame':
      case 'need-sigreturn':
        break;
      case 'altafter':
        altAfter = alt(f);
        break;
      case 'exit':
        exitCode = hexNum(f[1]);
        break;
      case 'killed':
        killedBy = hexNum(f[1]);
        break;
      default:
        throw new Error(`unexpected probe line ${f[0]}`);
    }
  }
  if (altStack === undefined || act === undefined || blocked === undefined || (exitCode === undefined && killedBy === undefined)) {
    throw new Error('probe output incomplete');
  }
  return { altStack, action: act, blocked, runs, after, altAfter, exitCode, killedBy, unhandled: snapshots.slice(deliveries) };
}

function top(open: HandlerRun[]): HandlerRun {
  const run = open[open.length - 1];
  if (run === undefined) throw new Error('no handler running');
  return run;
}
