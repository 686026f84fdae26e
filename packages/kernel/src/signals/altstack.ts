import { SS } from '@tvisor/abi';
import { MINSIGSTKSZ } from './constants.js';

/**
 * A thread's sigaltstack(2) settings as the kernel records them: the base,
 * the size, and the flags exactly as last set (SS_DISABLE, SS_AUTODISARM,
 * possibly SS_ONSTACK), which is also what a signal frame's uc_stack shows.
 */
export interface AltStack {
  /** ss_sp: lowest address of the stack. */
  sp: number;
  /** ss_flags as an unsigned 32-bit value. */
  flags: number;
  /** ss_size in bytes; 0 when disabled. */
  size: number;
}

/**
 * The state of a thread that never called sigaltstack(2): no stack, and
 * flags 0 (a frame's uc_stack shows 0, though sigaltstack(2) reports
 * SS_DISABLE for any zero-size stack). fork(2) and clone(2) without
 * CLONE_VM copy the parent's settings instead.
 */
export const ALTSTACK_INITIAL: AltStack = Object.freeze({ sp: 0, flags: 0, size: 0 });

/** What SS_AUTODISARM (and clone(2) with CLONE_VM) resets the sigaltstack to. */
export const ALTSTACK_DISABLED: AltStack = Object.freeze({ sp: 0, flags: SS.DISABLE, size: 0 });

/** Whether `sp` lies in the alternate stack (top included, base excluded: the stack grows down), ignoring SS_AUTODISARM. */
export function spInAltStack(alt: AltStack, sp: number): boolean {
  return sp > alt.sp && sp - alt.sp <= alt.size;
}

/**
 * Whether a thread with stack pointer `sp` counts as running on its
 * alternate stack. With SS_AUTODISARM it never does: the stack was disarmed
 * on entry, so a nested signal may use it afresh.
 */
export function onAltStack(alt: AltStack, sp: number): boolean {
  if ((alt.flags & SS.AUTODISARM) !== 0) return false;
  return spInAltStack(alt, sp);
}

/** The ss_flags sigaltstack(2) reports for a query made at `sp`: SS_DISABLE, SS_ONSTACK or 0, plus SS_AUTODISARM if set. */
export function reportedAltStackFlags(alt: AltStack, sp: number): number {
  if (alt.size === 0) return SS.DISABLE;
  return ((onAltStack(alt, sp) ? SS.ONSTACK : 0) | (alt.flags & SS.AUTODISARM)) >>> 0;
}

/**
 * What rt_sigreturn leaves as the sigaltstack after reading `saved` from the
 * frame's uc_stack, with `sp` the restored stack pointer. Linux applies it
 * like sigaltstack(2) would and ignores any error, so an invalid request
 * (the thread is on the current alternate stack, a bad mode, a size below
 * `minSize`) keeps `current` unchanged.
 */
export function restoreAltStack(current: AltStack, saved: AltStack, sp: number, minSize: number = MINSIGSTKSZ): AltStack {
  if (onAltStack(current, sp)) return current;
  const flags = saved.flags >>> 0;
  const mode = (flags & ~SS.AUTODISARM) >>> 0;
  if (mode !== SS.DISABLE && mode !== SS.ONSTACK && mode !== 0) return current;
  if (current.sp === saved.sp && current.size === saved.size && current.flags === flags) return current;
  if (mode === SS.DISABLE) return { sp: 0, flags, size: 0 };
  if (saved.size < minSize) return current;
  return { sp: saved.sp, flags, size: saved.size };
}
