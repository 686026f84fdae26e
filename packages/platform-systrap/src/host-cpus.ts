/**
 * Whether the host has a CPU to spare right now: spinning for the other
 * side's answer can only pay then. With every CPU taken, a spinning sentry
 * or stub takes the time the side it waits for (or another program) needs:
 * measured at load 10 on 2 CPUs, the sentry's poll doubled its CPU per
 * getpid (8 -> 16 us) for no gain in wall time.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** How long one reading of the host's run queue is trusted. */
const RECHECK_MS = 20;

export class HostCpus {
  private readonly cpus = availableParallelism();
  private checkedAt = -Infinity;
  private spare = true;

  /**
   * True if at most as many tasks are runnable as there are CPUs (the
   * caller's own thread counts among them), read from /proc/loadavg at most
   * every RECHECK_MS.
   */
  haveSpare(now: number): boolean {
    if (now - this.checkedAt < RECHECK_MS) return this.spare;
    this.checkedAt = now;
    const running = procsRunning();
    this.spare = running === undefined || running <= this.cpus;
    return this.spare;
  }
}

/** The number of runnable tasks on the host (/proc/loadavg's fourth field: runnable/total), or undefined if it cannot say. */
export function procsRunning(): number | undefined {
  try {
    const m = /^\S+ \S+ \S+ (\d+)\//.exec(readFileSync('/proc/loadavg', 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
