import { AF, CLOCK, Errno, ICMP, ICMP6, IP, IPPROTO, IPV6, Linger, MSG, POLL, SIOC, SO, SOCK, SOL, SockaddrIn, SockaddrIn6, SysError, TCP } from '@tvisor/abi';
import { createSocket, IpAddress, TCP_CA_NAME_MAX, type SendOptions, type SockAddr, type Socket, type SockOptValue } from '@tvisor/netstack';
import type { FileDescription, ReadinessCallback } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { Task } from '../../task.js';
import { newSocketInode, type SocketInode } from '../sockfs.js';
import { encodeIntOption, optionInt, SocketImpl, sockaddrFamily, type ControlMessage, type IncomingMessage, type OutgoingMessage } from '../socket.js';
import type { MessageCreds } from '../unix/queue.js';
import { sandboxStack, usesHostNetwork } from './stack.js';
import { ReceiveTimestamps } from './receive-timestamps.js';
import { clockNow } from '../../clock.js';
import { HostInetSocket } from './host-inet-socket.js';

/** sizeof(struct sockaddr_in6) minus sin6_scope_id (RFC 2133): the shortest AF_INET6 address Linux takes. */
const SIN6_LEN_RFC2133 = 24;
/** What ping_common_sendmsg and IPv4 raw_sendmsg take at most (len > 0xFFFF is EMSGSIZE before anything is copied). */
const MAX_ICMP_OR_RAW4_LEN = 0xffff;

/**
 * Decodes sockaddr bytes for a socket of `family` into netstack's SockAddr.
 * EINVAL when too short; AF_UNSPEC comes back as family AF_UNSPEC.
 */
export function decodeInetAddress(family: number, raw: Uint8Array): SockAddr {
  const fam = sockaddrFamily(raw);
  if (raw.length < 2) throw new SysError(Errno.EINVAL);
  if (fam === AF.UNSPEC) return { family: AF.UNSPEC, addr: family === AF.INET6 ? '::' : '0.0.0.0', port: 0 };
  // Linux checks the length its own family needs before the family (inet_bind,
  // tcp_v4_connect, udp_sendmsg; inet6_bind, udpv6_sendmsg): a short address
  // of another family is EINVAL, not EAFNOSUPPORT.
  if (family === AF.INET && fam !== AF.INET && raw.length < SockaddrIn.size) throw new SysError(Errno.EINVAL);
  if (family === AF.INET6 && fam !== AF.INET && fam !== AF.INET6 && raw.length < SIN6_LEN_RFC2133) throw new SysError(Errno.EINVAL);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (fam === AF.INET) {
    if (raw.length < SockaddrIn.size) throw new SysError(Errno.EINVAL);
    const sin = SockaddrIn.decode(view, 0);
    return { family: AF.INET, addr: IpAddress.fromBytes(sin.sin_addr).key, port: sin.sin_port };
  }
  if (fam === AF.INET6) {
    if (raw.length < SIN6_LEN_RFC2133) throw new SysError(Errno.EINVAL);
    const padded = new Uint8Array(SockaddrIn6.size);
    padded.set(raw.subarray(0, SockaddrIn6.size));
    const sin6 = SockaddrIn6.decode(new DataView(padded.buffer), 0);
    return { family: AF.INET6, addr: IpAddress.fromBytes(sin6.sin6_addr).key, port: sin6.sin6_port, flowinfo: sin6.sin6_flowinfo, scopeId: sin6.sin6_scope_id };
  }
  throw new SysError(Errno.EAFNOSUPPORT);
}

/** Encodes a netstack address as sockaddr_in / sockaddr_in6 bytes. */
export function encodeInetAddress(sa: SockAddr): Uint8Array {
  if (sa.family === AF.INET) {
    const out = new Uint8Array(SockaddrIn.size);
    SockaddrIn.encode(new DataView(out.buffer), 0, { sin_family: AF.INET, sin_port: sa.port, sin_addr: IpAddress.parse(sa.addr).bytes });
    return out;
  }
  const out = new Uint8Array(SockaddrIn6.size);
  SockaddrIn6.encode(new DataView(out.buffer), 0, {
    sin6_family: AF.INET6,
    sin6_port: sa.port,
    sin6_flowinfo: sa.flowinfo ?? 0,
    sin6_addr: IpAddress.parse(sa.addr).bytes,
    sin6_scope_id: sa.scopeId ?? 0,
  });
  return out;
}

