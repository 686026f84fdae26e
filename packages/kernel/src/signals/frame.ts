import { RtSigframe, SA, SIGINFO_SIZE, Signal, SS, UC, sigmask } from '@tvisor/abi';
import type { Sigaction, Sigcontext } from '@tvisor/abi';
import type { AltStack } from './altstack.js';
import { ALTSTACK_DISABLED, onAltStack, restoreAltStack, spInAltStack } from './altstack.js';
import { FIX_EFLAGS, FRAME_ALIGNMENT, HANDLER_CLEARED_EFLAGS, NO_SYSCALL, RED_ZONE_SIZE, SELECTOR_RPL3, USER_CS, USER_DS } from './constants.js';
import type { FpuLayout } from './fpu.js';
import { decodeFrameFpState, encodeFrameFpState, FRAME_FP_ALIGNMENT, frameFpAreaSize, handlerFpState } from './fpu.js';
import type { UserMemoryReader } from './memory.js';
import type { RegisterSource } from './registers.js';
import { GREG, readGeneralRegisters } from './registers.js';

/** Byte offsets inside struct rt_sigframe (x86-64). */
export const RT_SIGFRAME = {
  /** The return address the handler's `ret` pops: sa_restorer. */
  PRETCODE: 0,
  UC: 8,
  /** uc.uc_mcontext (struct sigcontext). */
  MCONTEXT: 8 + 40,
  /** uc.uc_mcontext.fpstate. */
  FPSTATE_PTR: 8 + 40 + 184,
  UC_SIGMASK: 8 + 296,
  INFO: 312,
  SIZE: RtSigframe.size,
} as const;

/** Size of struct ucontext in a frame (what rt_sigreturn reads after pretcode). */
const UCONTEXT_END = RT_SIGFRAME.UC_SIGMASK + 8;

/** Lowest address user code cannot map on x86-64 with 4-level paging (TASK_SIZE_MAX). */
export const TASK_SIZE_MAX = 0x7fff_ffff_f000;

/**
 * The CPU trap details Linux keeps per thread and copies into every frame
 * (thread.trap_nr, error_code, cr2). They are set by each fault that raises
 * a signal and never cleared, so a kill(2) after a handled fault still shows
 * that fault's values: the kernel should keep one TrapInfo per thread.
 */
export interface TrapInfo {
  trapno: bigint;
  err: bigint;
  cr2: bigint;
}

/** Everything signal delivery to a handler needs. */
export interface SignalFrameInput {
  /**
   * The interrupted thread's general registers, after any syscall-restart
   * fix-up (see syscallRestartForHandler): they are what the frame saves.
   */
  regs: RegisterSource;
  /** The thread's FP state as the platform read it, in `fpu`'s format. */
  fpState: Uint8Array;
  fpu: FpuLayout;
  signo: number;
  /** The 128 siginfo bytes (see the sigInfo* encoders); copied only with SA_SIGINFO, as Linux does. */
  siginfo: Uint8Array;
  /** The mask to save in uc_sigmask: the blocked set, or the one sigsuspend/ppoll saved. */
  savedMask: bigint;
  /** The blocked set to extend with sa_mask once the handler is set up; defaults to `savedMask`. */
  blocked?: bigint;
  /** The thread's sigaltstack settings. */
  altStack: AltStack;
  /** The handler's disposition (kernel struct sigaction values). */
  action: Sigaction;
  /** The thread's last trap details; all zero for a thread that never trapped. */
  trap?: TrapInfo;
}

/** Addresses of the parts of a built frame. */
export interface SignalFrameAddresses {
  /** The frame (new rsp), where pretcode is. */
  frame: number;
  info: number;
  uc: number;
  /** The FP area, 64-byte aligned. */
  fpstate: number;
}

export type SignalFrameResult = SignalFrameBuilt | SignalFrameFailed;

export interface SignalFrameBuilt {
  readonly ok: true;
  /** The new stack pointer: copy `bytes` to user memory here. */
  readonly sp: number;
  /** The frame through the end of the FP area; gaps are zero. */
  readonly bytes: Uint8Array;
  readonly addresses: SignalFrameAddresses;
  /** All 27 registers the thread resumes with, in user_regs_struct order. */
  readonly newRegs: BigUint64Array;
  /** The FP state the handler starts with (Linux resets the FPU), in the platform's format. */
  readonly handlerFpState: Uint8Array;
  /** The blocked set while the handler runs: the old set, sa_mask, and the signal unless SA_NODEFER; never SIGKILL/SIGSTOP. */
  readonly blockedAfter: bigint;
  /** The sigaltstack after delivery: ALTSTACK_DISABLED if it had SS_AUTODISARM (whether or not the frame went on it). */
  readonly altStackAfter: AltStack;
  /** True if SA_RESETHAND asks for the disposition to become SIG_DFL (Linux does it as it dequeues the signal). */
  readonly resetHandler: boolean;
}

