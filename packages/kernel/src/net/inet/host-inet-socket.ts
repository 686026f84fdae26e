import { AF, Errno, FIO, IP, IPPROTO, IPV6, Linger, MSG, POLL, SO, SOCK, SOL, SysError, TCP, TIOC } from '@tvisor/abi';
import { sockAddrFromBytes, sockAddrToBytes, type RecvResult, type SockAddr, type Socket, type SockOptValue } from '@tvisor/netstack';
import type { Kernel } from '../../kernel.js';
import { hostPoll, hostPollAsync } from '../../native/host-tty.js';
import {
  hostAccept,
  hostBind,
  hostCloseSocket,
  hostConnect,
  hostGetpeername,
  hostGetsockname,
  hostGetsockopt,
  hostIoctlInt,
  hostListen,
  hostRecvfrom,
  hostSendto,
  hostSetsockopt,
  hostShutdown,
  hostSocket,
} from '../../native/host-socket.js';

/** How long one worker-thread poll of a waited-on host socket lasts before it is re-armed (the unsubscribe latency). */
const HOST_POLL_SLICE_MS = 250;

/** What an option's value is on the host: an int, a struct linger, a string or raw bytes, with its buffer size. */
type OptionKind = 'int' | 'linger' | 'string' | 'bytes';

const ints = (...names: number[]): number[] => names;

/**
 * The options a -network=host socket passes to its host socket; any other
 * is ENOPROTOOPT. Options that would name host resources (SO_BINDTODEVICE,
 * SO_MARK, filters) or carry ancillary data the sentry does not relay
 * (IP_RECVERR, IP_PKTINFO) stay out.
 */
const OPTIONS = new Map<string, OptionKind>([
  ...ints(SO.REUSEADDR, SO.REUSEPORT, SO.KEEPALIVE, SO.BROADCAST, SO.RCVBUF, SO.SNDBUF, SO.ERROR, SO.TYPE, SO.DOMAIN, SO.PROTOCOL)
    .concat(ints(SO.ACCEPTCONN, SO.OOBINLINE, SO.RCVLOWAT, SO.SNDLOWAT, SO.PRIORITY, SO.DONTROUTE))
    .map((n) => [`${SOL.SOCKET}:${n}`, 'int'] as [string, OptionKind]),
  [`${SOL.SOCKET}:${SO.LINGER}`, 'linger'],
  ...ints(TCP.NODELAY, TCP.MAXSEG, TCP.CORK, TCP.KEEPIDLE, TCP.KEEPINTVL, TCP.KEEPCNT, TCP.SYNCNT, TCP.LINGER2, TCP.DEFER_ACCEPT)
    .concat(ints(TCP.WINDOW_CLAMP, TCP.QUICKACK, TCP.USER_TIMEOUT, TCP.NOTSENT_LOWAT))
    .map((n) => [`${SOL.TCP}:${n}`, 'int'] as [string, OptionKind]),
  [`${SOL.TCP}:${TCP.CONGESTION}`, 'string'],
  [`${SOL.TCP}:${TCP.INFO}`, 'bytes'],
  ...[IP.TOS, IP.TTL, IP.MTU_DISCOVER, IP.MTU, IP.MULTICAST_TTL, IP.MULTICAST_LOOP].map((n) => [`${SOL.IP}:${n}`, 'int'] as [string, OptionKind]),
  ...[IPV6.V6ONLY, IPV6.UNICAST_HOPS, IPV6.TCLASS, IPV6.MULTICAST_HOPS, IPV6.MULTICAST_LOOP].map((n) => [`${SOL.IPV6}:${n}`, 'int'] as [string, OptionKind]),
]);

/** Buffer sizes for getsockopt by kind (TCP_INFO: Linux's struct tcp_info is under 256 bytes). */
const OPTION_BYTES: Record<OptionKind, number> = { int: 4, linger: Linger.size, string: 16, bytes: 256 };

