// One TCP connection (or listener): the RFC 9293 state machine with
// RFC 6298 retransmission timing, RFC 5681/6582/6675-style loss recovery,
// RFC 7323 window scaling and timestamps, RFC 2018 SACK, Nagle, delayed
// ACKs, zero-window probing and keepalive. The socket layer drives it through
// the public methods and learns about changes through `onEvent`.

import { Errno, IPPROTO } from '../abi.js';
import type { IpAddress } from '../wire/address.js';
import { emitTcp, TcpFlag, tcpHeaderLength, type SackBlock, type TcpRepr } from '../wire/tcp.js';
import type { Stack } from '../stack/stack.js';
import type { Route, PacketInfo } from '../stack/types.js';
import type { PortBinding } from '../stack/ports.js';
import { allocPacket } from '../stack/packet.js';
import type { Timer } from '../time/clock.js';
import type { TcpConfig } from './config.js';
import type { CongestionControl } from './congestion.js';
import { RenoCongestion } from './congestion.js';
import { CubicCongestion } from './cubic.js';
import { TcpCaState, TCPI_OPT, type TcpInfo } from './info.js';
import { ReceiveBuffer } from './recv-buffer.js';
import { RttEstimator } from './rtt.js';
import { SendBuffer } from './send-buffer.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from './seq.js';
import { isSynchronized, TcpState } from './state.js';
import type { TcpProtocol } from './protocol.js';

const IPV4_TCP_OVERHEAD = 40;
const IPV6_TCP_OVERHEAD = 60;
const TIMESTAMP_OPTION_LEN = 12;
/** Segments acknowledged immediately at connection start (Linux quick-ack mode). */
const INITIAL_QUICKACKS = 16;
const MAX_WSCALE = 14;

/** SO_LINGER setting. */
export interface Linger {
  onoff: boolean;
  /** Seconds. */
  linger: number;
}

export class TcpEndpoint {
  state: number = TcpState.CLOSE;
  localAddr!: IpAddress;
  localPort = 0;
  remoteAddr!: IpAddress;
  remotePort = 0;
  route: Route | null = null;
  binding: PortBinding | null = null;
  /** Key in the protocol's connection table while registered. */
  connKey: string | null = null;

  // ---- socket options -------------------------------------------------------
  nodelay = false;
  /** TCP_CORK: hold partial segments until uncorked (or the FIN). */
  cork = false;
  /** TCP_USER_TIMEOUT in ms (0: use tcp_retries2). */
  userTimeoutMs = 0;
  keepalive = false;
  keepIdleS: number;
  keepIntvlS: number;
  keepCnt: number;
  linger: Linger = { onoff: false, linger: 0 };
  rcvBufSize: number;
  sndBufSize: number;
  /** SO_RCVBUF was set: no autotuning. */
  rcvBufLocked = false;
  private rcvCopied = 0;
  private rcvEpochStart = 0;
  /** TCP_MAXSEG set by the user (0: derive from the route MTU). */
  userMss = 0;
  congestionName: 'cubic' | 'reno';

  // ---- send sequence space ---------------------------------------------------
  private iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent (SND.NXT before any go-back-N after a timeout). */
  sndMax = 0;
  sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndWscale = 0;
  /** Largest window the peer has offered (for sender SWS avoidance). */
  private maxSndWnd = 0;
  private swsOverride = false;
  readonly sendBuf = new SendBuffer();
  /** The application is done sending (shutdown(SHUT_WR)/close); a FIN follows the data. */
  finQueued = false;
  private finAcked = false;

  // ---- receive sequence space -----------------------------------------------
  private irs = 0;
  rcvNxt = 0;
  private rcvWscale = 0;
  /** Right edge of the window last advertised. */
  private rcvAdv = 0;
  readonly recvBuf = new ReceiveBuffer();
  /** FIN received in order: no more data will arrive. */
  finReceived = false;
  /** Sequence number of a FIN that arrived ahead of missing data. */
  private pendingFinSeq: number | null = null;
  /** The application shut the receive side (reads return EOF). */
  rcvShutdown = false;

  // ---- negotiated options -----------------------------------------------------
  /** Payload bytes per full segment we send (options already deducted). */
  mss = 536;
  private advMss = 536;
  private tsOk = false;
  private tsRecent = 0;
  private tsOffset = 0;
  private sackOk = false;
  private wsOk = false;
  private peerMss = 536;
  /** Largest payload seen from the peer (for delayed-ACK decisions and tcpi_rcv_mss). */
  private rcvMss = 536;

  // ---- loss recovery ----------------------------------------------------------
  private sacked: SackBlock[] = [];
  private sackedBytes = 0;
  private dupAcks = 0;
  private inRecovery = false;
  private recover = 0;
  /** Holes below this have been retransmitted during the current recovery. */
  private highRxt = 0;
  cc!: CongestionControl;
  readonly rtt: RttEstimator;
  private rttSeq = 0;
  private rttStart = -1;
  /** Consecutive timeouts without progress. */
  private retransmits = 0;
  /** When the oldest unacknowledged data was first sent (for TCP_USER_TIMEOUT). */
  private unackedSince = 0;
  /** TSval of the most recent retransmission (RTT samples echoing older values are ambiguous). */
  private retransmitTs = 0;
  private totalRetrans = 0;
  private probes = 0;

  // ---- timers (one clock timer at the earliest deadline) ------------------------
  private rtoAt = -1;
  /** rtoAt is running as the persist (zero-window probe) timer. */
  private persisting = false;
  private delackAt = -1;
  private keepaliveAt = -1;
  /** TIME_WAIT expiry, orphaned FIN_WAIT2 expiry, or SO_LINGER deadline. */
  private closeAt = -1;
  private timer: Timer | null = null;
  private timerAt = Infinity;

