// Congestion control (RFC 5681 plus a pluggable growth function). Loss
// recovery itself (fast retransmit, NewReno/SACK recovery) lives in the
// endpoint; a controller only decides cwnd growth and the response to loss.

/** A congestion-control algorithm. Windows are in bytes. */
export interface CongestionControl {
  /** Linux name, as reported by TCP_CONGESTION. */
  readonly name: string;
  cwnd: number;
  ssthresh: number;
  /**
   * Called for each ACK of new data outside loss recovery; grows cwnd.
   * `acked` is newly acknowledged bytes, `now` and `srtt` in ms (srtt < 0 if unknown).
   */
  onAck(acked: number, mss: number, now: number, srtt: number): void;
  /** Loss detected by duplicate ACKs/SACK: lowers ssthresh (the endpoint sets cwnd for recovery). */
  onCongestion(flight: number, mss: number, now: number): void;
  /** Retransmission timeout: lowers ssthresh and collapses cwnd to one segment (RFC 5681 3.1). */
  onTimeout(flight: number, mss: number, now: number): void;
}

/** RFC 5681 slow start / congestion avoidance with appropriate byte counting (RFC 3465, L=2). */
export class RenoCongestion implements CongestionControl {
  readonly name: string = 'reno';
  ssthresh = 0x7fffffff;
  private accumulated = 0;

  constructor(public cwnd: number) {}

  onAck(acked: number, mss: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, 2 * mss);
      return;
    }
    this.accumulated += acked;
    if (this.accumulated >= this.cwnd) {
      this.accumulated -= this.cwnd;
      this.cwnd += mss;
    }
  }

  onCongestion(flight: number, mss: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * mss);
    this.accumulated = 0;
  }

  onTimeout(flight: number, mss: number): void {
    this.onCongestion(flight, mss);
    this.cwnd = mss;
  }
}
