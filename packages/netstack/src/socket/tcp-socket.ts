// SOCK_STREAM sockets over the TCP endpoint, with Linux's errno and poll
// semantics (inet_stream_connect, tcp_sendmsg, tcp_recvmsg, tcp_poll).

import { AF, Errno, IPPROTO, IPV6, MSG, POLL, SHUT, SO, SOCK, SOL, SysError, TCP } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import type { Stack } from '../stack/stack.js';
import type { PortBinding } from '../stack/ports.js';
import type { TcpEndpoint } from '../tcp/endpoint.js';
import { setCongestionControl } from '../tcp/handshake.js';
import { encodeTcpInfo } from '../tcp/info.js';
import { TcpState, isSynchronized } from '../tcp/state.js';
import { familyVersion, parseSockAddr, toSockAddr } from './address.js';
import { IpOptions } from './ip-options.js';
import { Readiness } from './readiness.js';
import { bufferSize, forcedBufferSize, intValue, lingerValue } from './options.js';
import type { RecvResult, SockAddr, SockOptValue, Socket } from './types.js';

/** Linux's net.core.somaxconn. */
const SOMAXCONN = 4096;
/** Linux's MAX_TCP_SYNCNT: the most TCP_SYNCNT takes. */
const MAX_SYNCNT = 127;
/** Linux's TCP_FIN_TIMEOUT_MAX in seconds: TCP_LINGER2's ceiling. */
const LINGER2_MAX_S = 120;
/** Linux's SOCK_MIN_RCVBUF: TCP_WINDOW_CLAMP's floor is half of it. */
const SOCK_MIN_RCVBUF = 2304;
/** TCP_DEFER_ACCEPT's seconds map to SYN-ACK retransmissions of 1 s doubling up to TCP_RTO_MAX (120 s). */
const DEFER_RTO_INIT_S = 1;
const DEFER_RTO_MAX_S = 120;
/** Linux's TCP_CA_NAME_MAX: getsockopt(TCP_CONGESTION) reports a name field this long. */
export const TCP_CA_NAME_MAX = 16;

export class TcpSocket implements Socket {
  readonly type = SOCK.STREAM;
  readonly protocol = IPPROTO.TCP;
  private readonly readiness = new Readiness();
  /** IP-level options the protocol does not apply itself (ip(7), ipv6(7)). */
  private readonly ipOptions: IpOptions;
  private reuseAddr = false;
  private reusePort = false;
  private v6only = false;
  private connecting = false;
  private closed = false;
  private sndBufLocked = false;
  private rcvLowat = 1;
  /** TCP_INQ: recvmsg reports the bytes left to read (TCP_CM_INQ). */
  private inqCmsg = false;
  /** TCP_DEFER_ACCEPT as Linux keeps it: a count of SYN-ACK retransmissions. */
  private deferAcceptRetrans = 0;
  /** TCP_QUICKACK as last set (Linux starts in quick-ACK mode). */
  private quickAck = true;

  constructor(
    private readonly stack: Stack,
    readonly family: number,
    private readonly ep: TcpEndpoint = stack.tcp.createEndpoint(),
  ) {
    familyVersion(family);
    this.ipOptions = new IpOptions(family, SOCK.STREAM, stack);
    if (!ep.localAddr) ep.localAddr = IpAddress.any(familyVersion(family));
    ep.onEvent = () => this.onEvent();
  }

  /** The underlying protocol endpoint (diagnostics, TCP_INFO as an object). */
  get endpoint(): TcpEndpoint {
    return this.ep;
  }