  // ---- ACK state ----------------------------------------------------------------
  private ackNow = false;
  private segsSinceAck = 0;
  private quickAcks = INITIAL_QUICKACKS;
  private lastAckSent = 0;
  private lastDataSentAt = 0;
  private lastDataRecvAt = 0;
  private lastAckRecvAt = 0;

  // ---- listener ----------------------------------------------------------------
  backlog = 0;
  readonly acceptQueue: TcpEndpoint[] = [];
  readonly synQueue = new Set<TcpEndpoint>();
  parent: TcpEndpoint | null = null;

  /** Pending error for the socket (SO_ERROR); 0 if none. */
  softError = 0;
  error = 0;
  /** The socket was closed; the endpoint lingers only to finish the protocol. */
  orphaned = false;
  /** Called (at the end of a unit of work) when readiness may have changed. */
  onEvent: (() => void) | null = null;
  /** Whether the connection ever reached ESTABLISHED (for ECONNREFUSED vs ECONNRESET). */
  wasEstablished = false;

  constructor(
    readonly stack: Stack,
    readonly protocol: TcpProtocol,
    readonly config: TcpConfig,
  ) {
    this.keepIdleS = config.keepIdleS;
    this.keepIntvlS = config.keepIntvlS;
    this.keepCnt = config.keepCnt;
    this.rcvBufSize = config.rcvBuf;
    this.sndBufSize = config.sndBuf;
    this.congestionName = config.congestionControl;
    this.rtt = new RttEstimator(config.initialRtoMs, config.minRtoMs, config.maxRtoMs);
  }

  // =========================================================================
  // Application-facing operations
  // =========================================================================

  /** Starts an active open to remote:port (bind must have happened). */
  connect(remote: IpAddress, port: number, route: Route): void {
    this.remoteAddr = remote;
    this.remotePort = port;
    this.route = route;
    if (this.localAddr.isUnspecified || this.localAddr.version !== remote.version) this.localAddr = route.src;
    this.initSend();
    this.advMss = this.computeAdvMss();
    this.state = TcpState.SYN_SENT;
    this.protocol.register(this);
    this.sendSyn(false);
  }

  /** Enters LISTEN. */
  listen(backlog: number): void {
    this.backlog = backlog;
    this.state = TcpState.LISTEN;
  }

  /** Takes the first fully established connection, or null if none. */
  accept(): TcpEndpoint | null {
    const child = this.acceptQueue.shift() ?? null;
    if (child) child.parent = null;
    return child;
  }

  /** Bytes the send buffer can still take. */
  sendSpace(): number {
    return Math.max(0, this.sndBufSize - this.sendBuf.length);
  }

  /** Queues data; returns bytes accepted (0 if the buffer is full). Caller checks state. */
  write(data: Uint8Array): number {
    const n = this.sendBuf.append(data, this.sendSpace());
    if (n > 0) this.output();
    return n;
  }

  /** Reads up to `max` bytes of in-order data. */
  read(max: number, peek: boolean): Uint8Array {
    const before = this.receiveWindowFree();
    const data = this.recvBuf.read(max, peek);
    if (!peek && data.length > 0) {
      this.autotuneReceiveBuffer(data.length);
      this.maybeSendWindowUpdate(before);
    }
    return data;
  }

  /**
   * Receive-buffer autotuning in the spirit of Linux's tcp_rcv_space_adjust:
   * once per RTT, if the application consumed a good part of the buffer, the
   * window was the bottleneck, so the buffer grows to a few RTTs' worth.
   */
  private autotuneReceiveBuffer(n: number): void {
    if (this.rcvBufLocked) return;
    const now = this.stack.clock.now();
    this.rcvCopied += n;
    const rtt = Math.max(1, this.rtt.srtt > 0 ? this.rtt.srtt : this.config.initialRtoMs);
    if (now - this.rcvEpochStart < rtt) return;
    if (this.rcvCopied * 2 > this.rcvBufSize) this.rcvBufSize = Math.min(this.config.maxRcvBuf, Math.max(this.rcvBufSize, 4 * this.rcvCopied));
    this.rcvCopied = 0;
    this.rcvEpochStart = now;
  }

  /** shutdown(SHUT_WR): send FIN after queued data. */
  shutdownSend(): void {
    if (this.finQueued) return;
    switch (this.state) {
      case TcpState.ESTABLISHED:
        this.finQueued = true;
        this.state = TcpState.FIN_WAIT1;
        break;
      case TcpState.CLOSE_WAIT:
        this.finQueued = true;
        this.state = TcpState.LAST_ACK;
        break;
      case TcpState.SYN_RECV:
        this.finQueued = true;
        break; // FIN_WAIT1 once the handshake completes
      case TcpState.SYN_SENT:
        this.destroy(0);
        return;
      default:
        return;
    }
    this.output();
    this.signal();
  }

  /** close(2) on the socket. */
  close(): void {
    this.orphaned = true;
    this.onEvent = null;
    if (this.state === TcpState.LISTEN) {
      for (const c of [...this.synQueue, ...this.acceptQueue]) c.abort();
      this.synQueue.clear();
      this.acceptQueue.length = 0;
      this.destroy(0);
      return;
    }
    if (this.state === TcpState.CLOSE || this.state === TcpState.SYN_SENT) {
      this.destroy(0);
      return;
    }
    // RFC 2525 2.17 / Linux: closing with unread data resets the connection.
    if (this.recvBuf.readyBytes > 0 || (this.linger.onoff && this.linger.linger === 0)) {
      this.abort();
      return;
    }
    this.shutdownSend();
    if (this.state === TcpState.FIN_WAIT2) this.armCloseTimer(this.config.finTimeoutMs);
  }

  /** Resets the connection (RST to the peer if synchronized) and tears down. */
  abort(): void {
    if (isSynchronized(this.state) || this.state === TcpState.SYN_RECV) this.sendRst(this.sndNxt);
    this.destroy(0);
  }

