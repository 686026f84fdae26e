// The receiving half of a TCP connection, as gVisor's tcp/rcv.go: the
// receive sequence space and the window we advertise (RFC 9293 3.3.1,
// receiver SWS avoidance, RFC 7323 scaling), the acceptability test and
// trimming of arriving segments (RFC 9293 3.10.7.4), reassembly of
// out-of-order data (the ReceiveBuffer, which also yields SACK blocks),
// receive-buffer autotuning, and when to acknowledge (delayed ACKs, quick
// ACKs, RFC 5681 4.2).

import { TcpFlag } from '../wire/tcp.js';
import type { TcpEndpoint } from './endpoint.js';
import { ReceiveBuffer } from './recv-buffer.js';
import { seqAdd, seqDiff, seqLe, seqLt } from './seq.js';
import { isSynchronized, TcpState } from './state.js';

/** Segments acknowledged immediately at connection start (Linux quick-ack mode). */
const INITIAL_QUICKACKS = 16;

/** What is left of a segment's payload and FIN once trimmed to the receive window. */
export interface TrimmedSegment {
  seq: number;
  payload: Uint8Array;
  fin: boolean;
}

export class TcpReceiver {
  // ---- receive sequence space -----------------------------------------------
  /** Initial receive sequence number (the peer's SYN). */
  irs = 0;
  rcvNxt = 0;
  rcvWscale = 0;
  /** Right edge of the window last advertised. */
  rcvAdv = 0;
  readonly recvBuf = new ReceiveBuffer();
  /** FIN received in order: no more data will arrive. */
  finReceived = false;
  /** Sequence number of a FIN that arrived ahead of missing data. */
  private pendingFinSeq: number | null = null;
  /** Largest payload seen from the peer (for delayed-ACK decisions and tcpi_rcv_mss). */
  rcvMss = 536;
  private rcvCopied = 0;
  private rcvEpochStart = 0;
  lastDataRecvAt = 0;

  // ---- ACK state ----------------------------------------------------------------
  /** An ACK must go out with the next output (or on its own). */
  ackNow = false;
  private segsSinceAck = 0;
  private quickAcks = INITIAL_QUICKACKS;
  /** RCV.NXT as last acknowledged (timestamps are recorded only from segments up to it). */
  lastAckSent = 0;
  /** Deadline of the delayed-ACK timer (-1: not running). */
  delackAt = -1;
  /** A segment shorter than rcvMss arrived since the last ACK (Linux's ICSK_ACK_PUSHED). */
  private smallSegmentPending = false;
  /**
   * The connection is request/response (Linux's pingpong mode): data went
   * out soon after data came in. Until the delayed-ACK timer fires, a read
   * that drains the buffer leaves the ACK to the expected reply.
   */
  interactive = false;

  constructor(private readonly ep: TcpEndpoint) {}

  /** Starts the receive sequence space at the peer's SYN. */
  init(irs: number): void {
    this.irs = irs;
    this.rcvNxt = seqAdd(irs, 1);
  }