/** send/recv flags passed to the host; MSG_DONTWAIT and MSG_NOSIGNAL are always added (the sentry waits and signals). */
const SEND_FLAGS = MSG.OOB | MSG.DONTROUTE | MSG.EOR | MSG.MORE | MSG.CONFIRM;
const RECV_FLAGS = MSG.OOB | MSG.PEEK | MSG.TRUNC | MSG.WAITALL | MSG.DONTWAIT;

function fail(rc: number): never {
  throw new SysError(-rc);
}

/**
 * A -network=host AF_INET/AF_INET6 socket: a non-blocking host socket the
 * sentry owns, behind netstack's Socket interface so the kernel's InetSocket
 * serves it like a netstack socket (gVisor's hostinet). The app never holds
 * the host fd; options go through the OPTIONS allow-list.
 */
export class HostInetSocket implements Socket {
  private fd: number;

  private constructor(
    private readonly kernel: Kernel,
    fd: number,
    readonly family: number,
    readonly type: number,
    readonly protocol: number,
  ) {
    this.fd = fd;
  }

  /** socket(2) on the host; only TCP and UDP sockets (SOCK_STREAM, SOCK_DGRAM). */
  static create(kernel: Kernel, family: number, type: number, protocol: number): HostInetSocket {
    if (family !== AF.INET && family !== AF.INET6) throw new SysError(Errno.EAFNOSUPPORT);
    if (type !== SOCK.STREAM && type !== SOCK.DGRAM) throw new SysError(Errno.ESOCKTNOSUPPORT);
    const expected = type === SOCK.STREAM ? IPPROTO.TCP : IPPROTO.UDP;
    if (protocol !== 0 && protocol !== expected) throw new SysError(Errno.EPROTONOSUPPORT);
    const fd = hostSocket(family, type | SOCK.NONBLOCK | SOCK.CLOEXEC, protocol);
    if (fd < 0) fail(fd);
    return new HostInetSocket(kernel, fd, family, type, protocol || expected);
  }

  private live(): number {
    if (this.fd < 0) throw new SysError(Errno.EBADF);
    return this.fd;
  }

  private address(sa: SockAddr): Uint8Array {
    if (sa.family === AF.UNSPEC) {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setUint16(0, AF.UNSPEC, true);
      return b;
    }
    return sockAddrToBytes(sa);
  }

  bind(addr: SockAddr): void {
    const rc = hostBind(this.live(), this.address(addr));
    if (rc < 0) fail(rc);
  }

  connect(addr: SockAddr): void {
    const rc = hostConnect(this.live(), this.address(addr));
    if (rc < 0) fail(rc);
  }

  listen(backlog: number): void {
    const rc = hostListen(this.live(), backlog);
    if (rc < 0) fail(rc);
  }

  accept(): Socket {
    const fd = hostAccept(this.live(), SOCK.NONBLOCK | SOCK.CLOEXEC);
    if (fd < 0) fail(fd);
    return new HostInetSocket(this.kernel, fd, this.family, this.type, this.protocol);
  }

  send(data: Uint8Array, flags = 0): number {
    return this.sendto(data, flags, null);
  }

  sendto(data: Uint8Array, flags: number, addr: SockAddr | null): number {
    if (flags & ~SEND_FLAGS) throw new SysError(Errno.EOPNOTSUPP);
    const n = hostSendto(this.live(), data, flags | MSG.DONTWAIT | MSG.NOSIGNAL, addr ? this.address(addr) : null);
    if (n < 0) fail(n);
    return n;
  }

  recv(maxLen: number, flags = 0): Uint8Array {
    return this.recvfrom(maxLen, flags).data;
  }

  recvfrom(maxLen: number, flags = 0): RecvResult {
    if (flags & ~RECV_FLAGS) throw new SysError(Errno.EOPNOTSUPP);
    const buf = new Uint8Array(maxLen);
    // Datagrams: MSG_TRUNC makes the host report the datagram's full length, as RecvResult wants.
    const datagram = this.type !== SOCK.STREAM;
    const { n, from } = hostRecvfrom(this.live(), buf, flags | MSG.DONTWAIT | (datagram ? MSG.TRUNC : 0));
    if (n < 0) fail(n);
    const got = Math.min(n, maxLen);
    return {
      data: buf.subarray(0, got),
      addr: datagram && from ? sockAddrFromBytes(from) : null,
      flags: datagram && n > maxLen ? MSG.TRUNC : 0,
      length: datagram ? n : got,
    };
  }