  /** Readable bytes. */
  get readable(): number {
    return this.recvBuf.readyBytes;
  }

  /** Linux sk_stream_is_writeable: free space at least half of what is queued. */
  get writable(): boolean {
    const queued = this.sendBuf.length;
    return this.sndBufSize - queued >= queued / 2 && this.sndBufSize - queued > 0;
  }

  /** Whether all queued data (and FIN) is acknowledged — SO_LINGER's wait condition. */
  get sendDrained(): boolean {
    return this.sendBuf.length === 0 && (!this.finQueued || this.finAcked);
  }

  /** TCP_INFO snapshot. */
  info(): TcpInfo {
    const now = this.stack.clock.now();
    const since = (t: number) => (t > 0 ? now - t : 0);
    const mss = Math.max(1, this.mss);
    return {
      state: this.state,
      caState: this.inRecovery ? TcpCaState.RECOVERY : this.retransmits > 0 ? TcpCaState.LOSS : this.dupAcks > 0 ? TcpCaState.DISORDER : TcpCaState.OPEN,
      retransmits: this.retransmits,
      probes: this.probes,
      backoff: this.rtt.backoff,
      options: (this.tsOk ? TCPI_OPT.TIMESTAMPS : 0) | (this.sackOk ? TCPI_OPT.SACK : 0) | (this.wsOk ? TCPI_OPT.WSCALE : 0),
      sndWscale: this.sndWscale,
      rcvWscale: this.rcvWscale,
      rto: this.rtt.current * 1000,
      ato: this.config.delayedAckMs * 1000,
      sndMss: this.mss,
      rcvMss: this.rcvMss,
      unacked: Math.ceil(Math.max(0, seqDiff(this.sndMax, this.sndUna)) / mss),
      sacked: Math.ceil(this.sackedBytes / mss),
      lost: 0,
      retrans: this.inRecovery ? Math.ceil(Math.max(0, seqDiff(this.highRxt, this.sndUna)) / mss) : 0,
      lastDataSent: since(this.lastDataSentAt),
      lastAckSent: 0,
      lastDataRecv: since(this.lastDataRecvAt),
      lastAckRecv: since(this.lastAckRecvAt),
      pmtu: this.route?.mtu ?? 0,
      rcvSsthresh: this.rcvBufSize,
      rtt: Math.max(0, this.rtt.srtt) * 1000,
      rttvar: this.rtt.rttvar * 1000,
      sndSsthresh: !this.cc || this.cc.ssthresh >= 0x7fffffff ? 0x7fffffff : Math.floor(this.cc.ssthresh / mss),
      sndCwnd: this.cc ? Math.floor(this.cc.cwnd / mss) : 0,
      advmss: this.advMss,
      reordering: 3,
      rcvRtt: 0,
      rcvSpace: this.rcvBufSize,
      totalRetrans: this.totalRetrans,
    };
  }

  // =========================================================================
  // Segment arrival
  // =========================================================================

  /** Handles a SYN arriving at this listener: creates a child in SYN_RECV. */
  handleListen(seg: TcpRepr, info: PacketInfo): void {
    if (seg.flags & TcpFlag.RST) return;
    if (seg.flags & TcpFlag.ACK) {
      this.protocol.sendReset(info, seg);
      return;
    }
    if (!(seg.flags & TcpFlag.SYN)) return;
    // Linux drops SYNs while the accept queue is full (sk_acceptq_is_full) or the SYN queue overflows.
    if (this.acceptQueue.length > this.backlog || this.synQueue.size >= Math.max(128, this.backlog * 2)) return;
    let route: Route;
    try {
      route = this.stack.findRoute(info.src, info.dst);
    } catch {
      return;
    }
    const child = new TcpEndpoint(this.stack, this.protocol, this.config);
    child.inheritFrom(this);
    child.localAddr = info.dst;
    child.localPort = this.localPort;
    child.remoteAddr = info.src;
    child.remotePort = seg.srcPort;
    child.route = route;
    child.parent = this;
    child.binding = this.protocol.childBinding(this, child);
    child.initSend();
    child.advMss = child.computeAdvMss();
    child.irs = seg.seq;
    child.rcvNxt = seqAdd(seg.seq, 1);
    child.negotiate(seg);
    child.state = TcpState.SYN_RECV;
    this.synQueue.add(child);
    this.protocol.register(child);
    child.sendSyn(true);
  }

