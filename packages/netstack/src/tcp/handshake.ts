// Connection establishment, as gVisor's tcp/connect.go and accept.go: the
// three-way handshake from both ends (RFC 9293 3.5), simultaneous open,
// SYN/SYN-ACK retransmission, and the options negotiated on the SYNs (MSS,
// RFC 7323 window scaling and timestamps, RFC 2018 SACK-permitted).

import { Errno } from '../abi.js';
import type { PacketInfo, Route } from '../stack/types.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import { RenoCongestion, type CongestionControl } from './congestion.js';
import { CubicCongestion } from './cubic.js';
import type { TcpEndpoint } from './endpoint.js';
import { seqAdd, seqGt, seqLe } from './seq.js';
import { TcpState } from './state.js';

const IPV4_TCP_OVERHEAD = 40;
const IPV6_TCP_OVERHEAD = 60;
export const TIMESTAMP_OPTION_LEN = 12;
export const MAX_WSCALE = 14;

/** Sets up the send side of a new connection: ISS, timestamp offset, our window scale. */
export function initSend(ep: TcpEndpoint): void {
  ep.snd.init(ep.protocol.initialSequence(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort));
  ep.tsOffset = Math.floor(ep.stack.random() * 0x100000000);
  let ws = 0;
  while (ws < MAX_WSCALE && Math.max(ep.rcvBufSize, ep.config.maxRcvBuf) >> ws > 0xffff) ws++;
  ep.rcv.rcvWscale = ep.config.windowScaling ? ws : 0;
}

/** The MSS we advertise: the route's MTU less the headers, or TCP_MAXSEG if smaller. */
export function computeAdvMss(ep: TcpEndpoint): number {
  const route = ep.route!;
  const overhead = route.dst.version === 4 ? IPV4_TCP_OVERHEAD : IPV6_TCP_OVERHEAD;
  // An IPv4 packet cannot exceed 65535 bytes whatever the link MTU (Linux's lo has 65536).
  const fromMtu = (route.dst.version === 4 ? Math.min(route.mtu, 0xffff) : route.mtu) - overhead;
  return ep.userMss > 0 ? Math.min(ep.userMss, fromMtu) : fromMtu;
}

/** Applies the options of the peer's SYN. */
function negotiate(ep: TcpEndpoint, seg: TcpRepr): void {
  const v6 = ep.remoteAddr.version === 6;
  const snd = ep.snd;
  const rcv = ep.rcv;
  ep.peerMss = seg.mss ?? (v6 ? 1220 : 536);
  ep.wsOk = ep.config.windowScaling && seg.windowScale !== undefined;
  snd.sndWscale = ep.wsOk ? Math.min(seg.windowScale!, MAX_WSCALE) : 0;
  if (!ep.wsOk) rcv.rcvWscale = 0;
  ep.sackOk = ep.config.sack && seg.sackPermitted === true;
  ep.tsOk = ep.config.timestamps && seg.timestamp !== undefined;
  if (ep.tsOk) ep.tsRecent = seg.timestamp!.value;
  ep.mss = Math.max(64, Math.min(ep.peerMss, ep.advMss) - (ep.tsOk ? TIMESTAMP_OPTION_LEN : 0));
  rcv.rcvAdv = seqAdd(rcv.rcvNxt, ep.synWindow());
  snd.sndWnd = seg.window; // SYN windows are never scaled
  snd.maxSndWnd = seg.window;
  snd.sndWl1 = seg.seq;
  snd.sndWl2 = seg.ack;
}

/** Active open: SYN_SENT, first SYN out. */
export function startConnect(ep: TcpEndpoint, remote: TcpEndpoint['remoteAddr'], port: number, route: Route): void {
  ep.remoteAddr = remote;
  ep.remotePort = port;
  ep.route = route;
  if (ep.localAddr.isUnspecified || ep.localAddr.version !== remote.version) ep.localAddr = route.src;
  initSend(ep);
  ep.advMss = computeAdvMss(ep);
  ep.state = TcpState.SYN_SENT;
  ep.protocol.register(ep);
  sendSyn(ep, false);
}

