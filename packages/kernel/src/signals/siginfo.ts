import { SI, SIGINFO_CODECS, SIGINFO_SIZE, Signal, SYS_SECCOMP, siginfoLayout } from '@tvisor/abi';
import type { SiginfoChld, SiginfoFault, SiginfoKill, SiginfoPoll, SiginfoRt, SiginfoSys, SiginfoTimer, StructCodec } from '@tvisor/abi';

/** AUDIT_ARCH_X86_64: si_arch of a SIGSYS raised for a 64-bit syscall. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;

/** Offsets of the fault members that follow si_addr on x86-64 (si_addr_lsb, si_pkey); x86 has no si_trapno. */
const SI_ADDR_LSB_OFFSET = 24;
const SI_PKEY_OFFSET = 32;

function encode<T>(codec: StructCodec<T>, value: T): Uint8Array {
  const out = new Uint8Array(SIGINFO_SIZE);
  codec.encode(new DataView(out.buffer), 0, value);
  return out;
}

/** kill(2) (SI_USER) or tkill/tgkill(2) (SI_TKILL): the sender's pid and real uid. */
export function sigInfoKill(signo: number, sender: { pid: number; uid: number }, code: number = SI.USER): Uint8Array {
  return encode<SiginfoKill>(SIGINFO_CODECS.kill, { si_signo: signo, si_errno: 0, si_code: code, si_pid: sender.pid, si_uid: sender.uid });
}

/** A signal the kernel itself sends with no details (SI_KERNEL), e.g. SIGSEGV for a failed frame. */
export function sigInfoKernel(signo: number): Uint8Array {
  return encode<SiginfoKill>(SIGINFO_CODECS.kill, { si_signo: signo, si_errno: 0, si_code: SI.KERNEL, si_pid: 0, si_uid: 0 });
}

/**
 * rt_sigqueueinfo(2)/sigqueue(3) (SI_QUEUE) and other userspace-queued
 * signals (negative si_code, e.g. SI_MESGQ): sender and the 64-bit sigval.
 */
export function sigInfoQueue(signo: number, sender: { pid: number; uid: number }, value: bigint, code: number = SI.QUEUE): Uint8Array {
  return encode<SiginfoRt>(SIGINFO_CODECS.rt, {
    si_signo: signo,
    si_errno: 0,
    si_code: code,
    si_pid: sender.pid,
    si_uid: sender.uid,
    si_value: BigInt.asUintN(64, value),
  });
}

/** POSIX timer expiry (SI_TIMER): the kernel's timer id, the overrun count and the timer's sigval. */
export function sigInfoTimer(signo: number, timer: { id: number; overrun: number; value: bigint }): Uint8Array {
  return encode<SiginfoTimer>(SIGINFO_CODECS.timer, {
    si_signo: signo,
    si_errno: 0,
    si_code: SI.TIMER,
    si_timerid: timer.id,
    si_overrun: timer.overrun,
    si_value: BigInt.asUintN(64, timer.value),
  });
}

/**
 * SIGCHLD (si_code a CLD value): the child's pid and real uid, its exit code
 * (CLD_EXITED) or signal number, and its user/system CPU time in clock ticks.
 */
export function sigInfoChild(code: number, child: { pid: number; uid: number; status: number; utime: number; stime: number }): Uint8Array {
  return encode<SiginfoChld>(SIGINFO_CODECS.chld, {
    si_signo: Signal.SIGCHLD,
    si_errno: 0,
    si_code: code,
    si_pid: child.pid,
    si_uid: child.uid,
    si_status: child.status,
    si_utime: child.utime,
    si_stime: child.stime,
  });
}

/**
 * A synchronous fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) with its
 * si_code and faulting address. `addrLsb` is for BUS_MCEERR_*; `pkey` for
 * SEGV_PKUERR. (x86 has no si_trapno; the trap number is in the frame's
 * uc_mcontext.trapno.)
 */
export function sigInfoFault(signo: number, code: number, addr: number, extra: { addrLsb?: number; pkey?: number } = {}): Uint8Array {
  const out = encode<SiginfoFault>(SIGINFO_CODECS.fault, { si_signo: signo, si_errno: 0, si_code: code, si_addr: addr });
  const view = new DataView(out.buffer);
  if (extra.addrLsb !== undefined) view.setInt16(SI_ADDR_LSB_OFFSET, extra.addrLsb, true);
  if (extra.pkey !== undefined) view.setUint32(SI_PKEY_OFFSET, extra.pkey, true);
  return out;
}

/**
 * SIGSYS from a seccomp SECCOMP_RET_TRAP: the address after the syscall
 * instruction, the syscall number, the audit arch, and the filter's
 * SECCOMP_RET_DATA in si_errno.
 */
export function sigInfoSeccomp(call: { addr: number; nr: number; arch?: number; data: number }): Uint8Array {
  return encode<SiginfoSys>(SIGINFO_CODECS.sys, {
    si_signo: Signal.SIGSYS,
    si_errno: call.data,
    si_code: SYS_SECCOMP,
    si_call_addr: call.addr,
    si_syscall: call.nr,
    si_arch: call.arch ?? AUDIT_ARCH_X86_64,
  });
}

/** SIGIO/SIGPOLL for I/O readiness (si_code a POLL_* value): the poll band and the file descriptor. */
export function sigInfoPoll(signo: number, code: number, band: number, fd: number): Uint8Array {
  return encode<SiginfoPoll>(SIGINFO_CODECS.poll, { si_signo: signo, si_errno: 0, si_code: code, si_band: band, si_fd: fd });
}

/** The decoded head and union member of a siginfo, chosen by siginfoLayout(si_signo, si_code). */
export type DecodedSigInfo =
  | { layout: 'kill'; info: SiginfoKill }
  | { layout: 'rt'; info: SiginfoRt }
  | { layout: 'timer'; info: SiginfoTimer }
  | { layout: 'chld'; info: SiginfoChld }
  | { layout: 'fault'; info: SiginfoFault }
  | { layout: 'sys'; info: SiginfoSys }
  | { layout: 'poll'; info: SiginfoPoll };

/**
 * Decodes 128 siginfo bytes (e.g. from rt_sigqueueinfo(2) or a tracer's
 * PTRACE_SETSIGINFO) with the union member Linux would use for them.
 */
export function decodeSigInfo(bytes: Uint8Array): DecodedSigInfo {
  if (bytes.length < SIGINFO_SIZE) throw new RangeError(`siginfo is ${SIGINFO_SIZE} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, SIGINFO_SIZE);
  const layout = siginfoLayout(view.getInt32(0, true), view.getInt32(8, true));
  switch (layout) {
    case 'kill':
      return { layout, info: SIGINFO_CODECS.kill.decode(view, 0) };
    case 'rt':
      return { layout, info: SIGINFO_CODECS.rt.decode(view, 0) };
    case 'timer':
      return { layout, info: SIGINFO_CODECS.timer.decode(view, 0) };
    case 'chld':
      return { layout, info: SIGINFO_CODECS.chld.decode(view, 0) };
    case 'fault':
      return { layout, info: SIGINFO_CODECS.fault.decode(view, 0) };
    case 'sys':
      return { layout, info: SIGINFO_CODECS.sys.decode(view, 0) };
    case 'poll':
      return { layout, info: SIGINFO_CODECS.poll.decode(view, 0) };
  }
}