/** How an option's bytes map to netstack's value: ints, struct linger, or a string (TCP_CONGESTION). */
/** The SOL_IP options whose value is an int (do_ip_setsockopt and do_ip_getsockopt read and write them as one). */
export const IP_INT_OPTIONS: ReadonlySet<number> = new Set([
  IP.TOS,
  IP.TTL,
  IP.HDRINCL,
  IP.ROUTER_ALERT,
  IP.RECVOPTS,
  IP.RETOPTS,
  IP.PKTINFO,
  IP.MTU_DISCOVER,
  IP.RECVERR,
  IP.RECVTTL,
  IP.RECVTOS,
  IP.MTU,
  IP.FREEBIND,
  IP.PASSSEC,
  IP.TRANSPARENT,
  IP.RECVORIGDSTADDR,
  IP.MINTTL,
  IP.NODEFRAG,
  IP.CHECKSUM,
  IP.BIND_ADDRESS_NO_PORT,
  IP.RECVFRAGSIZE,
  IP.MULTICAST_TTL,
  IP.MULTICAST_LOOP,
  IP.MULTICAST_ALL,
]);

function decodeOption(level: number, name: number, value: Uint8Array): SockOptValue {
  if (level === SOL.SOCKET && name === SO.LINGER) {
    if (value.length < Linger.size) throw new SysError(Errno.EINVAL);
    const l = Linger.decode(new DataView(value.buffer, value.byteOffset, value.byteLength), 0);
    return { onoff: l.l_onoff !== 0, linger: l.l_linger };
  }
  if (level === SOL.TCP && name === TCP.CONGESTION) {
    const end = value.indexOf(0);
    return new TextDecoder().decode(end < 0 ? value : value.subarray(0, end));
  }
  // ICMP_FILTER's mask may be shorter than 4 bytes (raw_seticmpfilter).
  if (level === SOL.RAW && name === ICMP.FILTER) return value.slice();
  // So may ICMP6_FILTER's struct icmp6_filter (rawv6_seticmpfilter).
  if (level === IPPROTO.ICMPV6 && name === ICMP6.FILTER) return value.slice();
  // Structures (in_addr, ip_mreq, ip_mreqn) go as they are.
  if (level === SOL.IP && (name === IP.MULTICAST_IF || name === IP.ADD_MEMBERSHIP || name === IP.DROP_MEMBERSHIP)) return value.slice();
  // Linux's integer IP options take a single byte when shorter than an int, and nothing as 0 (do_ip_setsockopt).
  if (level === SOL.IP && value.length >= 1 && value.length < 4) return value[0];
  if (level === SOL.IP && value.length === 0 && IP_INT_OPTIONS.has(name) && name !== IP.MULTICAST_TTL && name !== IP.MULTICAST_LOOP) return 0;
  return optionInt(value);
}

function encodeOption(value: SockOptValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new TextEncoder().encode(value + '\0');
  if (typeof value === 'number') {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, value, true);
    return out;
  }
  const out = new Uint8Array(Linger.size);
  Linger.encode(new DataView(out.buffer), 0, { l_onoff: value.onoff ? 1 : 0, l_linger: value.linger });
  return out;
}

/**
 * An AF_INET or AF_INET6 socket: the kernel's descriptor side of a
 * @tvisor/netstack socket on the sandbox's loopback stack. The netstack
 * socket never blocks; waiting (and SO_RCVTIMEO/SO_SNDTIMEO) is the
 * syscall layer's, driven by the socket's readiness callbacks.
 */
export class InetSocket extends SocketImpl {
  readonly family: number;
  readonly type: number;
  readonly protocol: number;
  /** TCP_INQ is on: each recvmsg reports the bytes still queued (TCP_CM_INQ). */
  private inqCmsg = false;
  /** SO_TIMESTAMP, SO_TIMESTAMPNS and what SIOCGSTAMP reads. */
  private readonly timestamps = new ReceiveTimestamps();

