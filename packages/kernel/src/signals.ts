import { NSIG, SIG, Signal } from '@tvisor/abi';

/** SIG_DFL and SIG_IGN as handler values. */
export const SIG_DFL = BigInt(SIG.DFL);
export const SIG_IGN = BigInt(SIG.IGN);

/** A signal disposition as rt_sigaction(2) stores it (kernel layout fields). */
export interface SignalAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

/** The bit of `sig` in a signal mask. */
export function sigbit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

/** SIGKILL and SIGSTOP can be neither caught nor blocked. */
export const UNBLOCKABLE_MASK = sigbit(Signal.SIGKILL) | sigbit(Signal.SIGSTOP);

/**
 * A process's signal state: dispositions (shared by its threads) and the
 * signals pending for it, each with its siginfo. Standard signals coalesce
 * (one pending instance); real-time signals queue in order.
 */
export class SignalState {
  readonly actions: SignalAction[] = [];
  private readonly queues = new Map<number, Uint8Array[]>();
  /** Mask of the signals in `queues`. */
  pending = 0n;

  constructor() {
    for (let i = 0; i <= NSIG; i++) this.actions.push({ handler: 0n, flags: 0n, restorer: 0n, mask: 0n });
  }

  /**
   * Adds `sig` with its siginfo; a standard signal already pending is dropped,
   * as Linux does, unless `queueAlways` (a POSIX timer's own queue entry,
   * which Linux queues beside a pending instance).
   */
  enqueue(sig: number, info: Uint8Array, queueAlways = false): void {
    const q = this.queues.get(sig);
    if (q && sig < Signal.SIGRTMIN && !queueAlways) return; // below the real-time signals, a pending signal coalesces
    if (q) q.push(info);
    else this.queues.set(sig, [info]);
    this.pending |= sigbit(sig);
  }

  /** The lowest-numbered pending signal not in `blocked` (Linux delivers synchronous-first, then ascending), or 0. */
  next(blocked: bigint): number {
    const deliverable = this.pending & ~blocked;
    if (deliverable === 0n) return 0;
    for (let sig = 1; sig <= NSIG; sig++) if (deliverable & sigbit(sig)) return sig;
    return 0;
  }

  /** Is this very siginfo (by identity) still queued for `sig`? */
  holds(sig: number, info: Uint8Array): boolean {
    return this.queues.get(sig)?.includes(info) ?? false;
  }

  /** Removes one instance of `sig` and returns its siginfo. */
  dequeue(sig: number): Uint8Array | undefined {
    const q = this.queues.get(sig);
    if (!q) return undefined;
    const info = q.shift();
    if (q.length === 0) {
      this.queues.delete(sig);
      this.pending &= ~sigbit(sig);
    }
    return info;
  }

  /** Drops every pending instance of `sig` (it became ignored). */
  discard(sig: number): void {
    this.queues.delete(sig);
    this.pending &= ~sigbit(sig);
  }

  /** execve: caught signals revert to their default action; ignored ones stay ignored. */
  resetHandlersForExec(): void {
    for (const a of this.actions) {
      if (a.handler !== SIG_IGN) {
        a.handler = SIG_DFL;
        a.flags = 0n;
        a.restorer = 0n;
        a.mask = 0n;
      }
    }
  }

  /** A copy of the dispositions for a child process (fork without CLONE_SIGHAND); a child starts with nothing pending. */
  fork(): SignalState {
    const s = new SignalState();
    this.actions.forEach((a, i) => (s.actions[i] = { ...a }));
    return s;
  }

  isIgnored(sig: number): boolean {
    return this.actions[sig]?.handler === SIG_IGN;
  }
}
