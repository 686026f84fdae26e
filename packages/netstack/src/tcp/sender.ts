// The sending half of a TCP connection, as gVisor's tcp/snd.go: the send
// sequence space and window (RFC 9293 3.3.1), the retransmission queue
// (the SendBuffer between SND.UNA and the end of the data) with RFC 6298
// timing and Karn's rule, RFC 5681/6582/6675-style loss recovery over the
// SACK scoreboard (RFC 2018), Nagle, sender SWS avoidance and zero-window
// probing. Segments go out through the endpoint, which adds the ACK,
// window and options the receiving half owns.

import { Errno } from '../abi.js';
import { TcpFlag, type SackBlock, type TcpRepr } from '../wire/tcp.js';
import type { CongestionControl } from './congestion.js';
import type { TcpEndpoint } from './endpoint.js';
import { RttEstimator } from './rtt.js';
import { SendBuffer } from './send-buffer.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from './seq.js';

/** tcp(7): output corked by TCP_CORK is held at most this long. */
const CORK_CEILING_MS = 200;

export class TcpSender {
  // ---- send sequence space ---------------------------------------------------
  /** Initial send sequence number. */
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent (SND.NXT before any go-back-N after a timeout). */
  sndMax = 0;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  sndWscale = 0;
  /** Largest window the peer has offered (for sender SWS avoidance). */
  maxSndWnd = 0;
  private swsOverride = false;
  /**
   * End of the last sub-MSS segment sent (Linux's snd_sml). Nagle holds a
   * partial segment only while an earlier partial one is unacknowledged
   * (Minshall's rule, as Linux), so the tail of a large write is not held
   * back behind the full segments before it.
   */
  sndSml = 0;
  /** When held corked data must go out anyway (tcp(7): TCP_CORK's 200 ms ceiling); -1 if none is held. */
  corkAt = -1;
  private corkExpired = false;
  /** Unacknowledged and unsent data: the retransmission queue starts at SND.UNA. */
  readonly sendBuf = new SendBuffer();
  /** The application is done sending (shutdown(SHUT_WR)/close); a FIN follows the data. */
  finQueued = false;
  finAcked = false;

  // ---- loss recovery ----------------------------------------------------------
  /** The SACK scoreboard: sorted, merged blocks inside (SND.UNA, SND.MAX]. */
  private sacked: SackBlock[] = [];
  sackedBytes = 0;
  dupAcks = 0;
  inRecovery = false;
  recover = 0;
  /** Holes below this have been retransmitted during the current recovery. */
  highRxt = 0;
  cc!: CongestionControl;
  readonly rtt: RttEstimator;
  private rttSeq = 0;
  rttStart = -1;
  /** Consecutive timeouts without progress. */
  retransmits = 0;
  /** When the oldest unacknowledged data was first sent (for TCP_USER_TIMEOUT). */
  private unackedSince = 0;
  /** TSval of the most recent retransmission (RTT samples echoing older values are ambiguous). */
  private retransmitTs = 0;
  totalRetrans = 0;
  /** Zero-window or keepalive probes sent without an answer. */
  probes = 0;
  lastDataSentAt = 0;
  lastAckRecvAt = 0;

  // ---- retransmission / persist timer -----------------------------------------
  /** Deadline of the retransmission timer (-1: not running). */
  rtoAt = -1;
  /** rtoAt is running as the persist (zero-window probe) timer. */
  persisting = false;

  constructor(private readonly ep: TcpEndpoint) {
    const config = ep.config;
    this.rtt = new RttEstimator(config.initialRtoMs, config.minRtoMs, config.maxRtoMs);
  }