/**
 * Handles a SYN arriving at a listener: creates a child (`newChild`, an
 * endpoint on the listener's stack) in SYN_RECV and answers with a SYN-ACK.
 */
export function handleListen(listener: TcpEndpoint, seg: TcpRepr, info: PacketInfo, newChild: () => TcpEndpoint): void {
  if (seg.flags & TcpFlag.RST) return;
  if (seg.flags & TcpFlag.ACK) {
    listener.protocol.sendReset(info, seg);
    return;
  }
  if (!(seg.flags & TcpFlag.SYN)) return;
  // Linux drops SYNs while the accept queue is full (sk_acceptq_is_full) or the SYN queue overflows.
  if (listener.acceptQueue.length > listener.backlog || listener.synQueue.size >= Math.max(128, listener.backlog * 2)) return;
  let route: Route;
  try {
    route = listener.stack.findRoute(info.src, info.dst);
  } catch {
    return;
  }
  const child = newChild();
  inheritOptions(child, listener);
  child.localAddr = info.dst;
  child.localPort = listener.localPort;
  child.remoteAddr = info.src;
  child.remotePort = seg.srcPort;
  child.route = route;
  child.parent = listener;
  child.binding = listener.protocol.childBinding(listener, child);
  initSend(child);
  child.advMss = computeAdvMss(child);
  child.rcv.init(seg.seq);
  negotiate(child, seg);
  child.state = TcpState.SYN_RECV;
  listener.synQueue.add(child);
  listener.protocol.register(child);
  sendSyn(child, true);
}

/** A child inherits the listener's socket options (as Linux copies them on accept). */
function inheritOptions(child: TcpEndpoint, l: TcpEndpoint): void {
  child.nodelay = l.nodelay;
  child.receiveFilter = l.receiveFilter;
  child.keepalive = l.keepalive;
  child.keepIdleS = l.keepIdleS;
  child.keepIntvlS = l.keepIntvlS;
  child.keepCnt = l.keepCnt;
  child.linger = { ...l.linger };
  child.rcvBufSize = l.rcvBufSize;
  child.rcvBufLocked = l.rcvBufLocked;
  child.sndBufSize = l.sndBufSize;
  child.userMss = l.userMss;
  child.userTimeoutMs = l.userTimeoutMs;
  child.congestionName = l.congestionName;
}

/** A segment arriving in SYN_SENT: the SYN-ACK (established), a bare SYN (simultaneous open), or a refusal. */
export function handleSynSent(ep: TcpEndpoint, seg: TcpRepr, info: PacketInfo): void {
  const flags = seg.flags;
  const snd = ep.snd;
  if (flags & TcpFlag.ACK) {
    if (seqLe(seg.ack, snd.iss) || seqGt(seg.ack, snd.sndMax)) {
      if (!(flags & TcpFlag.RST)) ep.protocol.sendReset(info, seg);
      return;
    }
  }
  if (flags & TcpFlag.RST) {
    if (flags & TcpFlag.ACK) ep.destroy(Errno.ECONNREFUSED);
    return;
  }
  if (!(flags & TcpFlag.SYN)) return;
  ep.rcv.init(seg.seq);
  negotiate(ep, seg);
  if (flags & TcpFlag.ACK) {
    snd.sndUna = seg.ack;
    if (ep.tsOk && seg.timestamp && seg.timestamp.echo !== 0) snd.rtt.sample(ep.tsNow() - seg.timestamp.echo);
    else if (snd.retransmits === 0 && snd.rttStart >= 0) snd.rtt.sample(ep.stack.clock.now() - snd.rttStart);
    snd.rttStart = -1;
    snd.retransmits = 0;
    snd.sndWnd = seg.window; // a SYN's window is never scaled (RFC 7323 2.2)
    snd.sndWl1 = seg.seq;
    snd.sndWl2 = seg.ack;
    becomeEstablished(ep);
    snd.rtoAt = -1;
    ep.rcv.ackNow = true;
    ep.sendAck();
    ep.output();
  } else {
    // Simultaneous open (RFC 9293 3.5, figure 8).
    ep.state = TcpState.SYN_RECV;
    snd.sndWnd = seg.window;
    snd.sndWl1 = seg.seq;
    sendSyn(ep, true);
  }
  ep.armTimer();
}