export interface SignalFrameFailed {
  readonly ok: false;
  /**
   * Why no frame could be built. Linux then forces SIGSEGV on the thread
   * (resetting the SIGSEGV handler to SIG_DFL first if the failed signal was
   * SIGSEGV); the kernel must do the same.
   */
  readonly reason: 'no-restorer' | 'altstack-overflow' | 'address-out-of-range';
}

/**
 * Where Linux puts the frame and FP area for a signal whose handler has
 * `saFlags`, for a thread with stack pointer `rsp`: below the red zone, or at
 * the top of the alternate stack when SA_ONSTACK applies and the thread is
 * not already on it; FP area 64-byte aligned below that; the frame below it
 * with rsp + 8 16-byte aligned, as after a call. Returns null if the frame
 * would overflow an alternate stack the thread is on or entering.
 */
export function signalFrameAddresses(rsp: number, saFlags: number, alt: AltStack, fpu: FpuLayout): SignalFrameAddresses | null {
  const nestedOnAltStack = onAltStack(alt, rsp);
  let sp = rsp - RED_ZONE_SIZE;
  let enteringAltStack = false;
  if ((saFlags & SA.ONSTACK) !== 0 && alt.size !== 0 && !onAltStack(alt, sp)) {
    sp = alt.sp + alt.size;
    enteringAltStack = true;
  }
  const fpstate = alignDown(sp - frameFpAreaSize(fpu), FRAME_FP_ALIGNMENT);
  const frame = alignDown(fpstate - RT_SIGFRAME.SIZE, FRAME_ALIGNMENT) - 8;
  if ((nestedOnAltStack || enteringAltStack) && !spInAltStack(alt, frame)) return null;
  return { frame, info: frame + RT_SIGFRAME.INFO, uc: frame + RT_SIGFRAME.UC, fpstate };
}

function alignDown(x: number, a: number): number {
  return x - (((x % a) + a) % a);
}

/**
 * uc_flags of a 64-bit frame: FP_XSTATE when it holds an XSAVE image,
 * SIGCONTEXT_SS always, STRICT_RESTORE_SS when the interrupted code ran in
 * 64-bit mode (cs = __USER_CS).
 */
export function frameUcFlags(fpu: FpuLayout, cs: number = USER_CS): number {
  return (fpu.format === 'xsave' ? UC.FP_XSTATE : 0) | UC.SIGCONTEXT_SS | (cs === USER_CS ? UC.STRICT_RESTORE_SS : 0);
}

/** SIGKILL and SIGSTOP, which no mask may hold. */
export const UNBLOCKABLE = sigmask(Signal.SIGKILL) | sigmask(Signal.SIGSTOP);

/**
 * Builds the x86-64 rt_sigframe Linux would build to run `action`'s handler
 * for `signo`, and the registers the thread must resume with:
 * rip = handler, rdi = signo, rsi = &info, rdx = &uc, rax = 0, rsp = frame,
 * DF/RF/TF cleared, cs = __USER_CS, ss = __USER_DS unless it already is.
 * Without SA_RESTORER there is no return path and delivery fails, as on
 * Linux for 64-bit tasks. Pure: nothing is written anywhere.
 */