  constructor(
    inode: SocketInode,
    readonly kernel: Kernel,
    readonly inner: Socket,
  ) {
    super(inode);
    this.family = inner.family;
    this.type = inner.type;
    this.protocol = inner.protocol;
  }

  get messageOriented(): boolean {
    return this.type !== SOCK.STREAM;
  }

  override get maxMessageSize(): number | undefined {
    const ping = this.type === SOCK.DGRAM && (this.protocol === IPPROTO.ICMP || this.protocol === IPPROTO.ICMPV6);
    return ping || (this.type === SOCK.RAW && this.family === AF.INET) ? MAX_ICMP_OR_RAW4_LEN : undefined;
  }

  bind(_t: Task, raw: Uint8Array): void {
    // inet6_bind checks the length before the family: a sockaddr_in given to an IPv6 socket is EINVAL.
    if (this.family === AF.INET6 && raw.length < SIN6_LEN_RFC2133) throw new SysError(Errno.EINVAL);
    const sa = decodeInetAddress(this.family, raw);
    if (sa.family === AF.UNSPEC) {
      // Linux takes AF_UNSPEC with INADDR_ANY on AF_INET sockets as AF_INET.
      if (this.family !== AF.INET) throw new SysError(Errno.EAFNOSUPPORT);
      sa.family = AF.INET;
    }
    this.inner.bind(sa);
  }

  listen(_t: Task, backlog: number): void {
    this.inner.listen(backlog);
  }

  accept(_t: Task): SocketImpl {
    const conn = this.inner.accept();
    const st = this.sockInode.stat();
    const child = new InetSocket(newSocketInode({ uid: st.uid, gid: st.gid, groups: [] }), this.kernel, conn);
    child.inheritFilter(this);
    return child;
  }