  /** The window last promised to the peer, from RCV.NXT. */
  window(): number {
    return Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt));
  }

  /**
   * RFC 9293 3.10.7.4's first check: whether a segment of `segLen` bytes of
   * sequence space at `seq` falls in the receive window. With a zero
   * window only an in-order ACK passes (its ACK and window are used, its
   * data trimmed away).
   */
  acceptable(seq: number, segLen: number, flags: number): boolean {
    const rcvWnd = this.window();
    if (segLen === 0) return rcvWnd === 0 ? seq === this.rcvNxt : seqLe(this.rcvNxt, seq) && seqLt(seq, seqAdd(this.rcvNxt, rcvWnd));
    if (rcvWnd === 0) return seq === this.rcvNxt && (flags & TcpFlag.ACK) !== 0; // keep ACK info, drop data below
    const last = seqAdd(seq, segLen - 1);
    return (seqLe(this.rcvNxt, seq) && seqLt(seq, seqAdd(this.rcvNxt, rcvWnd))) || (seqLe(this.rcvNxt, last) && seqLt(last, seqAdd(this.rcvNxt, rcvWnd)));
  }

  /**
   * Trims an acceptable segment to the window: drops what lies before
   * RCV.NXT (and a FIN already received) and what lies past the advertised
   * right edge (with the FIN after it); either asks for an immediate ACK.
   */
  trim(seq: number, payload: Uint8Array, fin: boolean, segLen: number): TrimmedSegment {
    if (seqLt(seq, this.rcvNxt)) {
      const skip = seqDiff(this.rcvNxt, seq);
      if (skip >= payload.length) {
        // All data is old; a FIN before RCV.NXT was already received.
        if (fin && skip > payload.length) fin = false;
        if (segLen > 0) this.ackNow = true;
        payload = payload.subarray(payload.length);
      } else {
        payload = payload.subarray(skip);
      }
      seq = this.rcvNxt;
    }
    const room = Math.max(0, seqDiff(this.rcvAdv, seq));
    if (payload.length > room) {
      payload = payload.subarray(0, room);
      fin = false;
      this.ackNow = true;
    }
    return { seq, payload, fin };
  }

  /**
   * RFC 9293 3.10.7.4's seventh step: queues trimmed data (in order, or held
   * out of order until the gap fills) in the states that still receive.
   */
  receiveData(seq: number, payload: Uint8Array, now: number): void {
    if (payload.length === 0) return;
    this.lastDataRecvAt = now;
    const state = this.ep.state;
    if (state !== TcpState.ESTABLISHED && state !== TcpState.FIN_WAIT1 && state !== TcpState.FIN_WAIT2) return;
    if (payload.length > this.rcvMss) this.rcvMss = payload.length;
    const hadHoles = this.recvBuf.oooBytes > 0;
    const advanced = this.recvBuf.insert(seq, payload, this.rcvNxt);
    if (advanced > 0) {
      this.rcvNxt = seqAdd(this.rcvNxt, advanced);
      this.ep.signal();
    }
    if (advanced === 0 || hadHoles) this.ackNow = true; // out of order, or filling a hole (RFC 5681 4.2)
    if (payload.length < this.rcvMss) this.smallSegmentPending = true;
    this.segsSinceAck++;
  }

  /**
   * Notes a FIN at `finSeq` (it may arrive ahead of missing data) and says
   * whether the FIN is now due: in order and not yet taken.
   */
  finDue(fin: boolean, finSeq: number): boolean {
    if (fin) this.pendingFinSeq = finSeq;
    return this.pendingFinSeq !== null && this.pendingFinSeq === this.rcvNxt && !this.finReceived;
  }

  /** Takes the in-order FIN: it occupies one sequence number and is acknowledged at once. */
  takeFin(): void {
    this.finReceived = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackNow = true;
  }

  /** Records that an ACK for RCV.NXT just went out, on a segment carrying `dataLen` bytes. */
  ackSent(dataLen: number): void {
    // Linux's tcp_event_data_sent: data sent soon after data arrived is a reply.
    if (dataLen > 0 && this.lastDataRecvAt > 0 && this.ep.stack.clock.now() - this.lastDataRecvAt < this.ep.config.delayedAckMs) this.interactive = true;
    this.smallSegmentPending = false;
    this.lastAckSent = this.rcvNxt;
    this.ackNow = false;
    this.segsSinceAck = 0;
    this.delackAt = -1;
  }

  /** Decide between an immediate and a delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2). */
  scheduleAck(): void {
    if (this.segsSinceAck === 0 && !this.ackNow) return;
    if (this.ackNow) return; // output() sends it
    if (this.quickAcks > 0) {
      this.quickAcks--;
      this.ackNow = true;
      return;
    }
    if (this.segsSinceAck >= 2) {
      this.ackNow = true;
      return;
    }
    if (this.delackAt < 0) {
      this.delackAt = this.ep.stack.clock.now() + this.ep.config.delayedAckMs;
      this.ep.armTimer();
    }
  }

  /**
   * Window field to advertise. The right edge never moves left (RFC 9293
   * 3.8.6.2.2) and RCV.ADV is kept exactly at what the scaled field says, so
   * the peer can never be promised more than the acceptability test admits.
   */
  advertiseWindow(): number {
    const scale = 2 ** this.rcvWscale;
    const promised = this.window();
    const field = Math.min(0xffff, Math.max(Math.floor(this.windowFree() / scale), Math.ceil(promised / scale)));
    this.rcvAdv = seqAdd(this.rcvNxt, field * scale);
    return field;
  }

  /** Free receive-buffer space worth offering, in whole scaled units. */
  windowFree(): number {
    const rcvBufSize = this.ep.rcvBufSize;
    const room = rcvBufSize - this.recvBuf.readyBytes - this.recvBuf.oooBytes;
    // TCP_WINDOW_CLAMP bounds what is offered, whatever the buffer holds.
    const free = this.ep.windowClamp > 0 ? Math.min(room, this.ep.windowClamp) : room;
    // Receiver SWS avoidance (RFC 9293 3.8.6.2.2): don't open tiny windows.
    if (free < Math.min(rcvBufSize / 2, this.ep.advMss, this.ep.windowClamp || Infinity)) return 0;
    return Math.floor(free / 2 ** this.rcvWscale) * 2 ** this.rcvWscale;
  }

  /** Reads up to `max` bytes of in-order data for the application, then lets the window grow. */
  read(max: number, peek: boolean): Uint8Array {
    const before = this.windowFree();
    const data = this.recvBuf.read(max, peek);
    if (!peek && data.length > 0) {
      this.autotuneReceiveBuffer(data.length);
      if (this.ackDueAfterRead()) {
        this.ackNow = true;
        this.ep.output();
      } else {
        this.maybeSendWindowUpdate(before);
      }
    }
    return data;
  }

  /**
   * Linux's tcp_cleanup_rbuf: a delayed ACK goes out when the application
   * reads, if more than a full segment is unacknowledged, or if the read
   * drained the buffer after a short (pushed) segment and the connection is
   * not interactive. A bulk sender then has its last partial segment
   * acknowledged when the reader takes it, not 40 ms later.
   */
  private ackDueAfterRead(): boolean {
    if (this.segsSinceAck === 0 || this.ackNow || !isSynchronized(this.ep.state)) return false;
    if (seqDiff(this.rcvNxt, this.lastAckSent) > this.rcvMss) return true;
    return this.smallSegmentPending && !this.interactive && this.recvBuf.readyBytes === 0;
  }

  /**
   * Receive-buffer autotuning in the spirit of Linux's tcp_rcv_space_adjust:
   * once per RTT, if the application consumed a good part of the buffer, the
   * window was the bottleneck, so the buffer grows to a few RTTs' worth.
   */
  private autotuneReceiveBuffer(n: number): void {
    const ep = this.ep;
    if (ep.rcvBufLocked) return;
    const now = ep.stack.clock.now();
    this.rcvCopied += n;
    const srtt = ep.snd.rtt.srtt;
    const rtt = Math.max(1, srtt > 0 ? srtt : ep.config.initialRtoMs);
    if (now - this.rcvEpochStart < rtt) return;
    if (this.rcvCopied * 2 > ep.rcvBufSize) ep.rcvBufSize = Math.min(ep.config.maxRcvBuf, Math.max(ep.rcvBufSize, 4 * this.rcvCopied));
    this.rcvCopied = 0;
    this.rcvEpochStart = now;
  }

  /** After the application reads: announce a window that grew substantially. */
  private maybeSendWindowUpdate(before: number): void {
    if (!isSynchronized(this.ep.state)) return;
    const advertised = this.window();
    const now = this.windowFree();
    if (now > before && (now - advertised >= 2 * this.ep.advMss || now - advertised >= this.ep.rcvBufSize / 2 || (advertised === 0 && now > 0))) {
      this.ackNow = true;
      this.ep.output();
    }
  }
}
