import { NSIG } from '@tvisor/abi';

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

  constructor() {
    for (let i = 0; i <= NSIG; i++) this.actions.push({ handler: 0n, flags: 0n, restorer: 0n, mask: 0n });
  }
}
