import { NSIG } from '@tvisor/abi';

/** SIG_IGN as a handler value. */
const SIG_IGN = 1n;

/** A signal disposition as rt_sigaction(2) stores it (kernel layout fields). */
export interface SignalAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

/**
 * Per-process signal state: dispositions and the blocked mask. Delivery is
 * not implemented yet; dispositions are recorded so programs that install
 * handlers run, and default actions apply to signals the sandbox raises.
 */
export class SignalState {
  readonly actions: SignalAction[] = [];
  blocked = 0n;
  /** Signals sent while a handler is installed, waiting for delivery. */
  pending = 0n;

  constructor() {
    for (let i = 0; i <= NSIG; i++) this.actions.push({ handler: 0n, flags: 0n, restorer: 0n, mask: 0n });
  }

  /** execve: caught signals revert to their default action; ignored ones stay ignored. */
  resetHandlersForExec(): void {
    for (const a of this.actions) {
      if (a.handler !== SIG_IGN) {
        a.handler = 0n;
        a.flags = 0n;
        a.restorer = 0n;
        a.mask = 0n;
      }
    }
  }

  /** A copy for a child process (fork without CLONE_SIGHAND). */
  fork(): SignalState {
    const s = new SignalState();
    this.actions.forEach((a, i) => (s.actions[i] = { ...a }));
    s.blocked = this.blocked;
    return s;
  }

  isIgnored(sig: number): boolean {
    return this.actions[sig]?.handler === SIG_IGN;
  }
}
