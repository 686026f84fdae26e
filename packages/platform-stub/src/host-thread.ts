/** What both stub platforms know about the host threads that run application code. */
import { readFileSync } from 'node:fs';
import { Signal } from '@tvisor/abi';

/** The signals a stub thread gets for an instruction it ran (a fault, when si_code > 0). */
export const FAULT_SIGNALS: ReadonlySet<number> = new Set<number>([Signal.SIGSEGV, Signal.SIGBUS, Signal.SIGFPE, Signal.SIGILL, Signal.SIGTRAP]);

/** The CPU time of one host thread, read from /proc. */
export class HostThreadClock {
  /** The last reading, kept for when the host thread is gone and its /proc entry with it. */
  private lastNs = 0n;

  constructor(readonly tid: number) {}

  /**
   * The thread's time on a CPU in nanoseconds: schedstat's first field (user
   * and host-kernel time together), exact where stat's are ticks. Never goes
   * back; once the thread is reaped the last reading stands.
   */
  read(): bigint {
    try {
      const text = readFileSync(`/proc/${this.tid}/schedstat`, 'latin1');
      const ns = BigInt(text.slice(0, text.indexOf(' ')));
      if (ns > this.lastNs) this.lastNs = ns;
    } catch {
      // Exited and reaped: the last reading stands.
    }
    return this.lastNs;
  }
}