export function buildSignalFrame(input: SignalFrameInput): SignalFrameResult {
  const regs = readGeneralRegisters(input.regs);
  const { action, fpu } = input;
  if ((action.sa_flags & SA.RESTORER) === 0) return { ok: false, reason: 'no-restorer' };
  const rsp = Number(regs[GREG.rsp]);
  const at = signalFrameAddresses(rsp, action.sa_flags, input.altStack, fpu);
  if (at === null) return { ok: false, reason: 'altstack-overflow' };
  const fpArea = encodeFrameFpState(input.fpState, fpu);
  if (at.frame < 0 || at.fpstate + fpArea.length > TASK_SIZE_MAX) return { ok: false, reason: 'address-out-of-range' };

  const bytes = new Uint8Array(at.fpstate + fpArea.length - at.frame);
  const view = new DataView(bytes.buffer);
  const trap = input.trap ?? { trapno: 0n, err: 0n, cr2: 0n };
  const mcontext: Sigcontext = {
    r8: regs[GREG.r8],
    r9: regs[GREG.r9],
    r10: regs[GREG.r10],
    r11: regs[GREG.r11],
    r12: regs[GREG.r12],
    r13: regs[GREG.r13],
    r14: regs[GREG.r14],
    r15: regs[GREG.r15],
    rdi: regs[GREG.rdi],
    rsi: regs[GREG.rsi],
    rbp: regs[GREG.rbp],
    rbx: regs[GREG.rbx],
    rdx: regs[GREG.rdx],
    rax: regs[GREG.rax],
    rcx: regs[GREG.rcx],
    rsp: regs[GREG.rsp],
    rip: regs[GREG.rip],
    eflags: regs[GREG.eflags],
    cs: Number(regs[GREG.cs] & 0xffffn),
    gs: 0,
    fs: 0,
    ss: Number(regs[GREG.ss] & 0xffffn),
    err: trap.err,
    trapno: trap.trapno,
    // x86-64 keeps the first word of the saved mask here too.
    oldmask: input.savedMask,
    cr2: trap.cr2,
    fpstate: at.fpstate,
  };
  RtSigframe.encode(view, 0, {
    pretcode: action.sa_restorer,
    uc: {
      uc_flags: frameUcFlags(fpu, mcontext.cs),
      uc_link: 0,
      uc_stack: { ss_sp: input.altStack.sp, ss_flags: input.altStack.flags | 0, ss_size: input.altStack.size },
      uc_mcontext: mcontext,
      uc_sigmask: input.savedMask,
    },
    info: (action.sa_flags & SA.SIGINFO) !== 0 ? input.siginfo.subarray(0, SIGINFO_SIZE) : new Uint8Array(SIGINFO_SIZE),
  });
  bytes.set(fpArea, at.fpstate - at.frame);

  const newRegs = regs.slice();
  newRegs[GREG.rdi] = BigInt(input.signo);
  newRegs[GREG.rsi] = BigInt(at.info);
  newRegs[GREG.rdx] = BigInt(at.uc);
  newRegs[GREG.rax] = 0n;
  newRegs[GREG.rip] = BigInt(action.sa_handler);
  newRegs[GREG.rsp] = BigInt(at.frame);
  newRegs[GREG.eflags] = regs[GREG.eflags] & ~BigInt(HANDLER_CLEARED_EFLAGS);
  newRegs[GREG.cs] = BigInt(USER_CS);
  // Linux keeps any SS that is a valid data segment; from ptrace the one we can vouch for is __USER_DS.
  if (newRegs[GREG.ss] !== BigInt(USER_DS)) newRegs[GREG.ss] = BigInt(USER_DS);

  const blocked = input.blocked ?? input.savedMask;
  let blockedAfter = blocked | action.sa_mask;
  if ((action.sa_flags & SA.NODEFER) === 0) blockedAfter |= sigmask(input.signo);
  // Linux disarms an SS_AUTODISARM stack on every delivery to a handler, whichever stack the frame went on.
  const disarm = (input.altStack.flags & SS.AUTODISARM) !== 0;
  return {
    ok: true,
    sp: at.frame,
    bytes,
    addresses: at,
    newRegs,
    handlerFpState: handlerFpState(input.fpState, fpu),
    blockedAfter: BigInt.asUintN(64, blockedAfter) & ~UNBLOCKABLE,
    altStackAfter: disarm ? ALTSTACK_DISABLED : input.altStack,
    resetHandler: (action.sa_flags & SA.RESETHAND) !== 0,
  };
}

/** The ucontext of a frame as rt_sigreturn reads it. */
export interface ParsedSignalFrame {
  /** Address of the frame (rsp at rt_sigreturn minus 8). */
  frame: number;
  ucFlags: number;
  mcontext: Sigcontext;
  sigmask: bigint;
  altStack: AltStack;
}

/**
 * Reads the ucontext of the frame rt_sigreturn finds at `rsp - 8` (`rsp` as
 * the thread had it when it called rt_sigreturn: the handler's `ret` popped
 * pretcode). Returns null if the frame lies outside user space or is
 * unreadable.
 */
export function parseSignalFrame(memory: UserMemoryReader, rsp: number): ParsedSignalFrame | null {
  const frame = rsp - 8;
  if (frame < 0 || frame + RT_SIGFRAME.SIZE > TASK_SIZE_MAX) return null;
  const raw = memory.read(frame, UCONTEXT_END);
  if (raw === null || raw.length < UCONTEXT_END) return null;
  const padded = new Uint8Array(RT_SIGFRAME.SIZE);
  padded.set(raw);
  const decoded = RtSigframe.decode(new DataView(padded.buffer), 0);
  const st = decoded.uc.uc_stack;
  return {
    frame,
    ucFlags: decoded.uc.uc_flags,
    mcontext: decoded.uc.uc_mcontext,
    sigmask: decoded.uc.uc_sigmask,
    altStack: { sp: st.ss_sp, flags: st.ss_flags >>> 0, size: st.ss_size },
  };
}