/**
 * The ACK of our SYN-ACK arrived in SYN_RECV: the connection is
 * established and joins the listener's accept queue. Returns false if the
 * ACK must be dropped (the accept queue is full; the SYN-ACK timer retries).
 */
export function establishPassive(ep: TcpEndpoint): boolean {
  const parent = ep.parent;
  if (parent) {
    // Linux drops the final ACK while the accept queue is full; the SYN-ACK timer retries.
    if (parent.acceptQueue.length > parent.backlog) return false;
    parent.synQueue.delete(ep);
  }
  becomeEstablished(ep);
  if (ep.snd.finQueued) ep.state = TcpState.FIN_WAIT1;
  if (parent) {
    parent.acceptQueue.push(ep);
    parent.signal();
  }
  return true;
}

function becomeEstablished(ep: TcpEndpoint): void {
  ep.state = TcpState.ESTABLISHED;
  ep.wasEstablished = true;
  const initial = Math.max(1, ep.config.initialCwndSegments) * ep.mss;
  ep.snd.cc = ep.congestionName === 'reno' ? new RenoCongestion(initial) : new CubicCongestion(initial);
  if (ep.keepalive) ep.keepaliveAt = ep.stack.clock.now() + ep.keepIdleS * 1000;
  ep.signal();
}

/**
 * TCP_CONGESTION: the algorithm for this connection. An established one
 * switches at once, keeping its window and threshold (tcp_reinit_congestion_control).
 */
export function setCongestionControl(ep: TcpEndpoint, name: 'cubic' | 'reno'): void {
  ep.congestionName = name;
  const old = ep.snd.cc as CongestionControl | undefined;
  if (!old || old.name === name) return;
  const next = name === 'reno' ? new RenoCongestion(old.cwnd) : new CubicCongestion(old.cwnd);
  next.ssthresh = old.ssthresh;
  ep.snd.cc = next;
}

/** SYN (active) or SYN-ACK (passive/simultaneous) with our options. */
export function sendSyn(ep: TcpEndpoint, withAck: boolean): void {
  const synAck = withAck;
  const snd = ep.snd;
  const extra: Partial<TcpRepr> = { mss: ep.advMss };
  // On a SYN-ACK, only echo options the peer offered (RFC 7323 / 2018).
  if (ep.config.windowScaling && (!synAck || ep.wsOk)) extra.windowScale = ep.rcv.rcvWscale;
  if (ep.config.sack && (!synAck || ep.sackOk)) extra.sackPermitted = true;
  const tsWanted = ep.config.timestamps && (!synAck || ep.tsOk);
  const wasTs = ep.tsOk;
  ep.tsOk = tsWanted; // sendSegment adds the timestamp option when tsOk
  const now = ep.stack.clock.now();
  if (snd.rttStart < 0) snd.rttStart = now;
  ep.sendSegment(snd.iss, TcpFlag.SYN | (synAck ? TcpFlag.ACK : 0), 0, extra);
  if (!synAck) ep.tsOk = wasTs;
  snd.sndNxt = seqAdd(snd.iss, 1);
  snd.sndMax = snd.sndNxt;
  if (snd.rtoAt < 0) snd.rtoAt = now + snd.rtt.current;
  ep.armTimer();
}

/** The retransmission timer fired in SYN_SENT or SYN_RECV: resend the SYN (SYN-ACK), or give up. */
export function onSynTimeout(ep: TcpEndpoint): void {
  const snd = ep.snd;
  const limit = ep.state === TcpState.SYN_SENT ? ep.synRetries : ep.config.synAckRetries;
  if (snd.retransmits >= limit) {
    ep.destroy(ep.parent ? 0 : ep.softError || Errno.ETIMEDOUT);
    return;
  }
  snd.retransmits++;
  snd.totalRetrans++;
  snd.rtt.backoff++;
  snd.rttStart = -1;
  snd.rtoAt = -1;
  sendSyn(ep, ep.state === TcpState.SYN_RECV);
  snd.rttStart = -1;
}
