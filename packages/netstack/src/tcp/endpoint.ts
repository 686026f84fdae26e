// One TCP connection (or listener): the RFC 9293 state machine, with its
// halves in files of their own as gVisor's tcp package has them —
// handshake.ts (connect.go/accept.go: SYNs, option negotiation),
// sender.ts (snd.go: send window, retransmission, loss recovery, RFC 6298
// timing, Nagle, zero-window probing) and receiver.ts (rcv.go: receive
// window, acceptability, reassembly, delayed ACKs). The endpoint keeps the
// connection-wide state (addresses, socket options, negotiated options,
// timers) and runs segment arrival step by step. The socket layer drives it
// through the public methods and learns about changes through `onEvent`.

import { Errno, IPPROTO } from '../abi.js';
import type { IpAddress } from '../wire/address.js';
import { emitTcp, TCP_MAX_HEADER_LEN, TCP_MIN_HEADER_LEN, TcpFlag, tcpHeaderLength, type TcpRepr } from '../wire/tcp.js';
import type { Stack } from '../stack/stack.js';
import type { Route, PacketInfo, ReceiveFilter } from '../stack/types.js';
import type { PortBinding } from '../stack/ports.js';
import { allocPacket, setGsoSize } from '../stack/packet.js';
import { foldSum, pseudoHeaderSum } from '../wire/checksum.js';
import { set16 } from '../wire/bytes.js';
import type { Timer } from '../time/clock.js';
import type { TcpConfig } from './config.js';
import type { CongestionControl } from './congestion.js';
import { establishPassive, handleListen, handleSynSent, onSynTimeout, sendSyn, startConnect, TIMESTAMP_OPTION_LEN } from './handshake.js';
import { TcpCaState, TCPI_OPT, type TcpInfo } from './info.js';
import type { ReceiveBuffer } from './recv-buffer.js';
import { TcpReceiver } from './receiver.js';
import type { SendBuffer } from './send-buffer.js';
import { TcpSender } from './sender.js';
import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq.js';
import { isSynchronized, TcpState } from './state.js';
import type { TcpProtocol } from './protocol.js';

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

  /** The sending half: send sequence space, retransmission, loss recovery. */
  readonly snd: TcpSender;
  /** The receiving half: receive window, reassembly, ACK timing. */
  readonly rcv: TcpReceiver;

  // ---- socket options -------------------------------------------------------
  nodelay = false;
  /** SO_ATTACH_FILTER: every arriving segment passes it first (an accepted connection inherits its listener's). */
  receiveFilter: ReceiveFilter | null = null;
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
  /** TCP_MAXSEG set by the user (0: derive from the route MTU). */
  userMss = 0;
  /** TCP_SYNCNT: SYN retransmissions before connect gives up. */
  synRetries: number;
  /** TCP_LINGER2 in seconds: 0 uses tcp_fin_timeout, -1 resets an orphan in FIN_WAIT2 at once. */
  linger2S = 0;
  /** TCP_WINDOW_CLAMP: the most window advertised (0: no clamp). */
  windowClamp = 0;
  congestionName: 'cubic' | 'reno';
  /** The application shut the receive side (reads return EOF). */
  rcvShutdown = false;

  // ---- negotiated options (set by the handshake) --------------------------------
  /** Payload bytes per full segment we send (options already deducted). */
  mss = 536;
  /** The MSS we advertised on our SYN. */
  advMss = 536;
  peerMss = 536;
  tsOk = false;
  /** TS.Recent (RFC 7323 4.3): the timestamp we echo. */
  tsRecent = 0;
  /** Random offset of our timestamp clock. */
  tsOffset = 0;
  sackOk = false;
  wsOk = false;

  // ---- timers (one clock timer at the earliest deadline) ------------------------
  keepaliveAt = -1;
  /** When the connection entered TIME_WAIT (clock ms): a connect may take its 4-tuple a second later. */
  timeWaitSince = 0;
  /** TIME_WAIT expiry, orphaned FIN_WAIT2 expiry, or SO_LINGER deadline. */
  private closeAt = -1;
  private timer: Timer | null = null;
  private timerAt = Infinity;

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
    this.synRetries = config.synRetries;
    this.rcvBufSize = config.rcvBuf;
    this.sndBufSize = config.sndBuf;
    this.congestionName = config.congestionControl;
    this.snd = new TcpSender(this);
    this.rcv = new TcpReceiver(this);
  }

  /** Queued outgoing data (unacknowledged, then unsent). */
  get sendBuf(): SendBuffer {
    return this.snd.sendBuf;
  }

  /** Received data: in order for the application, and held out of order. */
  get recvBuf(): ReceiveBuffer {
    return this.rcv.recvBuf;
  }

  /** The congestion controller (set once established). */
  get cc(): CongestionControl {
    return this.snd.cc;
  }

  /** The application is done sending; a FIN follows the data. */
  get finQueued(): boolean {
    return this.snd.finQueued;
  }

  /** FIN received in order (or the connection is gone): no more data will arrive. */
  get finReceived(): boolean {
    return this.rcv.finReceived;
  }

  set finReceived(v: boolean) {
    this.rcv.finReceived = v;
  }

  // =========================================================================
  // Application-facing operations
  // =========================================================================

  /** Starts an active open to remote:port (bind must have happened). */
  connect(remote: IpAddress, port: number, route: Route): void {
    startConnect(this, remote, port, route);
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
    return Math.max(0, this.sndBufSize - this.snd.sendBuf.length);
  }

  /** Queues data; returns bytes accepted (0 if the buffer is full). Caller checks state. */
  write(data: Uint8Array): number {
    const n = this.snd.sendBuf.append(data, this.sendSpace());
    if (n > 0) this.output();
    return n;
  }

  /** Reads up to `max` bytes of in-order data. */
  read(max: number, peek: boolean): Uint8Array {
    return this.rcv.read(max, peek);
  }

  /** shutdown(SHUT_WR): send FIN after queued data. */
  shutdownSend(): void {
    if (this.snd.finQueued) return;
    switch (this.state) {
      case TcpState.ESTABLISHED:
        this.snd.finQueued = true;
        this.state = TcpState.FIN_WAIT1;
        break;
      case TcpState.CLOSE_WAIT:
        this.snd.finQueued = true;
        this.state = TcpState.LAST_ACK;
        break;
      case TcpState.SYN_RECV:
        this.snd.finQueued = true;
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
    if (this.rcv.recvBuf.readyBytes > 0 || (this.linger.onoff && this.linger.linger === 0)) {
      this.abort();
      return;
    }
    this.shutdownSend();
    if (this.state === TcpState.FIN_WAIT2) {
      if (this.linger2S < 0) this.abort();
      else this.armCloseTimer(this.finWait2TimeoutMs());
    }
  }

  /** The (unscaled) window a SYN or SYN-ACK offers: the buffer, within TCP_WINDOW_CLAMP. */
  synWindow(): number {
    return Math.min(65535, this.rcvBufSize, this.windowClamp || Infinity);
  }

  /** How long an orphaned connection waits in FIN_WAIT2 for the peer's FIN (TCP_LINGER2, else tcp_fin_timeout). */
  finWait2TimeoutMs(): number {
    return this.linger2S > 0 ? this.linger2S * 1000 : this.config.finTimeoutMs;
  }

  /** Resets the connection (RST to the peer if synchronized) and tears down. */
  abort(): void {
    if (isSynchronized(this.state) || this.state === TcpState.SYN_RECV) this.sendRst(this.snd.sndNxt);
    this.destroy(0);
  }

  /** Readable bytes. */
  get readable(): number {
    return this.rcv.recvBuf.readyBytes;
  }

  /** Linux sk_stream_is_writeable: free space at least half of what is queued. */
  get writable(): boolean {
    const queued = this.snd.sendBuf.length;
    return this.sndBufSize - queued >= queued / 2 && this.sndBufSize - queued > 0;
  }

  /** Whether all queued data (and FIN) is acknowledged — SO_LINGER's wait condition. */
  get sendDrained(): boolean {
    return this.snd.sendBuf.length === 0 && (!this.snd.finQueued || this.snd.finAcked);
  }

  /** TCP_INFO snapshot. */
  info(): TcpInfo {
    const now = this.stack.clock.now();
    const since = (t: number) => (t > 0 ? now - t : 0);
    const mss = Math.max(1, this.mss);
    const snd = this.snd;
    const rcv = this.rcv;
    return {
      state: this.state,
      caState: snd.inRecovery ? TcpCaState.RECOVERY : snd.retransmits > 0 ? TcpCaState.LOSS : snd.dupAcks > 0 ? TcpCaState.DISORDER : TcpCaState.OPEN,
      retransmits: snd.retransmits,
      probes: snd.probes,
      backoff: snd.rtt.backoff,
      options: (this.tsOk ? TCPI_OPT.TIMESTAMPS : 0) | (this.sackOk ? TCPI_OPT.SACK : 0) | (this.wsOk ? TCPI_OPT.WSCALE : 0),
      sndWscale: snd.sndWscale,
      rcvWscale: rcv.rcvWscale,
      rto: snd.rtt.current * 1000,
      ato: this.config.delayedAckMs * 1000,
      sndMss: this.mss,
      rcvMss: rcv.rcvMss,
      unacked: Math.ceil(Math.max(0, seqDiff(snd.sndMax, snd.sndUna)) / mss),
      sacked: Math.ceil(snd.sackedBytes / mss),
      lost: 0,
      retrans: snd.inRecovery ? Math.ceil(Math.max(0, seqDiff(snd.highRxt, snd.sndUna)) / mss) : 0,
      lastDataSent: since(snd.lastDataSentAt),
      lastAckSent: 0,
      lastDataRecv: since(rcv.lastDataRecvAt),
      lastAckRecv: since(snd.lastAckRecvAt),
      pmtu: this.route?.mtu ?? 0,
      rcvSsthresh: this.rcvBufSize,
      rtt: Math.max(0, snd.rtt.srtt) * 1000,
      rttvar: snd.rtt.rttvar * 1000,
      sndSsthresh: !snd.cc || snd.cc.ssthresh >= 0x7fffffff ? 0x7fffffff : Math.floor(snd.cc.ssthresh / mss),
      sndCwnd: snd.cc ? Math.floor(snd.cc.cwnd / mss) : 0,
      advmss: this.advMss,
      reordering: 3,
      rcvRtt: 0,
      rcvSpace: this.rcvBufSize,
      totalRetrans: snd.totalRetrans,
    };
  }

  // =========================================================================
  // Segment arrival
  // =========================================================================

  /** Handles a SYN arriving at this listener: creates a child in SYN_RECV. */
  handleListen(seg: TcpRepr, info: PacketInfo): void {
    handleListen(this, seg, info, () => new TcpEndpoint(this.stack, this.protocol, this.config));
  }

  /**
   * Processes a segment for this (non-listening) connection, in RFC 9293
   * 3.10.7's order: SYN_SENT apart; then PAWS, TIME_WAIT reuse, the
   * window check, RST, SYN, trimming, ACK, data, FIN. Each step either
   * passes the segment on or ends its processing.
   */
  handleSegment(seg: TcpRepr, info: PacketInfo): void {
    const now = this.stack.clock.now();
    if (this.state === TcpState.CLOSE) return;
    if (this.state === TcpState.SYN_SENT) {
      handleSynSent(this, seg, info);
      return;
    }
    if (this.keepalive && this.keepaliveAt >= 0) {
      this.snd.probes = 0;
      this.keepaliveAt = now + this.keepIdleS * 1000;
    }
    const flags = seg.flags;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const segLen = seg.payload.length + ((flags & TcpFlag.SYN) !== 0 ? 1 : 0) + (fin ? 1 : 0);
    if (this.failsPaws(seg)) return;
    if (this.reopensTimeWait(seg, info)) return;
    if (!this.rcv.acceptable(seg.seq, segLen, flags)) {
      if (!(flags & TcpFlag.RST)) {
        this.rcv.ackNow = true;
        this.sendAck();
      }
      return;
    }
    if (flags & TcpFlag.RST) {
      this.handleRst(seg.seq);
      return;
    }
    if (flags & TcpFlag.SYN) {
      this.handleSynInWindow(seg);
      return;
    }
    const { seq, payload, fin: finInWindow } = this.rcv.trim(seg.seq, seg.payload, fin, segLen);
    if (!(flags & TcpFlag.ACK)) return;
    if (!this.handleAck(seg, seq, payload.length === 0 && !finInWindow, info, now)) return;
    if (this.state === TcpState.CLOSE) return;
    this.rcv.receiveData(seq, payload, now);
    if (this.rcv.finDue(finInWindow, seqAdd(seq, payload.length))) this.receiveFin();
    this.rcv.scheduleAck();
    this.output();
  }

  /** PAWS (RFC 7323 5.3): a segment with an old timestamp is a duplicate; it only gets an ACK. */
  private failsPaws(seg: TcpRepr): boolean {
    if (this.tsOk && seg.timestamp && !(seg.flags & TcpFlag.RST) && seqLt(seg.timestamp.value, this.tsRecent) && this.tsRecent !== 0) {
      this.sendAck();
      return true;
    }
    return false;
  }

  /** TIME_WAIT: a new SYN beyond the old connection may reopen it (RFC 6191-style, as Linux does). */
  private reopensTimeWait(seg: TcpRepr, info: PacketInfo): boolean {
    const flags = seg.flags;
    if (this.state !== TcpState.TIME_WAIT || !(flags & TcpFlag.SYN) || flags & TcpFlag.ACK || !seqGt(seg.seq, this.rcv.rcvNxt)) return false;
    const listener = this.protocol.findListener(info.dst, seg.dstPort, info.src, seg.srcPort);
    if (!listener) return false;
    this.destroy(0);
    listener.handleListen(seg, info);
    return true;
  }

  /** RST in the window (RFC 5961 3.2: exact match resets, in-window gets a challenge ACK). */
  private handleRst(seq: number): void {
    if (seq !== this.rcv.rcvNxt) {
      this.sendAck();
      return;
    }
    if (this.state === TcpState.SYN_RECV && this.parent) {
      // Passive open reset: silently forget the embryonic connection.
      this.destroy(0);
      return;
    }
    const err = this.state === TcpState.SYN_RECV ? Errno.ECONNREFUSED : this.state === TcpState.CLOSE_WAIT || isSynchronized(this.state) ? Errno.ECONNRESET : 0;
    this.destroy(this.state === TcpState.TIME_WAIT || this.state === TcpState.CLOSING || this.state === TcpState.LAST_ACK ? 0 : err);
  }

  /** SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2); a repeated SYN in SYN_RECV our SYN-ACK again. */
  private handleSynInWindow(seg: TcpRepr): void {
    if (this.state === TcpState.SYN_RECV && seg.seq === this.rcv.irs) {
      // Retransmitted SYN: our SYN-ACK was lost. Echo the new SYN's timestamp.
      if (this.tsOk && seg.timestamp) this.tsRecent = seg.timestamp.value;
      sendSyn(this, true);
      return;
    }
    this.sendAck();
  }

  /**
   * The ACK step (RFC 9293 3.10.7.4, fifth): TS.Recent, completing a passive
   * open, the sender's ACK processing, then what an acknowledged FIN moves
   * to. Returns false if the rest of the segment must be dropped.
   */
  private handleAck(seg: TcpRepr, seq: number, pureAck: boolean, info: PacketInfo, now: number): boolean {
    if (this.tsOk && seg.timestamp && seqLe(seq, this.rcv.lastAckSent)) this.tsRecent = seg.timestamp.value;
    if (this.state === TcpState.SYN_RECV) {
      if (seqLe(seg.ack, this.snd.sndUna) || seqGt(seg.ack, this.snd.sndMax)) {
        this.protocol.sendReset(info, seg);
        return false;
      }
      if (!establishPassive(this)) return false;
    }
    if (!this.snd.processAck(seg, pureAck, now)) return false;
    if (!this.snd.finAcked) return true;
    switch (this.state) {
      case TcpState.FIN_WAIT1:
        this.state = TcpState.FIN_WAIT2;
        if (this.orphaned) this.armCloseTimer(this.finWait2TimeoutMs());
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
    return true;
  }

  /** The FIN step (RFC 9293 3.10.7.4, eighth): the peer is done sending. */
  private receiveFin(): void {
    this.rcv.takeFin();
    switch (this.state) {
      case TcpState.SYN_RECV:
      case TcpState.ESTABLISHED:
        this.state = TcpState.CLOSE_WAIT;
        break;
      case TcpState.FIN_WAIT1:
        if (this.snd.finAcked) this.enterTimeWait();
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
    if (canSendData) sent = this.snd.sendData();
    if (this.rcv.ackNow && !sent) this.sendAck();
    this.armTimer();
  }

  /** Emits one segment with current ACK/window/options. */
  sendSegment(seq: number, flags: number, dataLen: number, extra?: Partial<TcpRepr>): void {
    const route = this.route;
    if (!route) return;
    const rcv = this.rcv;
    const repr: TcpRepr = {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq,
      ack: flags & TcpFlag.ACK ? rcv.rcvNxt : 0,
      flags,
      window: 0,
      urgent: 0,
      payload: new Uint8Array(0),
      ...extra,
    };
    if (!(flags & TcpFlag.SYN)) repr.window = rcv.advertiseWindow();
    else repr.window = this.synWindow();
    if (this.tsOk && !(flags & TcpFlag.RST)) repr.timestamp = { value: this.tsNow(), echo: this.tsRecent };
    if (this.sackOk && flags & TcpFlag.ACK && !(flags & TcpFlag.SYN)) {
      const blocks = rcv.recvBuf.sackBlocks(this.tsOk ? 3 : 4);
      if (blocks.length > 0) repr.sackBlocks = blocks;
    }
    const hl = tcpHeaderLength(repr);
    const pkt = allocPacket(hl + dataLen);
    if (dataLen > 0) {
      this.snd.sendBuf.copyOut(seqDiff(seq, this.snd.sndUna), dataLen, pkt.buf, pkt.off + hl);
      repr.payload = pkt.buf.subarray(pkt.off + hl);
    }
    // More than an MSS: sendBurst() allowed it, and the link segments it (GSO).
    const gso = dataLen > this.mss;
    emitTcp(repr, pkt.buf, pkt.off, route.src, route.dst, !gso && !route.nic.link.capabilities.checksumOffload);
    if (gso) {
      // The link completes each segment's checksum from the pseudo-header sum; options beyond
      // the usual ones (SACK blocks) come out of each segment's payload, so it still fits.
      set16(pkt.buf, pkt.off + 16, foldSum(pseudoHeaderSum(route.src.bytes, route.dst.bytes, IPPROTO.TCP, hl + dataLen)));
      setGsoSize(pkt, this.mss - (hl - TCP_MIN_HEADER_LEN - (this.tsOk ? TIMESTAMP_OPTION_LEN : 0)));
    }
    if (flags & TcpFlag.ACK) rcv.ackSent(dataLen);
    this.stack.sendIp(route, IPPROTO.TCP, pkt);
  }

  /**
   * The most new data one segment may carry: an MSS, or as many whole MSSes
   * as fit the link's GSO size when the link segments (gsoMaxSize; never on
   * a route delivered inside the stack, which would see the partial checksum).
   */
  sendBurst(): number {
    const route = this.route;
    const gsoMax = route && !route.local ? (route.nic.link.capabilities.gsoMaxSize ?? 0) : 0;
    const headers = 40 + TCP_MAX_HEADER_LEN; // IPv6's header, the larger
    if (gsoMax < headers + 2 * this.mss) return this.mss;
    return Math.floor((gsoMax - headers) / this.mss) * this.mss;
  }

  /** A bare ACK at SND.NXT (in the states that acknowledge anything). */
  sendAck(): void {
    if (this.state === TcpState.CLOSE || this.state === TcpState.LISTEN || this.state === TcpState.SYN_SENT) return;
    this.sendSegment(this.snd.sndNxt, TcpFlag.ACK, 0);
  }

  private sendRst(seq: number): void {
    this.sendSegment(seq, TcpFlag.RST | TcpFlag.ACK, 0);
  }

  /** Our timestamp clock (RFC 7323): milliseconds plus a per-connection random offset. */
  tsNow(): number {
    return (Math.floor(this.stack.clock.now()) + this.tsOffset) >>> 0;
  }

  // =========================================================================
  // Timers
  // =========================================================================

  /** Arms the one clock timer at the earliest of the retransmission, delayed-ACK, keepalive and close deadlines. */
  armTimer(): void {
    let at = Infinity;
    for (const t of [this.snd.rtoAt, this.rcv.delackAt, this.keepaliveAt, this.closeAt, this.snd.corkAt]) if (t >= 0 && t < at) at = t;
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
    const snd = this.snd;
    if (snd.rtoAt >= 0 && now >= snd.rtoAt) {
      snd.rtoAt = -1;
      if (snd.persisting) snd.onPersist();
      else if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECV) onSynTimeout(this);
      else snd.onRetransmitTimeout(now);
      if (this.state === TcpState.CLOSE) return;
    }
    if (this.rcv.delackAt >= 0 && now >= this.rcv.delackAt) {
      this.rcv.delackAt = -1;
      this.rcv.interactive = false; // Linux leaves pingpong mode when the delayed ACK has to go alone
      this.rcv.ackNow = true;
      this.output();
    }
    if (this.keepaliveAt >= 0 && now >= this.keepaliveAt) this.onKeepalive(now);
    if (this.snd.corkAt >= 0 && now >= this.snd.corkAt) this.snd.onCorkTimeout();
    if (this.state !== TcpState.CLOSE) this.armTimer();
  }

  private onKeepalive(now: number): void {
    if (!this.keepalive || !isSynchronized(this.state)) {
      this.keepaliveAt = -1;
      return;
    }
    if (this.snd.probes >= this.keepCnt) {
      this.destroy(Errno.ETIMEDOUT);
      return;
    }
    this.snd.probes++;
    this.sendSegment(seqAdd(this.snd.sndUna, -1), TcpFlag.ACK, 0);
    this.keepaliveAt = now + this.keepIntvlS * 1000;
  }

  /** Enables/disables SO_KEEPALIVE, (re)arming the idle timer. */
  setKeepalive(on: boolean): void {
    this.keepalive = on;
    this.keepaliveAt = on && isSynchronized(this.state) ? this.stack.clock.now() + this.keepIdleS * 1000 : -1;
    this.snd.probes = 0;
    this.armTimer();
  }

  private enterTimeWait(): void {
    this.state = TcpState.TIME_WAIT;
    this.timeWaitSince = this.stack.clock.now();
    this.snd.rtoAt = -1;
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
    this.snd.rtoAt = this.rcv.delackAt = this.keepaliveAt = this.closeAt = -1;
    this.protocol.unregister(this, wasListening);
    // An embryo dies with its handshake; an established connection stays in the accept queue, as on Linux:
    // accept() still returns it, and its error (ECONNRESET after a RST) is what the application learns.
    this.parent?.synQueue.delete(this);
    this.rcv.finReceived = true;
    this.signal();
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
