// CUBIC congestion control (RFC 9438), Linux's default. Window growth in
// congestion avoidance follows W(t) = C*(t-K)^3 + W_max, never slower than
// the Reno-friendly estimate.

import type { CongestionControl } from './congestion.js';

const C = 0.4;
const BETA = 0.7;
/** RFC 9438 4.3: the Reno-friendly additive increase factor. */
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

export class CubicCongestion implements CongestionControl {
  readonly name = 'cubic';
  ssthresh = 0x7fffffff;
  /** Window (segments) just before the last reduction. */
  private wMax = 0;
  /** Start of the current congestion-avoidance epoch (ms), or -1. */
  private epochStart = -1;
  private k = 0;
  private origin = 0;
  /** Reno-friendly window estimate (segments). */
  private wEst = 0;

  constructor(public cwnd: number) {}

  onAck(acked: number, mss: number, now: number, srtt: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, 2 * mss);
      return;
    }
    const cwndSeg = this.cwnd / mss;
    if (this.epochStart < 0) {
      this.epochStart = now;
      if (cwndSeg < this.wMax) {
        this.k = Math.cbrt((this.wMax - cwndSeg) / C);
        this.origin = this.wMax;
      } else {
        this.k = 0;
        this.origin = cwndSeg;
      }
      this.wEst = cwndSeg;
    }
    const t = (now - this.epochStart + Math.max(srtt, 0)) / 1000;
    const target = this.origin + C * (t - this.k) ** 3;
    const ackedSeg = acked / mss;
    this.wEst += (ALPHA * ackedSeg) / cwndSeg;
    let next = cwndSeg;
    if (target > cwndSeg) next += ((Math.min(target, 1.5 * cwndSeg) - cwndSeg) / cwndSeg) * ackedSeg;
    if (this.wEst > next) next = this.wEst;
    this.cwnd = Math.max(this.cwnd, Math.floor(next * mss));
  }

  onCongestion(flight: number, mss: number): void {
    const cwndSeg = this.cwnd / mss;
    // Fast convergence (RFC 9438 4.7): release bandwidth if the window shrank since the last loss.
    this.wMax = cwndSeg < this.wMax ? (cwndSeg * (1 + BETA)) / 2 : cwndSeg;
    this.ssthresh = Math.max(Math.floor(Math.max(this.cwnd, Math.min(flight, this.cwnd)) * BETA), 2 * mss);
    this.epochStart = -1;
  }

  onTimeout(flight: number, mss: number): void {
    this.onCongestion(flight, mss);
    this.cwnd = mss;
  }
}
