import { Signal, signalName } from '@tvisor/abi';
import { interruptSyscallsOn, sendKill, type Kernel } from '@tvisor/kernel';

/** The signals runsc (`do`, and the OCI sandbox process) passes on to the sandbox's init, as gVisor's runsc does. */
export const FORWARDED_SIGNALS = [
  Signal.SIGINT,
  Signal.SIGTERM,
  Signal.SIGHUP,
  Signal.SIGQUIT,
  Signal.SIGUSR1,
  Signal.SIGUSR2,
  Signal.SIGWINCH,
  Signal.SIGCONT,
  Signal.SIGALRM,
] as const;

/** A second SIGINT or SIGTERM at least this long after the first ends the sandbox. */
export const FORCE_GRACE_MS = 2000;

export interface SignalForwardingOptions {
  /** Which signals to forward (FORWARDED_SIGNALS by default). */
  signals?: readonly number[];
  /** Called instead of forwarding (e.g. a console takes SIGWINCH and SIGHUP for its terminal). */
  override?: Partial<Record<number, () => void>>;
  /** The sandbox is to end now: a second SIGINT/SIGTERM after the grace period. */
  forceExit: (sig: number) => void;
  /** Whether init may take forwarded signals yet (an OCI container's only once started; overrides run regardless); always by default. */
  ready?: () => boolean;
}

/**
 * Forwards host signals that reach this process to the sandbox's init
 * process (kill(2) from the kernel), so the application decides what they
 * mean: a shell's trap runs, a server shuts down cleanly. A second SIGINT or
 * SIGTERM after FORCE_GRACE_MS calls `forceExit` (SIGKILL always works).
 * Returns the function that stops forwarding.
 */
export function forwardSignals(kernel: Kernel, opts: SignalForwardingOptions): () => void {
  const firstAt = new Map<number, number>();
  const listeners: Array<[NodeJS.Signals, () => void]> = [];
  for (const sig of opts.signals ?? FORWARDED_SIGNALS) {
    const name = signalName(sig) as NodeJS.Signals;
    const listener = () => {
      const override = opts.override?.[sig];
      if (override) {
        override();
      } else {
        // Not for init yet (a created container); a console's override (a resize) counts at any time.
        if (opts.ready && !opts.ready()) return;
        if (sig === Signal.SIGINT || sig === Signal.SIGTERM) {
          const first = firstAt.get(sig);
          if (first !== undefined && performance.now() - first >= FORCE_GRACE_MS) {
            opts.forceExit(sig);
            // The run loop may be waiting for a wake-up with every task parked.
            kernel.wakeRunLoop();
            return;
          }
          if (first === undefined) firstAt.set(sig, performance.now());
        }
        const init = kernel.init;
        if (init && init.exitStatus === undefined) sendKill(kernel, init, sig);
      }
      kernel.wakeRunLoop();
    };
    process.on(name, listener);
    interruptSyscallsOn(sig);
    listeners.push([name, listener]);
  }
  kernel.hostSignalsWatched = true;
  return () => {
    for (const [name, l] of listeners) process.off(name, l);
    kernel.hostSignalsWatched = false;
  };
}
