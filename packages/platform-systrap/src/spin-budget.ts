/**
 * How long one side of the systrap channel polls for the other's answer
 * before it sleeps on a futex, adapted to what polling has been worth.
 *
 * Polling pays only while the other side runs on another CPU at the same
 * time: the answer then comes within the poll and saves a futex sleep and
 * wake (10-25 us each on the 2-core VM this was measured on). When both
 * share a CPU, as on a loaded host, a poll only holds off the side it waits
 * for. So the budget doubles after a wait that a poll ended and halves after
 * one that ended asleep; at zero, a small probe is tried now and then, so
 * that a CPU which frees up is noticed.
 */
export class SpinBudget {
  private misses = 0;
  /** The current budget, in the caller's unit (pause instructions, microseconds). */
  value: number;

  /**
   * @param max the largest budget
   * @param probe the smallest non-zero budget, and the one a probe tries
   * @param probeEvery how many waits at zero budget come between probes
   */
  constructor(
    private readonly max: number,
    private readonly probe: number,
    private readonly probeEvery = 64,
  ) {
    this.value = probe;
  }

  /** The answer came while polling: poll as long or longer next time. */
  hit(): void {
    this.value = Math.min(this.max, Math.max(this.probe, this.value * 2));
  }

  /** The poll ran out and the waiter slept: poll less next time. */
  miss(): void {
    const half = this.value / 2;
    if (half >= this.probe) {
      this.value = half;
      return;
    }
    this.value = 0;
    if (++this.misses % this.probeEvery === 0) this.value = this.probe;
  }
}