  shutdown(how: number): void {
    const rc = hostShutdown(this.live(), how);
    if (rc < 0) fail(rc);
  }

  close(): void {
    if (this.fd < 0) return;
    hostCloseSocket(this.fd);
    this.fd = -1;
  }

  getsockname(): SockAddr {
    const r = hostGetsockname(this.live());
    if (typeof r === 'number') fail(r);
    return sockAddrFromBytes(r);
  }

  getpeername(): SockAddr {
    const r = hostGetpeername(this.live());
    if (typeof r === 'number') fail(r);
    return sockAddrFromBytes(r);
  }

  setsockopt(level: number, name: number, value: SockOptValue): void {
    const kind = OPTIONS.get(`${level}:${name}`);
    if (!kind || kind === 'bytes') throw new SysError(Errno.ENOPROTOOPT);
    let bytes: Uint8Array;
    if (typeof value === 'number') {
      bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setInt32(0, value, true);
    } else if (typeof value === 'string') bytes = new TextEncoder().encode(value);
    else if (value instanceof Uint8Array) bytes = value;
    else {
      bytes = new Uint8Array(Linger.size);
      Linger.encode(new DataView(bytes.buffer), 0, { l_onoff: value.onoff ? 1 : 0, l_linger: value.linger });
    }
    const rc = hostSetsockopt(this.live(), level, name, bytes);
    if (rc < 0) fail(rc);
  }

  getsockopt(level: number, name: number): SockOptValue {
    const kind = OPTIONS.get(`${level}:${name}`);
    if (!kind) throw new SysError(Errno.ENOPROTOOPT);
    const r = hostGetsockopt(this.live(), level, name, OPTION_BYTES[kind]);
    if (typeof r === 'number') fail(r);
    const view = new DataView(r.buffer, r.byteOffset, r.byteLength);
    switch (kind) {
      case 'int':
        return r.length >= 4 ? view.getInt32(0, true) : (r[0] ?? 0);
      case 'linger': {
        const l = Linger.decode(view, 0);
        return { onoff: l.l_onoff !== 0, linger: l.l_linger };
      }
      case 'string': {
        const end = r.indexOf(0);
        return new TextDecoder().decode(end < 0 ? r : r.subarray(0, end));
      }
      case 'bytes':
        return r;
    }
  }

  inq(): number {
    const n = hostIoctlInt(this.live(), FIO.NREAD);
    if (n < 0) fail(n);
    return n;
  }

  outq(): number {
    if (this.type !== SOCK.STREAM) return 0;
    const n = hostIoctlInt(this.live(), TIOC.OUTQ);
    if (n < 0) fail(n);
    return n;
  }

  poll(): number {
    if (this.fd < 0) return POLL.NVAL;
    const r = hostPoll(this.fd, POLL.IN | POLL.OUT | POLL.PRI | POLL.RDHUP);
    return r < 0 ? POLL.ERR : r;
  }

  /**
   * Watches the host socket from a worker thread (poll(2) in slices) and calls
   * `cb` when it reports one of `mask`'s events; the kernel's run loop stays
   * awake while a watch is on (kernel.hostWaits).
   */
  subscribe(mask: number, cb: (readiness: number) => void): () => void {
    let active = true;
    this.kernel.hostWaits++;
    const watch = () => {
      if (!active || this.fd < 0) return;
      hostPollAsync(this.fd, mask | POLL.RDHUP, HOST_POLL_SLICE_MS, (r) => {
        if (!active) return;
        const events = r & (mask | POLL.HUP | POLL.ERR);
        if (events !== 0) cb(events);
        if (!active) return;
        // Level-triggered: after a report, look again only after a slice, so a ready socket nobody drains does not spin.
        if (events !== 0) setTimeout(watch, HOST_POLL_SLICE_MS);
        else watch();
      });
    };
    watch();
    return () => {
      if (!active) return;
      active = false;
      this.kernel.hostWaits--;
    };
  }
}