  connect(t: Task, raw: Uint8Array, nonblock: boolean): number {
    const sa = decodeInetAddress(this.family, raw);
    // A negative SO_SNDTIMEO leaves no time to wait: EINPROGRESS, as on a non-blocking socket.
    if (this.sendTimeoutMs < 0) nonblock = true;
    try {
      this.inner.connect(sa);
      return 0;
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.EINPROGRESS || nonblock) throw e;
    }
    // On loopback the handshake usually completes before connect returns:
    // then there is no event left to wait for, just the outcome to collect.
    if (this.inner.poll() & (POLL.OUT | POLL.ERR | POLL.HUP)) {
      try {
        this.inner.connect(sa);
        return 0;
      } catch (e) {
        if (!(e instanceof SysError) || e.errno !== Errno.EALREADY) throw e;
      }
    }
    // A blocking connect waits for the handshake's outcome, then asks again;
    // SO_SNDTIMEO bounds the wait (EINPROGRESS, as tcp(7) says).
    const timeoutMs = this.sendTimeoutMs;
    return t.kernel.block(
      t,
      (complete) => {
        let cancelTimer: (() => void) | undefined;
        let unsubscribe: (() => void) | undefined = this.inner.subscribe(POLL.OUT, () => {
          let r = 0;
          try {
            this.inner.connect(sa);
          } catch (e) {
            if (e instanceof SysError && e.errno === Errno.EALREADY) return;
            r = e instanceof SysError ? -e.errno : -Errno.EIO;
          }
          finish(r);
        });
        const finish = (r: number) => {
          unsubscribe?.();
          cancelTimer?.();
          unsubscribe = cancelTimer = undefined;
          complete(r);
        };
        if (timeoutMs > 0) cancelTimer = t.kernel.setTimer(timeoutMs, () => finish(-Errno.EINPROGRESS));
        return () => {
          unsubscribe?.();
          cancelTimer?.();
        };
      },
      timeoutMs > 0 ? -Errno.EINTR : -Errno.ERESTARTSYS,
    );
  }

  send(msg: OutgoingMessage, _sender: MessageCreds, _t: Task | null): number {
    const flags = msg.flags & ~(MSG.DONTWAIT | MSG.NOSIGNAL | MSG.CMSG_CLOEXEC);
    // TCP ignores sendto's address (tcp_sendmsg); a datagram's is checked as udp_sendmsg and udpv6_sendmsg do.
    const to = msg.to && msg.to.length > 0 && this.type !== SOCK.STREAM ? this.datagramDestination(msg.to) : null;
    for (const f of msg.rights ?? []) f.decRef();
    msg.rights = null;
    // write(2) hands a view of application memory: datagrams keep their own copy.
    const data = this.type === SOCK.STREAM ? msg.data : msg.data.slice();
    if (this.type === SOCK.STREAM) return this.inner.send(data, flags);
    const options = sendOptions(this.family, msg.protocolControl);
    return this.inner.sendto(data, flags, to && to.family !== AF.UNSPEC ? to : null, options);
  }

  /** A datagram's destination: an IPv6 socket takes only AF_INET6, AF_INET and AF_UNSPEC (EINVAL otherwise, udpv6_sendmsg). */
  private datagramDestination(raw: Uint8Array): SockAddr {
    const fam = sockaddrFamily(raw);
    if (this.family === AF.INET6 && raw.length >= 2 && fam !== AF.INET && fam !== AF.INET6 && fam !== AF.UNSPEC) throw new SysError(Errno.EINVAL);
    return decodeInetAddress(this.family, raw);
  }

  recv(max: number, flags: number): IncomingMessage {
    const r = this.inner.recvfrom(max, flags & ~MSG.CMSG_CLOEXEC);
    const control: ControlMessage[] = [];
    // A datagram's receive timestamp comes first (udp_recvmsg: sock_recv_cmsgs before ip_cmsg_recv).
    if (this.type !== SOCK.STREAM) {
      const stamp = this.timestamps.received(this.arrivalTime(r.arrivedAt));
      if (stamp) control.push(stamp);
    }
    // The IP-level messages the stack attached (UDP, ping), then TCP_INQ's count for TCP.
    control.push(...(r.control ?? []));
    if (this.inqCmsg) control.push({ level: SOL.TCP, type: TCP.CM_INQ, data: encodeIntOption(this.inner.inq()) });
    return {
      data: r.data,
      length: r.length,
      from: r.addr ? encodeInetAddress(r.addr) : null,
      rights: null,
      creds: null,
      flags: r.flags,
      control: control.length > 0 ? control : undefined,
    };
  }

  /** CLOCK_REALTIME nanoseconds of an arrival the stack timed in milliseconds on its clock (now, if it did not). */
  private arrivalTime(arrivedAt: number | undefined): bigint {
    const now = clockNow(CLOCK.REALTIME);
    if (arrivedAt === undefined) return now;
    const ageMs = Math.max(0, sandboxStack(this.kernel).clock.now() - arrivedAt);
    return now - BigInt(Math.round(ageMs * 1e6));
  }

  override userIoctl(t: Task, cmd: number, arg: number): number {
    if (cmd !== SIOC.GSTAMP && cmd !== SIOC.GSTAMPNS) return super.userIoctl(t, cmd, arg);
    t.mm.copyOut(arg, this.timestamps.query(clockNow(CLOCK.REALTIME), cmd === SIOC.GSTAMPNS));
    return 0;
  }

  inq(): number {
    return this.inner.inq();
  }

  outq(): number {
    return this.inner.outq();
  }

  shutdown(how: number): void {
    this.inner.shutdown(how);
  }

  sockname(): Uint8Array {
    return encodeInetAddress(this.inner.getsockname());
  }

  peername(accepting = false): Uint8Array {
    return encodeInetAddress(this.inner.getpeername(accepting));
  }

  protected override protocolGetOption(level: number, name: number): Uint8Array | undefined {
    if (level === SOL.SOCKET && (name === SO.RCVTIMEO || name === SO.SNDTIMEO)) return undefined;
    if (level === SOL.SOCKET && (name === SO.TIMESTAMP || name === SO.TIMESTAMPNS)) return encodeIntOption(this.timestamps.get(name));
    // Since Linux 6.16 SO_PASSCRED belongs to sockets that can carry credentials (AF_UNIX, AF_NETLINK).
    if (level === SOL.SOCKET && name === SO.PASSCRED) throw new SysError(Errno.EOPNOTSUPP);
    try {
      const value = this.inner.getsockopt(level, name);
      // Linux copies TCP_CONGESTION's name as a TCP_CA_NAME_MAX field (zero-padded), not as a C string.
      if (level === SOL.TCP && name === TCP.CONGESTION && typeof value === 'string') {
        const field = new Uint8Array(TCP_CA_NAME_MAX);
        field.set(new TextEncoder().encode(value).subarray(0, TCP_CA_NAME_MAX));
        return field;
      }
      return encodeOption(value);
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.ENOPROTOOPT && level === SOL.SOCKET) return undefined;
      throw e;
    }
  }

  protected override protocolSetOption(level: number, name: number, value: Uint8Array): boolean {
    if (level === SOL.SOCKET && (name === SO.RCVTIMEO || name === SO.SNDTIMEO)) return false;
    if (level === SOL.SOCKET && (name === SO.TIMESTAMP || name === SO.TIMESTAMPNS)) {
      this.timestamps.set(name, optionInt(value) !== 0);
      return true;
    }
    if (level === SOL.SOCKET && name === SO.PASSCRED) throw new SysError(Errno.EOPNOTSUPP);
    try {
      this.inner.setsockopt(level, name, decodeOption(level, name, value));
      if (level === SOL.TCP && name === TCP.INQ && this.type === SOCK.STREAM) this.inqCmsg = optionInt(value) !== 0;
      return true;
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.ENOPROTOOPT && level === SOL.SOCKET) return false;
      throw e;
    }
  }

  protected override installReceiveFilter(filter: ((packet: Uint8Array) => number) | null): boolean {
    if (!this.inner.setReceiveFilter) return false;
    this.inner.setReceiveFilter(filter);
    return true;
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return this.inner.poll() & (mask | POLL.ERR | POLL.HUP);
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.inner.subscribe(mask, cb);
  }

  override release(_fd: FileDescription): void {
    this.inner.close();
  }
}

