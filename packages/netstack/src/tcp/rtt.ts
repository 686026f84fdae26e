// Round-trip time estimation and the retransmission timeout (RFC 6298).

export class RttEstimator {
  /** Smoothed RTT and RTT variation in ms; srtt < 0 until the first sample. */
  srtt = -1;
  rttvar = 0;
  /** Current RTO before backoff, in ms. */
  rto: number;
  /** Number of consecutive RTO backoffs (each doubles the timer). */
  backoff = 0;

  constructor(
    initialRto: number,
    private readonly minRto: number,
    private readonly maxRto: number,
  ) {
    this.rto = initialRto;
  }

  /** Feeds one RTT measurement (ms); RFC 6298 2.2/2.3 with K=4, alpha=1/8, beta=1/4. */
  sample(rtt: number): void {
    const r = Math.max(rtt, 0);
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // Clock granularity G is 1 ms here.
    this.rto = Math.min(this.maxRto, Math.max(this.minRto, this.srtt + Math.max(1, 4 * this.rttvar)));
    this.backoff = 0;
  }

  /** The timer to arm now, including exponential backoff (RFC 6298 5.5). */
  get current(): number {
    return Math.min(this.maxRto, this.rto * 2 ** this.backoff);
  }
}
