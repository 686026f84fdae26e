import { NSIGCODE, SI } from '../constants/siginfo.js';
import { Signal } from '../signals.js';
import { SiginfoChld, SiginfoFault, SiginfoKill, SiginfoPoll, SiginfoRt, SiginfoSys, SiginfoTimer } from './signal.js';
import type { StructCodec } from './types.js';

/** Which member of siginfo's union a (signal, si_code) pair uses. */
export type SiginfoLayout = 'kill' | 'timer' | 'poll' | 'fault' | 'chld' | 'rt' | 'sys';

const SPECIFIC: ReadonlyMap<number, readonly [limit: number, layout: SiginfoLayout]> = new Map([
  [Signal.SIGILL, [NSIGCODE.ILL, 'fault']],
  [Signal.SIGFPE, [NSIGCODE.FPE, 'fault']],
  [Signal.SIGSEGV, [NSIGCODE.SEGV, 'fault']],
  [Signal.SIGBUS, [NSIGCODE.BUS, 'fault']],
  [Signal.SIGTRAP, [NSIGCODE.TRAP, 'fault']],
  [Signal.SIGCHLD, [NSIGCODE.CHLD, 'chld']],
  [Signal.SIGPOLL, [NSIGCODE.POLL, 'poll']],
  [Signal.SIGSYS, [NSIGCODE.SYS, 'sys']],
]);

/**
 * The union layout the kernel uses for signal `sig` with code `code`
 * (siginfo_layout() in kernel/signal.c): positive kernel codes select the
 * signal-specific member, SI_TIMER and SI_SIGIO their own, other negative
 * (userspace-queued) codes the rt member, and SI_USER/SI_KERNEL the kill member.
 */
export function siginfoLayout(sig: number, code: number): SiginfoLayout {
  if (code > SI.USER && code < SI.KERNEL) {
    const specific = SPECIFIC.get(sig);
    if (specific !== undefined && code <= specific[0]) return specific[1];
    if (code <= NSIGCODE.POLL) return 'poll';
    return 'kill';
  }
  if (code === SI.TIMER) return 'timer';
  if (code === SI.SIGIO) return 'poll';
  if (code < 0) return 'rt';
  return 'kill';
}

/** The codec for each layout, e.g. `SIGINFO_CODECS[siginfoLayout(sig, code)]` (all 128 bytes, sharing the si_signo/si_errno/si_code head). */
export interface SiginfoCodecs {
  readonly kill: StructCodec<SiginfoKill>;
  readonly timer: StructCodec<SiginfoTimer>;
  readonly poll: StructCodec<SiginfoPoll>;
  readonly fault: StructCodec<SiginfoFault>;
  readonly chld: StructCodec<SiginfoChld>;
  readonly rt: StructCodec<SiginfoRt>;
  readonly sys: StructCodec<SiginfoSys>;
}
export const SIGINFO_CODECS: SiginfoCodecs = {
  kill: SiginfoKill,
  timer: SiginfoTimer,
  poll: SiginfoPoll,
  fault: SiginfoFault,
  chld: SiginfoChld,
  rt: SiginfoRt,
  sys: SiginfoSys,
};