/**
 * The IP header values a datagram's control messages ask for, checked as
 * ip_cmsg_send and ip6_datagram_send_ctl check them (EINVAL): IP_TTL an int
 * 1..255, IP_TOS an int or a byte 0..255; on an IPv6 socket IPV6_HOPLIMIT
 * and IPV6_TCLASS ints -1..255, -1 meaning the socket's own. Which of them
 * a datagram uses follows its route (IPv4, or IPv4-mapped, or IPv6). Other
 * types are not applied.
 */
function sendOptions(family: number, control: ControlMessage[] | undefined): SendOptions | undefined {
  if (!control) return undefined;
  const options: SendOptions = {};
  const int = (data: Uint8Array): number => new DataView(data.buffer, data.byteOffset, 4).getInt32(0, true);
  for (const { level, type, data } of control) {
    if (level === SOL.IP && type === IP.TTL) {
      if (data.length !== 4 || int(data) < 1 || int(data) > 255) throw new SysError(Errno.EINVAL);
      options.ttl = int(data);
    } else if (level === SOL.IP && type === IP.TOS) {
      const v = data.length === 4 ? int(data) : data.length === 1 ? data[0]! : -1;
      if (v < 0 || v > 255) throw new SysError(Errno.EINVAL);
      options.tos = v;
    } else if (family === AF.INET6 && level === SOL.IPV6 && (type === IPV6.HOPLIMIT || type === IPV6.TCLASS)) {
      if (data.length !== 4 || int(data) < -1 || int(data) > 255) throw new SysError(Errno.EINVAL);
      const v = int(data) === -1 ? undefined : int(data);
      if (type === IPV6.HOPLIMIT) options.hopLimit = v;
      else options.tclass = v;
    }
  }
  return options;
}

/** socket(2) for AF_INET/AF_INET6: a netstack socket on the sandbox's stack, or a sentry-owned host socket with -network=host. */
export function createInetSocket(kernel: Kernel, inode: SocketInode, family: number, type: number, protocol: number): InetSocket {
  const inner = usesHostNetwork(kernel) ? HostInetSocket.create(kernel, family, type, protocol) : createSocket(sandboxStack(kernel), family, type, protocol);
  return new InetSocket(inode, kernel, inner);
}