  /** Processes a segment for this (non-listening) connection. RFC 9293 3.10.7. */
  handleSegment(seg: TcpRepr, info: PacketInfo): void {
    const now = this.stack.clock.now();
    if (this.state === TcpState.CLOSE) return;
    if (this.state === TcpState.SYN_SENT) {
      this.handleSynSent(seg, info);
      return;
    }
    if (this.keepalive && this.keepaliveAt >= 0) {
      this.probes = 0;
      this.keepaliveAt = now + this.keepIdleS * 1000;
    }
    const flags = seg.flags;
    let payload = seg.payload;
    let seq = seg.seq;
    let fin = (flags & TcpFlag.FIN) !== 0;
    const segLen = payload.length + ((flags & TcpFlag.SYN) !== 0 ? 1 : 0) + (fin ? 1 : 0);

    // PAWS (RFC 7323 5.3).
    if (this.tsOk && seg.timestamp && !(flags & TcpFlag.RST) && seqLt(seg.timestamp.value, this.tsRecent) && this.tsRecent !== 0) {
      this.sendAck();
      return;
    }

    // TIME_WAIT: a new SYN beyond the old connection may reopen it (RFC 6191-style, as Linux does).
    if (this.state === TcpState.TIME_WAIT && (flags & TcpFlag.SYN) && !(flags & TcpFlag.ACK) && seqGt(seq, this.rcvNxt)) {
      const listener = this.protocol.findListener(info.dst, seg.dstPort, info.src, seg.srcPort);
      if (listener) {
        this.destroy(0);
        listener.handleListen(seg, info);
        return;
      }
    }

    // Acceptability test (RFC 9293 3.10.7.4, first check).
    const rcvWnd = Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt));
    let acceptable: boolean;
    if (segLen === 0) acceptable = rcvWnd === 0 ? seq === this.rcvNxt : seqLe(this.rcvNxt, seq) && seqLt(seq, seqAdd(this.rcvNxt, rcvWnd));
    else if (rcvWnd === 0) acceptable = seq === this.rcvNxt && (flags & TcpFlag.ACK) !== 0; // keep ACK info, drop data below
    else {
      const last = seqAdd(seq, segLen - 1);
      acceptable =
        (seqLe(this.rcvNxt, seq) && seqLt(seq, seqAdd(this.rcvNxt, rcvWnd))) || (seqLe(this.rcvNxt, last) && seqLt(last, seqAdd(this.rcvNxt, rcvWnd)));
    }
    if (!acceptable) {
      if (!(flags & TcpFlag.RST)) {
        this.ackNow = true;
        this.sendAck();
      }
      return;
    }

    // Second: RST (RFC 5961 3.2: exact match resets, in-window gets a challenge ACK).
    if (flags & TcpFlag.RST) {
      if (seq !== this.rcvNxt) {
        this.sendAck();
        return;
      }
      if (this.state === TcpState.SYN_RECV && this.parent) {
        // Passive open reset: silently forget the embryonic connection.
        this.destroy(0);
        return;
      }
      const err =
        this.state === TcpState.SYN_RECV ? Errno.ECONNREFUSED : this.state === TcpState.CLOSE_WAIT || isSynchronized(this.state) ? Errno.ECONNRESET : 0;
      this.destroy(this.state === TcpState.TIME_WAIT || this.state === TcpState.CLOSING || this.state === TcpState.LAST_ACK ? 0 : err);
      return;
    }

    // Fourth: SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2).
    if (flags & TcpFlag.SYN) {
      if (this.state === TcpState.SYN_RECV && seq === this.irs) {
        // Retransmitted SYN: our SYN-ACK was lost. Echo the new SYN's timestamp.
        if (this.tsOk && seg.timestamp) this.tsRecent = seg.timestamp.value;
        this.sendSyn(true);
        return;
      }
      this.sendAck();
      return;
    }

    // Trim the segment to the window.
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

    // Fifth: ACK.
    if (!(flags & TcpFlag.ACK)) return;
    if (this.tsOk && seg.timestamp && seqLe(seq, this.lastAckSent)) this.tsRecent = seg.timestamp.value;
    if (this.state === TcpState.SYN_RECV) {
      if (seqLe(seg.ack, this.sndUna) || seqGt(seg.ack, this.sndMax)) {
        this.protocol.sendReset(info, seg);
        return;
      }
      if (!this.establishPassive()) return;
    }
    if (!this.processAck(seg, payload.length === 0 && !fin, now)) return;
    if (this.state === TcpState.CLOSE) return;

    // Seventh: data.
    if (payload.length > 0) {
      this.lastDataRecvAt = now;
      if (this.state === TcpState.ESTABLISHED || this.state === TcpState.FIN_WAIT1 || this.state === TcpState.FIN_WAIT2) {
        if (payload.length > this.rcvMss) this.rcvMss = payload.length;
        const hadHoles = this.recvBuf.oooBytes > 0;
        const advanced = this.recvBuf.insert(seq, payload, this.rcvNxt);
        if (advanced > 0) {
          this.rcvNxt = seqAdd(this.rcvNxt, advanced);
          this.signal();
        }
        if (advanced === 0 || hadHoles) this.ackNow = true; // out of order, or filling a hole (RFC 5681 4.2)
        this.segsSinceAck++;
      }
    }

    // Eighth: FIN.
    if (fin) this.pendingFinSeq = seqAdd(seq, payload.length);
    if (this.pendingFinSeq !== null && this.pendingFinSeq === this.rcvNxt && !this.finReceived) this.receiveFin();

    this.scheduleAck();
    this.output();
  }

  private handleSynSent(seg: TcpRepr, info: PacketInfo): void {
    const flags = seg.flags;
    if (flags & TcpFlag.ACK) {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax)) {
        if (!(flags & TcpFlag.RST)) this.protocol.sendReset(info, seg);
        return;
      }
    }
    if (flags & TcpFlag.RST) {
      if (flags & TcpFlag.ACK) this.destroy(Errno.ECONNREFUSED);
      return;
    }
    if (!(flags & TcpFlag.SYN)) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.negotiate(seg);
    if (flags & TcpFlag.ACK) {
      this.sndUna = seg.ack;
      if (this.tsOk && seg.timestamp && seg.timestamp.echo !== 0) this.rtt.sample(this.tsNow() - seg.timestamp.echo);
      else if (this.retransmits === 0 && this.rttStart >= 0) this.rtt.sample(this.stack.clock.now() - this.rttStart);
      this.rttStart = -1;
      this.retransmits = 0;
      this.sndWnd = seg.window; // a SYN's window is never scaled (RFC 7323 2.2)
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.becomeEstablished();
      this.rtoAt = -1;
      this.ackNow = true;
      this.sendAck();
      this.output();
    } else {
      // Simultaneous open (RFC 9293 3.5, figure 8).
      this.state = TcpState.SYN_RECV;
      this.sndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sendSyn(true);
    }
    this.armTimer();
  }

  /** Handshake completion for SYN_RECV. Returns false if the ACK must be dropped. */
  private establishPassive(): boolean {
    const parent = this.parent;
    if (parent) {
      // Linux drops the final ACK while the accept queue is full; the SYN-ACK timer retries.
      if (parent.acceptQueue.length > parent.backlog) return false;
      parent.synQueue.delete(this);
    }
    this.becomeEstablished();
    if (this.finQueued) this.state = TcpState.FIN_WAIT1;
    if (parent) {
      parent.acceptQueue.push(this);
      parent.signal();
    }
    return true;
  }

  private becomeEstablished(): void {
    this.state = TcpState.ESTABLISHED;
    this.wasEstablished = true;
    const initial = Math.max(1, this.config.initialCwndSegments) * this.mss;
    this.cc = this.congestionName === 'reno' ? new RenoCongestion(initial) : new CubicCongestion(initial);
    if (this.keepalive) this.keepaliveAt = this.stack.clock.now() + this.keepIdleS * 1000;
    this.signal();
  }

  /**
   * RFC 9293 3.10.7.4 fifth check for synchronized states. Returns false if
   * the segment must be dropped.
   */
  private processAck(seg: TcpRepr, pureAck: boolean, now: number): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax)) {
      this.ackNow = true;
      this.sendAck();
      return false;
    }
    this.lastAckRecvAt = now;
    if (seg.sackBlocks && this.sackOk) this.updateScoreboard(seg.sackBlocks);
    const windowChanged = (seg.window << this.sndWscale) !== this.sndWnd;
    if (seqGt(ack, this.sndUna)) {
      this.newAck(seg, now);
    } else if (ack === this.sndUna && pureAck && !windowChanged && seqGt(this.sndMax, this.sndUna)) {
      this.duplicateAck(now);
    }
    // Window update (RFC 9293 3.10.7.4, SND.WL1/WL2 rule).
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
    // FIN acknowledged?
    if (this.finAcked) {
      switch (this.state) {
        case TcpState.FIN_WAIT1:
          this.state = TcpState.FIN_WAIT2;
          if (this.orphaned) this.armCloseTimer(this.config.finTimeoutMs);
          this.signal();
          break;
        case TcpState.CLOSING:
          this.enterTimeWait();
          break;
        case TcpState.LAST_ACK:
          this.destroy(0);
          return false;
        default:
          break;
      }
    }
    return true;
  }

  private newAck(seg: TcpRepr, now: number): void {
    const ack = seg.ack;
    let acked = seqDiff(ack, this.sndUna);
    const flightBefore = seqDiff(this.sndMax, this.sndUna);
    if (seqLe(this.sndUna, this.iss)) acked -= 1; // our SYN
    // RTT sample: timestamps (RFC 7323 4.1) or one timed segment (Karn's rule).
    if (this.tsOk && seg.timestamp && seg.timestamp.echo !== 0) {
      // An echo older than our last retransmission may answer either copy; skip it (Karn's rule for timestamps).
      if (!seqLt(seg.timestamp.echo, this.retransmitTs)) this.rtt.sample(seqDiff(this.tsNow(), seg.timestamp.echo));
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
    if (this.inRecovery) {
      if (seqGe(ack, this.recover)) {
        this.inRecovery = false;
        this.cc.cwnd = Math.max(this.cc.ssthresh, this.mss);
      } else if (!this.sackOk) {
        this.highRxt = ack; // NewReno partial ACK: the next segment is presumed lost too (RFC 6582 3.2)
      }
    } else if (flightBefore * 2 >= this.cc.cwnd) {
      // Grow only while the window is actually used (RFC 7661's idea; Linux's tcp_is_cwnd_limited).
      this.cc.onAck(acked, this.mss, now, this.rtt.srtt);
    }
    this.dupAcks = 0;
    this.retransmits = 0;
    this.rtt.backoff = 0;
    this.persisting = false;
    this.rtoAt = this.sndUna === this.sndMax ? -1 : now + this.rtt.current;
    this.armTimer();
    if (dataAcked > 0) this.signal();
  }

  private duplicateAck(now: number): void {
    this.dupAcks++;
    if (this.inRecovery) return; // output() sends what pipe allows
    const sackTrigger = this.sackOk && this.sackedBytes >= 3 * this.mss;
    // RFC 6582 4.1: no new recovery until everything sent before the last one (or a timeout) is acknowledged.
    if ((this.dupAcks >= 3 || sackTrigger) && seqGe(this.sndUna, this.recover)) {
      // Fast retransmit; enter recovery (RFC 5681 3.2, RFC 6582).
      const flight = seqDiff(this.sndMax, this.sndUna);
      this.cc.onCongestion(flight, this.mss, now);
      this.cc.cwnd = this.cc.ssthresh;
      this.inRecovery = true;
      this.recover = this.sndMax;
      this.highRxt = this.sndUna;
    }
  }

  private receiveFin(): void {
    this.finReceived = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackNow = true;
    switch (this.state) {
      case TcpState.SYN_RECV:
      case TcpState.ESTABLISHED:
        this.state = TcpState.CLOSE_WAIT;
        break;
      case TcpState.FIN_WAIT1:
        if (this.finAcked) this.enterTimeWait();
        else this.state = TcpState.CLOSING;
        break;
      case TcpState.FIN_WAIT2:
        this.enterTimeWait();
        break;
      default:
        break;
    }
    this.signal();
  }

  /** ICMP error for this connection (RFC 1122 4.2.3.9, Linux tcp_v4_err). */
  handleError(errno: number, fatal: boolean): void {
    if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECV) {
      if (fatal) {
        if (this.parent) this.destroy(0);
        else this.destroy(errno);
        return;
      }
    }
    // Soft errors are only remembered (reported if the connection times out).
    this.softError = errno;
  }

  // =========================================================================
  // Output
  // =========================================================================

  /** Sends whatever the windows, Nagle and the state allow, plus a pending ACK. */
  output(): void {
    let sent = false;
    const canSendData =
      this.state === TcpState.ESTABLISHED ||
      this.state === TcpState.CLOSE_WAIT ||
      this.state === TcpState.FIN_WAIT1 ||
      this.state === TcpState.CLOSING ||
      this.state === TcpState.LAST_ACK;
    if (canSendData) {
      if (this.inRecovery) sent = this.retransmitHoles();
      sent = this.sendNewData() || sent;
    }
    if (this.ackNow && !sent) this.sendAck();
    this.armTimer();
  }

  private finSeq(): number {
    return seqAdd(this.sndUna, this.sendBuf.length);
  }

  /** Bytes believed in flight during recovery (RFC 6675 "pipe", simplified). */
  private pipe(): number {
    if (this.sackOk && this.sacked.length > 0) {
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
    return Math.max(0, flight - this.dupAcks * this.mss) + Math.max(0, seqDiff(this.highRxt, this.sndUna));
  }

  /** The next hole to retransmit in recovery: [start, end) or null. */
  private nextHole(): { start: number; end: number } | null {
    const start0 = seqMax(this.sndUna, this.highRxt);
    if (this.sackOk && this.sacked.length > 0) {
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
      if (this.cc.cwnd - this.pipe() < Math.min(this.mss, seqDiff(hole.end, hole.start))) break;
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
    const dataLen = Math.max(0, Math.min(max, this.mss, seqDiff(dataEnd, seq)));
    const fin = this.finQueued && seqAdd(seq, dataLen) === dataEnd && max > dataLen;
    if (dataLen === 0 && !fin) return 0;
    const flags = TcpFlag.ACK | (fin ? TcpFlag.FIN : 0) | (seqAdd(seq, dataLen) === dataEnd && dataLen > 0 ? TcpFlag.PSH : 0);
    this.transmit(seq, flags, dataLen, false);
    return dataLen + (fin ? 1 : 0);
  }

  private sendNewData(): boolean {
    let sent = false;
    const dataEnd = this.finSeq();
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
      const len = Math.min(this.mss, Math.max(0, avail), wndRoom, cwndRoom);
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
      if (len < this.mss && len < avail && wndRoom < cwndRoom && len < this.maxSndWnd / 2 && !this.swsOverride) {
        // Sender SWS avoidance (RFC 9293 3.8.6.2.1): wait for a useful window;
        // the persist timer doubles as the override timeout.
        if (flight === 0) this.startPersist();
        break;
      }
      if (len < this.mss && len === avail && !this.finQueued && (this.cork || (!this.nodelay && flight > 0))) break; // TCP_CORK, Nagle (RFC 896)
      const fin = this.finQueued && seqAdd(this.sndNxt, len) === dataEnd;
      const flags = TcpFlag.ACK | (fin ? TcpFlag.FIN : 0) | (len === avail ? TcpFlag.PSH : 0);
      this.transmit(this.sndNxt, flags, len, true);
      sent = true;
    }
    return sent;
  }

  /**
   * Builds and sends a segment carrying `len` bytes from `seq` (plus the
   * flags given); `advance` moves SND.NXT past it.
   */
  private transmit(seq: number, flags: number, len: number, advance: boolean): void {
    const now = this.stack.clock.now();
    const isRetransmit = seqLt(seq, this.sndMax);
    if (isRetransmit) this.retransmitTs = this.tsNow();
    const seqLenUsed = len + (flags & TcpFlag.FIN ? 1 : 0);
    this.sendSegment(seq, flags, len);
    if (len > 0) this.lastDataSentAt = now;
    if (this.sndUna === this.sndMax && seqLenUsed > 0) this.unackedSince = now;
    if (advance) {
      this.sndNxt = seqAdd(seq, seqLenUsed);
      if (seqGt(this.sndNxt, this.sndMax)) {
        if (!this.tsOk && this.rttStart < 0 && !isRetransmit) {
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

  /** Emits one segment with current ACK/window/options. */
  private sendSegment(seq: number, flags: number, dataLen: number, extra?: Partial<TcpRepr>): void {
    const route = this.route;
    if (!route) return;
    const repr: TcpRepr = {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq,
      ack: flags & TcpFlag.ACK ? this.rcvNxt : 0,
      flags,
      window: 0,
      urgent: 0,
      payload: new Uint8Array(0),
      ...extra,
    };
    if (!(flags & TcpFlag.SYN)) repr.window = this.advertiseWindow();
    else repr.window = Math.min(65535, this.rcvBufSize);
    if (this.tsOk && !(flags & TcpFlag.RST)) repr.timestamp = { value: this.tsNow(), echo: this.tsRecent };
    if (this.sackOk && (flags & TcpFlag.ACK) && !(flags & TcpFlag.SYN)) {
      const blocks = this.recvBuf.sackBlocks(this.tsOk ? 3 : 4);
      if (blocks.length > 0) repr.sackBlocks = blocks;
    }
    const hl = tcpHeaderLength(repr);
    const pkt = allocPacket(hl + dataLen);
    if (dataLen > 0) {
      this.sendBuf.copyOut(seqDiff(seq, this.sndUna), dataLen, pkt.buf, pkt.off + hl);
      repr.payload = pkt.buf.subarray(pkt.off + hl);
    }
    emitTcp(repr, pkt.buf, pkt.off, route.src, route.dst, !route.nic.link.capabilities.checksumOffload);
    if (flags & TcpFlag.ACK) {
      this.lastAckSent = this.rcvNxt;
      this.ackNow = false;
      this.segsSinceAck = 0;
      this.delackAt = -1;
    }
    this.stack.sendIp(route, IPPROTO.TCP, pkt);
  }

  private sendAck(): void {
    if (this.state === TcpState.CLOSE || this.state === TcpState.LISTEN || this.state === TcpState.SYN_SENT) return;
    this.sendSegment(this.sndNxt, TcpFlag.ACK, 0);
  }

  private sendRst(seq: number): void {
    this.sendSegment(seq, TcpFlag.RST | TcpFlag.ACK, 0);
  }

  /** SYN (active) or SYN-ACK (passive/simultaneous) with our options. */
  private sendSyn(withAck: boolean): void {
    const synAck = withAck;
    const extra: Partial<TcpRepr> = { mss: this.advMss };
    // On a SYN-ACK, only echo options the peer offered (RFC 7323 / 2018).
    if (this.config.windowScaling && (!synAck || this.wsOk)) extra.windowScale = this.rcvWscale;
    if (this.config.sack && (!synAck || this.sackOk)) extra.sackPermitted = true;
    const tsWanted = this.config.timestamps && (!synAck || this.tsOk);
    const wasTs = this.tsOk;
    this.tsOk = tsWanted; // sendSegment adds the timestamp option when tsOk
    const now = this.stack.clock.now();
    if (this.rttStart < 0) this.rttStart = now;
    this.sendSegment(this.iss, TcpFlag.SYN | (synAck ? TcpFlag.ACK : 0), 0, extra);
    if (!synAck) this.tsOk = wasTs;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    if (this.rtoAt < 0) this.rtoAt = now + this.rtt.current;
    this.armTimer();
  }

  /**
   * Window field to advertise. The right edge never moves left (RFC 9293
   * 3.8.6.2.2) and RCV.ADV is kept exactly at what the scaled field says, so
   * the peer can never be promised more than the acceptability test admits.
   */
  private advertiseWindow(): number {
    const scale = 2 ** this.rcvWscale;
    const promised = Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt));
    const field = Math.min(0xffff, Math.max(Math.floor(this.receiveWindowFree() / scale), Math.ceil(promised / scale)));
    this.rcvAdv = seqAdd(this.rcvNxt, field * scale);
    return field;
  }

  private receiveWindowFree(): number {
    const free = this.rcvBufSize - this.recvBuf.readyBytes - this.recvBuf.oooBytes;
    // Receiver SWS avoidance (RFC 9293 3.8.6.2.2): don't open tiny windows.
    if (free < Math.min(this.rcvBufSize / 2, this.advMss)) return 0;
    return Math.floor(free / 2 ** this.rcvWscale) * 2 ** this.rcvWscale;
  }

  /** After the application reads: announce a window that grew substantially. */
  private maybeSendWindowUpdate(before: number): void {
    if (!isSynchronized(this.state)) return;
    const advertised = Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt));
    const now = this.receiveWindowFree();
    if (now > before && (now - advertised >= 2 * this.advMss || now - advertised >= this.rcvBufSize / 2 || (advertised === 0 && now > 0))) {
      this.ackNow = true;
      this.output();
    }
  }

  /** Decide between an immediate and a delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2). */
  private scheduleAck(): void {
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
      this.delackAt = this.stack.clock.now() + this.config.delayedAckMs;
      this.armTimer();
    }
  }

  // =========================================================================
  // Timers
  // =========================================================================

  private armTimer(): void {
    let at = Infinity;
    for (const t of [this.rtoAt, this.delackAt, this.keepaliveAt, this.closeAt]) if (t >= 0 && t < at) at = t;
    if (at === Infinity) {
      this.timer?.cancel();
      this.timer = null;
      this.timerAt = Infinity;
      return;
    }
    // A timer already due no later than `at` will re-arm itself when it fires.
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.stack.setTimer(Math.max(0, at - this.stack.clock.now()), () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.stack.clock.now();
    if (this.closeAt >= 0 && now >= this.closeAt) {
      this.closeAt = -1;
      if (this.state === TcpState.TIME_WAIT || this.state === TcpState.FIN_WAIT2) this.destroy(0);
      else if (this.orphaned) this.abort();
      if (this.state === TcpState.CLOSE) return;
    }
    if (this.rtoAt >= 0 && now >= this.rtoAt) {
      this.rtoAt = -1;
      if (this.persisting) this.onPersist();
      else this.onRetransmitTimeout(now);
      if (this.state === TcpState.CLOSE) return;
    }
    if (this.delackAt >= 0 && now >= this.delackAt) {
      this.delackAt = -1;
      this.ackNow = true;
      this.output();
    }
    if (this.keepaliveAt >= 0 && now >= this.keepaliveAt) this.onKeepalive(now);
    if (this.state !== TcpState.CLOSE) this.armTimer();
  }

  private onRetransmitTimeout(now: number): void {
    if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECV) {
      const limit = this.state === TcpState.SYN_SENT ? this.config.synRetries : this.config.synAckRetries;
      if (this.retransmits >= limit) {
        this.destroy(this.parent ? 0 : this.softError || Errno.ETIMEDOUT);
        return;
      }
      this.retransmits++;
      this.totalRetrans++;
      this.rtt.backoff++;
      this.rttStart = -1;
      this.rtoAt = -1;
      this.sendSyn(this.state === TcpState.SYN_RECV);
      this.rttStart = -1;
      return;
    }
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
    const timedOut = this.userTimeoutMs > 0 ? now - this.unackedSince >= this.userTimeoutMs : this.retransmits >= this.config.retries2;
    if (timedOut) {
      this.destroy(this.softError || Errno.ETIMEDOUT);
      return;
    }
    this.retransmits++;
    this.totalRetrans++;
    this.rtt.backoff++;
    this.rttStart = -1;
    // RFC 5681 3.1 / RFC 6298 5.4-5.6: collapse the window and go back to SND.UNA.
    this.cc.onTimeout(seqDiff(this.sndMax, this.sndUna), this.mss, now);
    this.inRecovery = false;
    this.recover = this.sndMax;
    this.dupAcks = 0;
    this.sndNxt = this.sndUna;
    this.rtoAt = now + this.rtt.current;
    const used = this.sendRange(this.sndUna, this.mss + 1);
    this.sndNxt = seqAdd(this.sndUna, used);
    this.output();
  }

  private startPersist(): void {
    if (this.rtoAt >= 0) return;
    this.persisting = true;
    this.rtoAt = this.stack.clock.now() + this.rtt.current;
  }

  /** Zero-window probe: an out-of-window ACK that makes the peer repeat its window. */
  private onPersist(): void {
    this.persisting = false;
    if (seqLe(this.finSeq(), this.sndNxt)) return;
    if (this.sndWnd > 0) {
      // SWS override timeout: send what the small window allows.
      this.swsOverride = true;
      this.output();
      this.swsOverride = false;
      return;
    }
    this.probes++;
    this.rtt.backoff = Math.min(this.rtt.backoff + 1, 15);
    this.sendSegment(seqAdd(this.sndUna, -1), TcpFlag.ACK, 0);
    this.persisting = true;
    this.rtoAt = this.stack.clock.now() + this.rtt.current;
  }

  private onKeepalive(now: number): void {
    if (!this.keepalive || !isSynchronized(this.state)) {
      this.keepaliveAt = -1;
      return;
    }
    if (this.probes >= this.keepCnt) {
      this.destroy(Errno.ETIMEDOUT);
      return;
    }
    this.probes++;
    this.sendSegment(seqAdd(this.sndUna, -1), TcpFlag.ACK, 0);
    this.keepaliveAt = now + this.keepIntvlS * 1000;
  }

  /** Enables/disables SO_KEEPALIVE, (re)arming the idle timer. */
  setKeepalive(on: boolean): void {
    this.keepalive = on;
    this.keepaliveAt = on && isSynchronized(this.state) ? this.stack.clock.now() + this.keepIdleS * 1000 : -1;
    this.probes = 0;
    this.armTimer();
  }

  private enterTimeWait(): void {
    this.state = TcpState.TIME_WAIT;
    this.rtoAt = -1;
    this.keepaliveAt = -1;
    this.armCloseTimer(this.config.timeWaitMs);
    this.signal();
  }

  private armCloseTimer(ms: number): void {
    this.closeAt = this.stack.clock.now() + ms;
    this.armTimer();
  }

  // =========================================================================
  // Helpers
  // =========================================================================

  /** Tears the connection down; `err` (if nonzero) becomes the socket error. */
  destroy(err: number): void {
    if (err) this.error = err;
    const wasListening = this.state === TcpState.LISTEN;
    this.state = TcpState.CLOSE;
    this.timer?.cancel();
    this.timer = null;
    this.rtoAt = this.delackAt = this.keepaliveAt = this.closeAt = -1;
    this.protocol.unregister(this, wasListening);
    if (this.parent) {
      this.parent.synQueue.delete(this);
      const i = this.parent.acceptQueue.indexOf(this);
      if (i >= 0) this.parent.acceptQueue.splice(i, 1);
    }
    this.finReceived = true;
    this.signal();
  }

  private initSend(): void {
    this.iss = this.protocol.initialSequence(this.localAddr, this.localPort, this.remoteAddr, this.remotePort);
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.recover = this.iss;
    this.highRxt = this.iss;
    this.tsOffset = Math.floor(this.stack.random() * 0x100000000);
    let ws = 0;
    while (ws < MAX_WSCALE && Math.max(this.rcvBufSize, this.config.maxRcvBuf) >> ws > 0xffff) ws++;
    this.rcvWscale = this.config.windowScaling ? ws : 0;
  }

  private computeAdvMss(): number {
    const route = this.route!;
    const overhead = route.dst.version === 4 ? IPV4_TCP_OVERHEAD : IPV6_TCP_OVERHEAD;
    // An IPv4 packet cannot exceed 65535 bytes whatever the link MTU (Linux's lo has 65536).
    const fromMtu = (route.dst.version === 4 ? Math.min(route.mtu, 0xffff) : route.mtu) - overhead;
    return this.userMss > 0 ? Math.min(this.userMss, fromMtu) : fromMtu;
  }

  /** Applies the options of the peer's SYN. */
  private negotiate(seg: TcpRepr): void {
    const v6 = this.remoteAddr.version === 6;
    this.peerMss = seg.mss ?? (v6 ? 1220 : 536);
    this.wsOk = this.config.windowScaling && seg.windowScale !== undefined;
    this.sndWscale = this.wsOk ? Math.min(seg.windowScale!, MAX_WSCALE) : 0;
    if (!this.wsOk) this.rcvWscale = 0;
    this.sackOk = this.config.sack && seg.sackPermitted === true;
    this.tsOk = this.config.timestamps && seg.timestamp !== undefined;
    if (this.tsOk) this.tsRecent = seg.timestamp!.value;
    this.mss = Math.max(64, Math.min(this.peerMss, this.advMss) - (this.tsOk ? TIMESTAMP_OPTION_LEN : 0));
    this.rcvAdv = seqAdd(this.rcvNxt, Math.min(65535, this.rcvBufSize));
    this.sndWnd = seg.window; // SYN windows are never scaled
    this.maxSndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
  }

  private inheritFrom(l: TcpEndpoint): void {
    this.nodelay = l.nodelay;
    this.keepalive = l.keepalive;
    this.keepIdleS = l.keepIdleS;
    this.keepIntvlS = l.keepIntvlS;
    this.keepCnt = l.keepCnt;
    this.linger = { ...l.linger };
    this.rcvBufSize = l.rcvBufSize;
    this.rcvBufLocked = l.rcvBufLocked;
    this.sndBufSize = l.sndBufSize;
    this.userMss = l.userMss;
    this.congestionName = l.congestionName;
  }

  private tsNow(): number {
    return (Math.floor(this.stack.clock.now()) + this.tsOffset) >>> 0;
  }

  private updateScoreboard(blocks: SackBlock[]): void {
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

  /** Queues a readiness notification for the socket. */
  signal(): void {
    if (this.onEvent) this.stack.notify(this);
  }

  /** @internal Notifiable. */
  flushEvents(): void {
    this.onEvent?.();
  }
}