  /** Starts the send sequence space at `iss`. */
  init(iss: number): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.sndSml = iss;
    this.recover = iss;
    this.highRxt = iss;
  }

  /** Sequence number of the FIN (just past the queued data). */
  finSeq(): number {
    return seqAdd(this.sndUna, this.sendBuf.length);
  }

  // =========================================================================
  // Incoming ACKs
  // =========================================================================

  /**
   * RFC 9293 3.10.7.4 fifth check for synchronized states, up to the window
   * update. Returns false if the segment must be dropped (it acknowledges
   * data never sent: a challenge ACK goes back).
   */
  processAck(seg: TcpRepr, pureAck: boolean, now: number): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax)) {
      this.ep.rcv.ackNow = true;
      this.ep.sendAck();
      return false;
    }
    this.lastAckRecvAt = now;
    if (seg.sackBlocks && this.ep.sackOk) this.updateScoreboard(seg.sackBlocks);
    const windowChanged = seg.window << this.sndWscale !== this.sndWnd;
    if (seqGt(ack, this.sndUna)) {
      this.newAck(seg, now);
    } else if (ack === this.sndUna && pureAck && !windowChanged && seqGt(this.sndMax, this.sndUna)) {
      this.duplicateAck(now);
    }
    this.updateWindow(seg);
    return true;
  }

  /** Window update (RFC 9293 3.10.7.4, SND.WL1/WL2 rule). */
  private updateWindow(seg: TcpRepr): void {
    const ack = seg.ack;
    if (seqGe(ack, this.sndUna) && (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack)))) {
      const wasZero = this.sndWnd === 0;
      this.sndWnd = seg.window << this.sndWscale;
      if (this.sndWnd > this.maxSndWnd) this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (wasZero && this.sndWnd > 0 && this.persisting) {
        this.persisting = false;
        this.rtoAt = -1;
        this.rtt.backoff = 0;
      }
    }
  }

  private newAck(seg: TcpRepr, now: number): void {
    const ack = seg.ack;
    let acked = seqDiff(ack, this.sndUna);
    const flightBefore = seqDiff(this.sndMax, this.sndUna);
    if (seqLe(this.sndUna, this.iss)) acked -= 1; // our SYN
    // RTT sample: timestamps (RFC 7323 4.1) or one timed segment (Karn's rule).
    if (this.ep.tsOk && seg.timestamp && seg.timestamp.echo !== 0) {
      // An echo older than our last retransmission may answer either copy; skip it (Karn's rule for timestamps).
      if (!seqLt(seg.timestamp.echo, this.retransmitTs)) this.rtt.sample(seqDiff(this.ep.tsNow(), seg.timestamp.echo));
    } else if (this.rttStart >= 0 && seqGe(ack, this.rttSeq)) {
      this.rtt.sample(now - this.rttStart);
      this.rttStart = -1;
    }
    if (this.finQueued && !this.finAcked && ack === seqAdd(this.finSeq(), 1)) {
      this.finAcked = true;
      acked -= 1;
    }
    const dataAcked = Math.min(acked, this.sendBuf.length);
    this.sendBuf.consume(dataAcked);
    this.sndUna = ack;
    this.unackedSince = now;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.pruneScoreboard();
    const mss = this.ep.mss;
    if (this.inRecovery) {
      if (seqGe(ack, this.recover)) {
        this.inRecovery = false;
        this.cc.cwnd = Math.max(this.cc.ssthresh, mss);
      } else if (!this.ep.sackOk) {
        this.highRxt = ack; // NewReno partial ACK: the next segment is presumed lost too (RFC 6582 3.2)
      }
    } else if (flightBefore * 2 >= this.cc.cwnd) {
      // Grow only while the window is actually used (RFC 7661's idea; Linux's tcp_is_cwnd_limited).
      this.cc.onAck(acked, mss, now, this.rtt.srtt);
    }
    this.dupAcks = 0;
    this.retransmits = 0;
    this.rtt.backoff = 0;
    this.persisting = false;
    this.rtoAt = this.sndUna === this.sndMax ? -1 : now + this.rtt.current;
    this.ep.armTimer();
    if (dataAcked > 0) this.ep.signal();
  }

  private duplicateAck(now: number): void {
    this.dupAcks++;
    if (this.inRecovery) return; // output() sends what pipe allows
    const mss = this.ep.mss;
    const sackTrigger = this.ep.sackOk && this.sackedBytes >= 3 * mss;
    // RFC 6582 4.1: no new recovery until everything sent before the last one (or a timeout) is acknowledged.
    if ((this.dupAcks >= 3 || sackTrigger) && seqGe(this.sndUna, this.recover)) {
      // Fast retransmit; enter recovery (RFC 5681 3.2, RFC 6582).
      const flight = seqDiff(this.sndMax, this.sndUna);
      this.cc.onCongestion(flight, mss, now);
      this.cc.cwnd = this.cc.ssthresh;
      this.inRecovery = true;
      this.recover = this.sndMax;
      this.highRxt = this.sndUna;
    }
  }

  /** Adds the peer's SACK blocks to the scoreboard (RFC 2018), ignoring D-SACKs and stale blocks. */
  updateScoreboard(blocks: SackBlock[]): void {
    for (const b of blocks) {
      // Ignore D-SACKs and blocks outside (SND.UNA, SND.MAX].
      if (!seqLt(b.left, b.right) || seqLe(b.right, this.sndUna) || seqGt(b.right, this.sndMax)) continue;
      const left = seqMax(b.left, this.sndUna);
      this.sacked.push({ left, right: b.right });
    }
    this.sacked.sort((x, y) => seqDiff(x.left, y.left));
    const merged: SackBlock[] = [];
    for (const b of this.sacked) {
      const last = merged[merged.length - 1];
      if (last && seqLe(b.left, last.right)) {
        if (seqGt(b.right, last.right)) last.right = b.right;
      } else merged.push({ ...b });
    }
    this.sacked = merged;
    this.sackedBytes = merged.reduce((n, b) => n + seqDiff(b.right, b.left), 0);
  }

  private pruneScoreboard(): void {
    if (this.sacked.length === 0) return;
    this.sacked = this.sacked.filter((b) => seqGt(b.right, this.sndUna));
    if (this.sacked.length > 0 && seqLt(this.sacked[0].left, this.sndUna)) this.sacked[0].left = this.sndUna;
    this.sackedBytes = this.sacked.reduce((n, b) => n + seqDiff(b.right, b.left), 0);
  }

  /** A copy of the SACK scoreboard, in sequence order. */
  scoreboard(): SackBlock[] {
    return this.sacked.map((b) => ({ ...b }));
  }

  // =========================================================================
  // Sending
  // =========================================================================

  /** Sends what the windows, Nagle and recovery allow; returns whether anything went out. */
  sendData(): boolean {
    let sent = false;
    if (this.inRecovery) sent = this.retransmitHoles();
    return this.sendNewData() || sent;
  }

  /** Bytes believed in flight during recovery (RFC 6675 "pipe", simplified). */
  pipe(): number {
    if (this.ep.sackOk && this.sacked.length > 0) {
      const highSacked = this.sacked[this.sacked.length - 1].right;
      let p = Math.max(0, seqDiff(this.sndMax, highSacked));
      // Retransmitted holes are in flight again.
      let at = this.sndUna;
      const lim = seqLt(this.highRxt, highSacked) ? this.highRxt : highSacked;
      for (const b of this.sacked) {
        if (!seqLt(at, lim)) break;
        if (seqLt(at, b.left)) p += seqDiff(seqLt(b.left, lim) ? b.left : lim, at);
        at = seqMax(at, b.right);
      }
      return p;
    }
    const flight = seqDiff(this.sndMax, this.sndUna);
    return Math.max(0, flight - this.dupAcks * this.ep.mss) + Math.max(0, seqDiff(this.highRxt, this.sndUna));
  }

  /** The next hole to retransmit in recovery: [start, end) or null. */
  nextHole(): { start: number; end: number } | null {
    const start0 = seqMax(this.sndUna, this.highRxt);
    if (this.ep.sackOk && this.sacked.length > 0) {
      let start = start0;
      for (const b of this.sacked) {
        if (seqLt(start, b.left)) return { start, end: b.left };
        start = seqMax(start, b.right);
      }
      return null;
    }
    if (seqLe(this.highRxt, this.sndUna) && seqGt(this.sndMax, this.sndUna)) return { start: this.sndUna, end: this.sndMax };
    return null;
  }

  private retransmitHoles(): boolean {
    let sent = false;
    for (;;) {
      const hole = this.nextHole();
      if (!hole) break;
      if (this.cc.cwnd - this.pipe() < Math.min(this.ep.mss, seqDiff(hole.end, hole.start))) break;
      const len = this.sendRange(hole.start, seqDiff(hole.end, hole.start));
      this.highRxt = seqAdd(hole.start, Math.max(1, len));
      this.totalRetrans++;
      sent = true;
    }
    return sent;
  }

  /**
   * Sends one segment starting at `seq` with at most `max` bytes of
   * sequence space (data, then FIN if it falls inside). Returns the
   * sequence space used.
   */
  private sendRange(seq: number, max: number): number {
    const dataEnd = this.finSeq();
    const dataLen = Math.max(0, Math.min(max, this.ep.mss, seqDiff(dataEnd, seq)));
    const fin = this.finQueued && seqAdd(seq, dataLen) === dataEnd && max > dataLen;
    if (dataLen === 0 && !fin) return 0;
    const flags = TcpFlag.ACK | (fin ? TcpFlag.FIN : 0) | (seqAdd(seq, dataLen) === dataEnd && dataLen > 0 ? TcpFlag.PSH : 0);
    this.transmit(seq, flags, dataLen, false);
    return dataLen + (fin ? 1 : 0);
  }

  /** TCP_CORK's ceiling passed: the held partial segment goes out. */
  onCorkTimeout(): void {
    this.corkAt = -1;
    this.corkExpired = true;
    try {
      this.ep.output();
    } finally {
      this.corkExpired = false;
    }
  }

  private sendNewData(): boolean {
    let sent = false;
    const dataEnd = this.finSeq();
    const mss = this.ep.mss;
    const burst = this.ep.sendBurst();
    for (;;) {
      // After a timeout SND.NXT went back; skip ranges the peer has SACKed.
      if (seqLt(this.sndNxt, this.sndMax)) {
        for (const b of this.sacked) {
          if (seqLe(b.left, this.sndNxt) && seqLt(this.sndNxt, b.right)) this.sndNxt = b.right;
        }
      }
      const avail = seqDiff(dataEnd, this.sndNxt);
      const finPending = this.finQueued && seqLe(this.sndNxt, dataEnd) && !(this.finAcked || seqGt(this.sndNxt, dataEnd));
      if (avail <= 0 && !finPending) break;
      const flight = this.inRecovery ? this.pipe() : seqDiff(this.sndNxt, this.sndUna);
      const cwndRoom = this.cc.cwnd - flight;
      const wndRoom = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
      const len = Math.min(burst, Math.max(0, avail), wndRoom, cwndRoom);
      if (avail <= 0) {
        // Only the FIN is left. Send it even into a closed window: receivers
        // (Linux since 6.x, and this stack) accept a bare FIN there, and a
        // peer that drops it gets it again from the retransmission timer.
        if (cwndRoom <= 0 && flight > 0) break;
        this.transmit(this.sndNxt, TcpFlag.ACK | TcpFlag.FIN, 0, true);
        sent = true;
        break;
      }
      if (len <= 0) {
        if (wndRoom <= 0 && flight === 0 && avail > 0) this.startPersist();
        break;
      }
      if (len < mss && len < avail && wndRoom < cwndRoom && len < this.maxSndWnd / 2 && !this.swsOverride) {
        // Sender SWS avoidance (RFC 9293 3.8.6.2.1): wait for a useful window;
        // the persist timer doubles as the override timeout.
        if (flight === 0) this.startPersist();
        break;
      }
      const corked = this.ep.cork && !this.corkExpired;
      const smallUnacked = seqGt(this.sndSml, this.sndUna) && seqLe(this.sndSml, this.sndNxt);
      if (len < mss && len === avail && !this.finQueued && (corked || (!this.ep.nodelay && flight > 0 && smallUnacked))) {
        if (corked && this.corkAt < 0) this.corkAt = this.ep.stack.clock.now() + CORK_CEILING_MS;
        break; // TCP_CORK, Nagle (RFC 896)
      }
      const fin = this.finQueued && seqAdd(this.sndNxt, len) === dataEnd;
      const flags = TcpFlag.ACK | (fin ? TcpFlag.FIN : 0) | (len === avail ? TcpFlag.PSH : 0);
      if (len < mss) this.sndSml = seqAdd(this.sndNxt, len);
      this.transmit(this.sndNxt, flags, len, true);
      sent = true;
    }
    if (seqGe(this.sndNxt, dataEnd)) this.corkAt = -1;
    return sent;
  }

  /**
   * Builds and sends a segment carrying `len` bytes from `seq` (plus the
   * flags given); `advance` moves SND.NXT past it.
   */
  private transmit(seq: number, flags: number, len: number, advance: boolean): void {
    const now = this.ep.stack.clock.now();
    const isRetransmit = seqLt(seq, this.sndMax);
    if (isRetransmit) this.retransmitTs = this.ep.tsNow();
    const seqLenUsed = len + (flags & TcpFlag.FIN ? 1 : 0);
    this.ep.sendSegment(seq, flags, len);
    if (len > 0) this.lastDataSentAt = now;
    if (this.sndUna === this.sndMax && seqLenUsed > 0) this.unackedSince = now;
    if (advance) {
      this.sndNxt = seqAdd(seq, seqLenUsed);
      if (seqGt(this.sndNxt, this.sndMax)) {
        if (!this.ep.tsOk && this.rttStart < 0 && !isRetransmit) {
          this.rttStart = now;
          this.rttSeq = this.sndNxt;
        }
        this.sndMax = this.sndNxt;
      }
    }
    if (isRetransmit) this.rttStart = -1; // Karn: never time a retransmitted range
    if (this.rtoAt < 0 || this.persisting) {
      this.persisting = false;
      this.rtoAt = now + this.rtt.current;
    }
  }

  // =========================================================================
  // Retransmission and persist timers
  // =========================================================================

  /** The retransmission timer fired for data (not a SYN): go back to SND.UNA, or probe a closed window. */
  onRetransmitTimeout(now: number): void {
    if (this.sndUna === this.sndMax) return;
    if (this.sndWnd === 0 && this.lastAckRecvAt > 0) {
      // The peer closed its window with our data in flight: the data does not
      // fit rather than being lost. Probe the window instead of collapsing
      // cwnd and counting toward an abort (as Linux's retransmit timer does).
      this.sndNxt = this.sndUna;
      this.persisting = true;
      this.onPersist();
      return;
    }
    const ep = this.ep;
    const timedOut = ep.userTimeoutMs > 0 ? now - this.unackedSince >= ep.userTimeoutMs : this.retransmits >= ep.config.retries2;
    if (timedOut) {
      ep.destroy(ep.softError || Errno.ETIMEDOUT);
      return;
    }
    this.retransmits++;
    this.totalRetrans++;
    this.rtt.backoff++;
    this.rttStart = -1;
    // RFC 5681 3.1 / RFC 6298 5.4-5.6: collapse the window and go back to SND.UNA.
    this.cc.onTimeout(seqDiff(this.sndMax, this.sndUna), ep.mss, now);
    this.inRecovery = false;
    this.recover = this.sndMax;
    this.dupAcks = 0;
    this.sndNxt = this.sndUna;
    this.rtoAt = now + this.rtt.current;
    const used = this.sendRange(this.sndUna, ep.mss + 1);
    this.sndNxt = seqAdd(this.sndUna, used);
    ep.output();
  }

  private startPersist(): void {
    if (this.rtoAt >= 0) return;
    this.persisting = true;
    this.rtoAt = this.ep.stack.clock.now() + this.rtt.current;
  }

  /** Zero-window probe: an out-of-window ACK that makes the peer repeat its window. */
  onPersist(): void {
    this.persisting = false;
    if (seqLe(this.finSeq(), this.sndNxt)) return;
    if (this.sndWnd > 0) {
      // SWS override timeout: send what the small window allows.
      this.swsOverride = true;
      this.ep.output();
      this.swsOverride = false;
      return;
    }
    this.probes++;
    this.rtt.backoff = Math.min(this.rtt.backoff + 1, 15);
    this.ep.sendSegment(seqAdd(this.sndUna, -1), TcpFlag.ACK, 0);
    this.persisting = true;
    this.rtoAt = this.ep.stack.clock.now() + this.rtt.current;
  }
}