  bind(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      if (this.ep.binding) throw new SysError(Errno.EINVAL);
      const { ip, port } = parseSockAddr(this.family, addr);
      this.checkV6Only(ip);
      if (!ip.isUnspecified && !this.stack.isLocalAddress(ip) && !ip.isLoopback) throw new SysError(Errno.EADDRNOTAVAIL);
      this.reserve(ip, port, Errno.EADDRINUSE);
    });
  }

  listen(backlog: number): void {
    this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (ep.state === TcpState.LISTEN) {
        ep.backlog = clampBacklog(backlog);
        return;
      }
      if (ep.state !== TcpState.CLOSE || this.connecting) throw new SysError(Errno.EINVAL);
      if (!ep.binding) this.reserve(IpAddress.any(familyVersion(this.family)), 0, Errno.EADDRINUSE);
      // SO_REUSEADDR never lets two listeners share an address (inet_csk_get_port at listen time).
      const b = ep.binding!;
      ep.state = TcpState.LISTEN;
      if (this.stack.tcp.ports.conflicts(b)) {
        ep.state = TcpState.CLOSE;
        throw new SysError(Errno.EADDRINUSE);
      }
      ep.listen(clampBacklog(backlog));
      this.stack.tcp.addListener(ep);
    });
  }

  accept(): Socket {
    return this.stack.call(() => {
      this.checkOpen();
      if (this.ep.state !== TcpState.LISTEN) throw new SysError(Errno.EINVAL);
      const child = this.ep.accept();
      if (!child) throw new SysError(Errno.EAGAIN);
      const s = new TcpSocket(this.stack, this.family, child);
      return s;
    });
  }

  connect(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (this.connecting) {
        if (ep.state === TcpState.SYN_SENT || ep.state === TcpState.SYN_RECV) throw new SysError(Errno.EALREADY);
        this.connecting = false;
        if (ep.state === TcpState.CLOSE) {
          // The failure was already collected (SO_ERROR, a read): Linux's inet_stream_connect says ECONNABORTED.
          const err = ep.error || Errno.ECONNABORTED;
          ep.error = 0;
          throw new SysError(err);
        }
        return; // connected meanwhile
      }
      if (ep.state !== TcpState.CLOSE) throw new SysError(Errno.EISCONN); // connected, closing or listening
      if (addr.family === AF.UNSPEC) throw new SysError(Errno.EAFNOSUPPORT);
      const { ip, port } = parseSockAddr(this.family, addr);
      this.checkV6Only(ip);
      const dst = ip.isUnspecified ? (ip.version === 4 ? IpAddress.parse('127.0.0.1') : IpAddress.parse('::1')) : ip;
      // Bound to a specific address of the other IP version: a v6 socket on ::1 has no route to a v4-mapped
      // peer (tcp_v6_connect), one on a v4-mapped address cannot reach a v6 peer at all. Checked before the
      // port, as Linux finds the route before it sends anything.
      if (ep.binding && !ep.localAddr.isUnspecified && ep.localAddr.version !== dst.version) {
        throw new SysError(ep.localAddr.version === 4 ? Errno.EAFNOSUPPORT : Errno.ENETUNREACH);
      }
      const local = ep.binding && !ep.localAddr.isUnspecified ? ep.localAddr : null;
      const route = this.stack.findRoute(dst, local);
      const src = local ?? route.src;
      if (!ep.binding) this.reserveForConnect(src, dst, port);
      else if (!this.stack.tcp.tupleFreeForConnect(src, ep.localPort, dst, port)) throw new SysError(Errno.EADDRNOTAVAIL);
      ep.error = 0;
      ep.finReceived = false;
      ep.connect(dst, port, route);
      // The reservation now names the source address, as Linux's inet_rcv_saddr does after connect: a wildcard no longer blocks other addresses.
      if (ep.binding?.addr.isUnspecified) ep.binding.addr = ep.localAddr;
      this.connecting = true;
      if ((ep.state as number) === TcpState.ESTABLISHED) {
        this.connecting = false;
        return;
      }
      throw new SysError(Errno.EINPROGRESS);
    });
  }

  send(data: Uint8Array, flags = 0): number {
    return this.sendto(data, flags, null);
  }

  sendto(data: Uint8Array, flags: number, _addr: SockAddr | null): number {
    return this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
      if (ep.error) throw new SysError(this.takeError());
      if (ep.state === TcpState.SYN_SENT || ep.state === TcpState.SYN_RECV) {
        throw new SysError(Errno.EAGAIN);
      }
      if (ep.finQueued || (ep.state !== TcpState.ESTABLISHED && ep.state !== TcpState.CLOSE_WAIT)) {
        throw new SysError(Errno.EPIPE);
      }
      if (data.length === 0) return 0;
      const n = ep.write(data);
      if (n === 0) throw new SysError(Errno.EAGAIN);
      return n;
    });
  }

  recv(maxLen: number, flags = 0): Uint8Array {
    return this.recvfrom(maxLen, flags).data;
  }

  recvfrom(maxLen: number, flags = 0): RecvResult {
    return this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (flags & MSG.OOB) throw new SysError(Errno.EINVAL);
      if (ep.state === TcpState.LISTEN) throw new SysError(Errno.ENOTCONN);
      if (ep.readable > 0 && maxLen > 0) {
        const data = ep.read(maxLen, (flags & MSG.PEEK) !== 0);
        return { data, addr: null, flags: 0, length: data.length };
      }
      if (ep.error) throw new SysError(this.takeError());
      if (ep.rcvShutdown || ep.finReceived) return { data: new Uint8Array(0), addr: null, flags: 0, length: 0 };
      if (ep.state === TcpState.CLOSE && !this.connecting) throw new SysError(Errno.ENOTCONN);
      if (maxLen === 0) return { data: new Uint8Array(0), addr: null, flags: 0, length: 0 };
      throw new SysError(Errno.EAGAIN);
    });
  }

  shutdown(how: number): void {
    this.stack.call(() => {
      this.checkOpen();
      if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) throw new SysError(Errno.EINVAL);
      const ep = this.ep;
      switch (ep.state) {
        case TcpState.CLOSE:
        case TcpState.TIME_WAIT: // Linux hands TIME_WAIT to a timewait sock; the socket itself is CLOSE
          throw new SysError(Errno.ENOTCONN);
        case TcpState.LISTEN:
          if (how === SHUT.WR) return;
          ep.close();
          ep.onEvent = () => this.onEvent();
          ep.orphaned = false;
          this.onEvent();
          return;
        case TcpState.SYN_SENT:
          // tcp_disconnect: the attempt ends with ECONNRESET pending (POLLERR | POLLHUP).
          ep.destroy(Errno.ECONNRESET);
          this.connecting = false;
          this.onEvent();
          return;
        default:
          break;
      }
      if (how === SHUT.RD || how === SHUT.RDWR) {
        ep.rcvShutdown = true;
        ep.signal();
      }
      if (how === SHUT.WR || how === SHUT.RDWR) ep.shutdownSend();
      this.onEvent();
    });
  }

  close(): void {
    if (this.closed) return;
    this.stack.call(() => {
      this.closed = true;
      this.readiness.clear();
      this.ep.close();
    });
  }

  getsockname(): SockAddr {
    this.checkOpen();
    return toSockAddr(this.family, this.ep.localAddr, this.ep.localPort);
  }

  getpeername(accepting = false): SockAddr {
    this.checkOpen();
    const s = this.ep.state;
    if (accepting && this.ep.remoteAddr) return toSockAddr(this.family, this.ep.remoteAddr, this.ep.remotePort);
    if (s === TcpState.CLOSE || s === TcpState.LISTEN || s === TcpState.SYN_SENT || !this.ep.remoteAddr) throw new SysError(Errno.ENOTCONN);
    return toSockAddr(this.family, this.ep.remoteAddr, this.ep.remotePort);
  }

  setsockopt(level: number, name: number, value: SockOptValue): void {
    this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (level === SOL.SOCKET) {
        switch (name) {
          case SO.REUSEADDR:
            this.reuseAddr = intValue(value) !== 0;
            if (ep.binding) ep.binding.reuseAddr = this.reuseAddr;
            return;
          case SO.REUSEPORT:
            this.reusePort = intValue(value) !== 0;
            if (ep.binding) ep.binding.reusePort = this.reusePort;
            return;
          case SO.KEEPALIVE:
            ep.setKeepalive(intValue(value) !== 0);
            return;
          case SO.LINGER:
            ep.linger = lingerValue(value, ep.linger);
            return;
          case SO.RCVBUF:
          case SO.RCVBUFFORCE:
            ep.rcvBufSize = name === SO.RCVBUF ? bufferSize(value, 2304) : forcedBufferSize(value, 2304);
            ep.rcvBufLocked = true;
            return;
          case SO.SNDBUF:
          case SO.SNDBUFFORCE:
            ep.sndBufSize = name === SO.SNDBUF ? bufferSize(value, 4608) : forcedBufferSize(value, 4608);
            this.sndBufLocked = true;
            this.onEvent();
            return;
          case SO.RCVLOWAT: {
            const v = intValue(value);
            this.rcvLowat = v < 1 ? 1 : v;
            this.onEvent();
            return;
          }
          default:
            throw new SysError(Errno.ENOPROTOOPT);
        }
      }
      if (level === SOL.TCP) {
        switch (name) {
          case TCP.NODELAY:
            ep.nodelay = intValue(value) !== 0;
            if (ep.nodelay) ep.output();
            return;
          case TCP.MAXSEG: {
            const v = intValue(value);
            if (v !== 0 && (v < 88 || v > 32767)) throw new SysError(Errno.EINVAL);
            ep.userMss = v;
            return;
          }
          case TCP.KEEPIDLE:
          case TCP.KEEPINTVL: {
            const v = intValue(value);
            if (v < 1 || v > 32767) throw new SysError(Errno.EINVAL);
            if (name === TCP.KEEPIDLE) ep.keepIdleS = v;
            else ep.keepIntvlS = v;
            if (ep.keepalive) ep.setKeepalive(true);
            return;
          }
          case TCP.KEEPCNT: {
            const v = intValue(value);
            if (v < 1 || v > 127) throw new SysError(Errno.EINVAL);
            ep.keepCnt = v;
            return;
          }
          case TCP.CONGESTION: {
            const name2 = typeof value === 'string' ? value : value instanceof Uint8Array ? new TextDecoder().decode(value).replace(/\0.*$/s, '') : '';
            if (name2 !== 'cubic' && name2 !== 'reno') throw new SysError(Errno.ENOENT);
            setCongestionControl(ep, name2);
            return;
          }
          case TCP.QUICKACK:
            // Linux reads back !pingpong: 0 asks for delayed ACKs, anything else for quick ones (and a pending ACK goes now).
            this.quickAck = intValue(value) !== 0;
            if (this.quickAck && ep.rcv.delackAt >= 0) {
              ep.rcv.ackNow = true;
              ep.output();
            }
            return;
          case TCP.SYNCNT: {
            const v = intValue(value);
            if (v < 1 || v > MAX_SYNCNT) throw new SysError(Errno.EINVAL);
            ep.synRetries = v;
            return;
          }
          case TCP.LINGER2: {
            const v = intValue(value);
            ep.linger2S = v < 0 ? -1 : Math.min(v, LINGER2_MAX_S);
            return;
          }
          case TCP.DEFER_ACCEPT:
            this.deferAcceptRetrans = secondsToRetransmits(intValue(value));
            return;
          case TCP.WINDOW_CLAMP: {
            const v = intValue(value);
            if (v === 0) {
              if (ep.state !== TcpState.CLOSE) throw new SysError(Errno.EINVAL);
              ep.windowClamp = 0;
            } else {
              ep.windowClamp = Math.max(v, SOCK_MIN_RCVBUF / 2);
            }
            return;
          }
          case TCP.INQ: {
            const v = intValue(value);
            if (v < 0 || v > 1) throw new SysError(Errno.EINVAL);
            this.inqCmsg = v === 1;
            return;
          }
          case TCP.CORK:
            ep.cork = intValue(value) !== 0;
            if (!ep.cork) ep.output();
            return;
          case TCP.USER_TIMEOUT: {
            const v = intValue(value);
            if (v < 0) throw new SysError(Errno.EINVAL);
            ep.userTimeoutMs = v;
            return;
          }
          default:
            throw new SysError(Errno.ENOPROTOOPT);
        }
      }
      if (level === SOL.IPV6 && name === IPV6.V6ONLY) {
        if (this.family !== AF.INET6) throw new SysError(Errno.ENOPROTOOPT);
        if (ep.binding) throw new SysError(Errno.EINVAL);
        this.v6only = intValue(value) !== 0;
        return;
      }
      if (this.ipOptions.set(level, name, value)) return;
      throw new SysError(Errno.ENOPROTOOPT);
    });
  }

  getsockopt(level: number, name: number): SockOptValue {
    this.checkOpen();
    const ep = this.ep;
    if (level === SOL.SOCKET) {
      switch (name) {
        case SO.TYPE:
          return SOCK.STREAM;
        case SO.DOMAIN:
          return this.family;
        case SO.PROTOCOL:
          return IPPROTO.TCP;
        case SO.ERROR:
          return this.takeError();
        case SO.REUSEADDR:
          return this.reuseAddr ? 1 : 0;
        case SO.REUSEPORT:
          return this.reusePort ? 1 : 0;
        case SO.KEEPALIVE:
          return ep.keepalive ? 1 : 0;
        case SO.LINGER:
          return { ...ep.linger };
        case SO.RCVBUF:
          return ep.rcvBufSize;
        case SO.SNDBUF:
          // A connection's buffer is sized for its congestion window from the start (tcp_init_buffer_space).
          if (!this.sndBufLocked) this.autotuneSendBuffer();
          return ep.sndBufSize;
        case SO.ACCEPTCONN:
          return ep.state === TcpState.LISTEN ? 1 : 0;
        case SO.RCVLOWAT:
          return this.rcvLowat;
        default:
          throw new SysError(Errno.ENOPROTOOPT);
      }
    }
    if (level === SOL.TCP) {
      switch (name) {
        case TCP.NODELAY:
          return ep.nodelay ? 1 : 0;
        case TCP.MAXSEG:
          return isSynchronized(ep.state) ? ep.mss : ep.userMss || 536;
        case TCP.KEEPIDLE:
          return ep.keepIdleS;
        case TCP.KEEPINTVL:
          return ep.keepIntvlS;
        case TCP.KEEPCNT:
          return ep.keepCnt;
        case TCP.INFO:
          return encodeTcpInfo(ep.info());
        case TCP.CONGESTION:
          return ep.cc?.name ?? ep.congestionName;
        case TCP.QUICKACK:
          return this.quickAck ? 1 : 0;
        case TCP.SYNCNT:
          return ep.synRetries;
        case TCP.LINGER2:
          return ep.linger2S < 0 ? -1 : ep.finWait2TimeoutMs() / 1000;
        case TCP.DEFER_ACCEPT:
          return retransmitsToSeconds(this.deferAcceptRetrans);
        case TCP.WINDOW_CLAMP:
          return ep.windowClamp;
        case TCP.INQ:
          return this.inqCmsg ? 1 : 0;
        case TCP.CORK:
          return ep.cork ? 1 : 0;
        case TCP.USER_TIMEOUT:
          return ep.userTimeoutMs;
        default:
          throw new SysError(Errno.ENOPROTOOPT);
      }
    }
    if (level === SOL.IPV6 && name === IPV6.V6ONLY && this.family === AF.INET6) return this.v6only ? 1 : 0;
    const ip = this.ipOptions.get(level, name);
    if (ip !== undefined) return ip;
    // An IPv4 socket's getsockopt at another protocol's level is EOPNOTSUPP (do_ip_getsockopt).
    if (this.family === AF.INET && level !== SOL.IP) throw new SysError(Errno.EOPNOTSUPP);
    throw new SysError(Errno.ENOPROTOOPT);
  }

  inq(): number {
    if (this.ep.state === TcpState.LISTEN) throw new SysError(Errno.EINVAL);
    return this.ep.readable;
  }

  outq(): number {
    if (this.ep.state === TcpState.LISTEN) throw new SysError(Errno.EINVAL);
    return this.ep.sendBuf.length;
  }

  /** Linux tcp_poll. */
  poll(): number {
    if (this.closed) return POLL.NVAL;
    const ep = this.ep;
    let mask = 0;
    const state = ep.state;
    const rcvShut = ep.rcvShutdown || ep.finReceived;
    const sndShut = ep.finQueued || state === TcpState.CLOSE;
    if (state === TcpState.LISTEN) return ep.acceptQueue.length > 0 ? POLL.IN | POLL.RDNORM : 0;
    if ((rcvShut && sndShut) || state === TcpState.CLOSE) mask |= POLL.HUP;
    if (rcvShut && state !== TcpState.SYN_SENT) mask |= POLL.IN | POLL.RDNORM | POLL.RDHUP;
    if (state !== TcpState.SYN_SENT && state !== TcpState.SYN_RECV) {
      // SO_RCVLOWAT: readable once that much is queued (or the stream ended).
      if (ep.readable >= this.rcvLowat) mask |= POLL.IN | POLL.RDNORM;
      if (!sndShut) {
        if (ep.writable) mask |= POLL.OUT | POLL.WRNORM;
      } else {
        mask |= POLL.OUT | POLL.WRNORM;
      }
    }
    if (ep.error) mask |= POLL.ERR;
    return mask;
  }

  subscribe(mask: number, cb: (readiness: number) => void): () => void {
    return this.readiness.subscribe(mask, cb);
  }

  // ---- helpers --------------------------------------------------------------

  private onEvent(): void {
    if (!this.sndBufLocked) this.autotuneSendBuffer();
    if (this.readiness.active) this.readiness.dispatch(this.poll());
  }

  /** Linux grows an unlocked send buffer with the congestion window (tcp_sndbuf_expand). */
  private autotuneSendBuffer(): void {
    const ep = this.ep;
    if (!ep.cc) return;
    const want = Math.min(ep.config.maxSndBuf, 2 * ep.cc.cwnd + 4 * ep.mss);
    if (want > ep.sndBufSize) ep.sndBufSize = want;
  }

  private reserve(ip: IpAddress, port: number, exhausted: number = Errno.EADDRNOTAVAIL): void {
    const ep = this.ep;
    const binding: PortBinding = {
      addr: ip,
      port,
      v6only: this.v6only,
      reuseAddr: this.reuseAddr,
      reusePort: this.reusePort,
      isListening: () => ep.state === TcpState.LISTEN,
    };
    this.stack.tcp.ports.reserve(binding, exhausted);
    ep.binding = binding;
    ep.localAddr = ip;
    ep.localPort = binding.port;
  }

  /** connect(2) on an unbound socket: a port shared with other connects where the 4-tuple is free (EADDRNOTAVAIL when none is). */
  private reserveForConnect(src: IpAddress, dst: IpAddress, dport: number): void {
    const ep = this.ep;
    const any = IpAddress.any(familyVersion(this.family));
    const binding: PortBinding = {
      addr: any,
      port: 0,
      v6only: this.v6only,
      reuseAddr: this.reuseAddr,
      reusePort: this.reusePort,
      isListening: () => ep.state === TcpState.LISTEN,
    };
    this.stack.tcp.ports.reserveForConnect(binding, (p) => this.stack.tcp.tupleFreeForConnect(src, p, dst, dport));
    ep.binding = binding;
    ep.localAddr = any;
    ep.localPort = binding.port;
  }

  private checkV6Only(ip: IpAddress): void {
    if (this.family === AF.INET6 && this.v6only && ip.version === 4) throw new SysError(Errno.ENETUNREACH);
  }

  private takeError(): number {
    const e = this.ep.error;
    this.ep.error = 0;
    return e;
  }

  private checkOpen(): void {
    if (this.closed) throw new SysError(Errno.EBADF);
  }
}

/** Linux's secs_to_retrans: the SYN-ACK retransmissions whose backoff first covers `seconds`. */
function secondsToRetransmits(seconds: number): number {
  if (seconds <= 0) return 0;
  let timeout = DEFER_RTO_INIT_S;
  let period = timeout;
  let n = 1;
  while (seconds > period && n < 255) {
    n++;
    timeout = Math.min(timeout * 2, DEFER_RTO_MAX_S);
    period += timeout;
  }
  return n;
}

/** Linux's retrans_to_secs: the inverse of secondsToRetransmits (rounded up to a backoff boundary). */
function retransmitsToSeconds(n: number): number {
  if (n <= 0) return 0;
  let timeout = DEFER_RTO_INIT_S;
  let period = timeout;
  for (let i = 1; i < n; i++) {
    timeout = Math.min(timeout * 2, DEFER_RTO_MAX_S);
    period += timeout;
  }
  return period;
}

function clampBacklog(n: number): number {
  return Math.max(0, Math.min(Math.trunc(n), SOMAXCONN));
}