export interface SigreturnInput {
  /** The registers at the rt_sigreturn syscall (rsp, eflags, segment bases and selectors are used). */
  regs: RegisterSource;
  memory: UserMemoryReader;
  fpu: FpuLayout;
  /** The thread's FP state now (for what a reset FPU keeps). */
  fpState: Uint8Array;
  /** The thread's current sigaltstack settings. */
  altStack: AltStack;
}

export type SigreturnResult = SigreturnRestored | SigreturnFailed;

export interface SigreturnRestored {
  readonly ok: true;
  /** All 27 registers to resume with; rax is the frame's (the syscall's return value), orig_rax is -1 so nothing restarts. */
  readonly regs: BigUint64Array;
  /** FP state to give the platform, in its format. */
  readonly fpState: Uint8Array;
  /** True if the frame had no valid XSAVE magic and only x87/SSE state came from it. */
  readonly fpLegacyOnly: boolean;
  /** New blocked set (SIGKILL and SIGSTOP removed). */
  readonly blocked: bigint;
  /** The sigaltstack after sigreturn. */
  readonly altStack: AltStack;
  readonly frame: ParsedSignalFrame;
}

export interface SigreturnFailed {
  readonly ok: false;
  readonly reason: string;
  /** Set if Linux had already applied the frame's mask when it found the fault (it does so first): apply it, then force SIGSEGV. */
  readonly blocked?: bigint;
  /** Set if Linux had already loaded the general registers (rax 0): resume with these while raising SIGSEGV. */
  readonly regs?: BigUint64Array;
}

/**
 * rt_sigreturn: restores what the frame at `rsp - 8` holds, with Linux's
 * rules: cs and ss get RPL 3; only the FIX_EFLAGS bits of eflags come from
 * the frame; orig_rax becomes -1; fs/gs bases and selectors are untouched;
 * SS is forced to __USER_DS when the frame lacks UC_STRICT_RESTORE_SS; the
 * mask loses SIGKILL/SIGSTOP; the sigaltstack is re-applied as sigaltstack(2)
 * would, ignoring errors. Any unreadable part or FP state the CPU would
 * refuse fails the call: the kernel must then raise SIGSEGV (force_sig).
 */
export function restoreFromSigreturn(input: SigreturnInput): SigreturnResult {
  const current = readGeneralRegisters(input.regs);
  const rsp = Number(current[GREG.rsp]);
  const parsed = parseSignalFrame(input.memory, rsp);
  if (parsed === null) return { ok: false, reason: 'frame unreadable' };
  const blocked = parsed.sigmask & ~UNBLOCKABLE;
  const sc = parsed.mcontext;
  const regs = current.slice();
  regs[GREG.r8] = sc.r8;
  regs[GREG.r9] = sc.r9;
  regs[GREG.r10] = sc.r10;
  regs[GREG.r11] = sc.r11;
  regs[GREG.r12] = sc.r12;
  regs[GREG.r13] = sc.r13;
  regs[GREG.r14] = sc.r14;
  regs[GREG.r15] = sc.r15;
  regs[GREG.rdi] = sc.rdi;
  regs[GREG.rsi] = sc.rsi;
  regs[GREG.rbp] = sc.rbp;
  regs[GREG.rbx] = sc.rbx;
  regs[GREG.rdx] = sc.rdx;
  regs[GREG.rax] = sc.rax;
  regs[GREG.rcx] = sc.rcx;
  regs[GREG.rsp] = sc.rsp;
  regs[GREG.rip] = sc.rip;
  regs[GREG.cs] = BigInt(sc.cs | SELECTOR_RPL3);
  regs[GREG.ss] = BigInt(sc.ss | SELECTOR_RPL3);
  const fix = BigInt(FIX_EFLAGS);
  regs[GREG.eflags] = (current[GREG.eflags] & ~fix) | (sc.eflags & fix);
  regs[GREG.orig_rax] = BigInt.asUintN(64, NO_SYSCALL);
  if ((parsed.ucFlags & UC.STRICT_RESTORE_SS) === 0 && regs[GREG.cs] === BigInt(USER_CS) && regs[GREG.ss] !== BigInt(USER_DS)) {
    regs[GREG.ss] = BigInt(USER_DS);
  }
  const fp = decodeFrameFpState(input.memory, sc.fpstate, input.fpu, input.fpState);
  if (!fp.ok) {
    const failedRegs = regs.slice();
    failedRegs[GREG.rax] = 0n;
    return { ok: false, reason: fp.reason, blocked, regs: failedRegs };
  }
  return {
    ok: true,
    regs,
    fpState: fp.state,
    fpLegacyOnly: fp.legacyOnly,
    blocked,
    altStack: restoreAltStack(input.altStack, parsed.altStack, Number(sc.rsp)),
    frame: parsed,
  };
}
