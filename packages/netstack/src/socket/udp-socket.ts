// SOCK_DGRAM sockets over the UDP endpoint, with Linux's errno and poll
// semantics (udp_sendmsg, udp_recvmsg, datagram_poll).

import { AF, Errno, IPPROTO, IPV6, IP, MSG, POLL, SHUT, SO, SOCK, SOL, SysError } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import type { Stack } from '../stack/stack.js';
import type { UdpEndpoint } from '../udp/endpoint.js';
import type { Nic } from '../stack/nic.js';
import { familyVersion, parseSockAddr, toSockAddr } from './address.js';
import { bufferSize, forcedBufferSize, intValue } from './options.js';
import { IpOptions } from './ip-options.js';
import { ipReceiveControl } from './recv-control.js';
import { ConnectionlessSocket } from './connectionless-socket.js';
import { Readiness } from './readiness.js';
import type { RecvResult, SockAddr, SockOptValue, Socket } from './types.js';
import type { ReceiveFilter, SendOptions } from '../stack/types.js';

export class UdpSocket extends ConnectionlessSocket implements Socket {
  readonly type = SOCK.DGRAM;
  readonly protocol = IPPROTO.UDP;
  private readonly ep: UdpEndpoint;
  private readonly readiness = new Readiness();
  /** IP-level options the protocol does not apply itself (ip(7), ipv6(7)). */
  private readonly ipOptions: IpOptions;
  private closed = false;
  private shutRd = false;
  private shutWr = false;
  /** bind(2) named an address / a port (SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK): disconnecting keeps them. */
  private addrLocked = false;
  private portLocked = false;

  constructor(
    private readonly stack: Stack,
    readonly family: number,
  ) {
    super();
    this.ep = stack.udp.createEndpoint(familyVersion(family));
    this.ipOptions = new IpOptions(family, SOCK.DGRAM, stack);
    this.ep.onEvent = () => {
      if (this.readiness.active) this.readiness.dispatch(this.poll());
    };
  }

  bind(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      if (this.ep.binding) throw new SysError(Errno.EINVAL);
      const { ip, port } = parseSockAddr(this.family, addr);
      this.checkV6Only(ip);
      // Linux lets UDP sockets bind to local, broadcast and multicast addresses.
      if (!ip.isUnspecified && !ip.isMulticast && !ip.isLimitedBroadcast && !this.stack.isLocalAddress(ip) && !this.isSubnetBroadcast(ip)) {
        throw new SysError(Errno.EADDRNOTAVAIL);
      }
      this.stack.udp.bind(this.ep, ip, port);
      this.addrLocked = !ip.isUnspecified;
      this.portLocked = port !== 0;
    });
  }

  connect(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (addr.family === AF.UNSPEC) {
        ep.remoteAddr = null;
        ep.remotePort = 0;
        // What bind() did not fix goes back to unbound (__udp_disconnect).
        if (ep.binding && !this.addrLocked) this.stack.udp.setLocalAddress(ep, IpAddress.any(ep.family));
        if (ep.binding && !this.portLocked) {
          this.stack.udp.unbind(ep);
          ep.localPort = 0;
        }
        return;
      }
      // An IPv6 socket may connect to an AF_INET address (udpv6 hands it to ip4_datagram_connect).
      if (this.family === AF.INET6 && addr.family === AF.INET) {
        if (ep.v6only) throw new SysError(Errno.EAFNOSUPPORT);
        addr = { family: AF.INET6, addr: `::ffff:${addr.addr}`, port: addr.port };
      }
      const { ip, port } = parseSockAddr(this.family, addr);
      this.checkV6Only(ip);
      this.checkDestinationVersion(ip);
      // Port 0 is allowed: the socket is connected, but has no peer to name (getpeername is ENOTCONN).
      const dst = ip.isUnspecified ? IpAddress.parse(ip.version === 4 ? '127.0.0.1' : '::1') : ip;
      const route = ep.routeTo(dst);
      if (route.broadcast && !dst.isMulticast && !ep.broadcast) throw new SysError(Errno.EACCES);
      if (!ep.binding) this.stack.udp.autobind(ep);
      if (ep.localAddr.isUnspecified && !route.broadcast) this.stack.udp.setLocalAddress(ep, route.src);
      ep.remoteAddr = dst;
      ep.remotePort = port;
      ep.error = 0;
    });
  }

  sendto(data: Uint8Array, flags: number, addr: SockAddr | null, options?: SendOptions): number {
    return this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
      if (this.shutWr) throw new SysError(Errno.EPIPE);
      if (ep.error && ep.remoteAddr) throw new SysError(this.takeError());
      if (addr) {
        // An AF_INET destination on an IPv6 socket goes the IPv4 way (udpv6_sendmsg's do_udp_sendmsg), unless IPV6_V6ONLY.
        if (this.family === AF.INET6 && addr.family === AF.INET) {
          if (ep.v6only) throw new SysError(Errno.ENETUNREACH);
          addr = { family: AF.INET6, addr: `::ffff:${addr.addr}`, port: addr.port };
        }
        const { ip, port } = parseSockAddr(this.family, addr);
        this.checkV6Only(ip);
        this.checkDestinationVersion(ip);
        ep.send(data, ip, port, options);
      } else {
        if (!ep.remoteAddr) throw new SysError(Errno.EDESTADDRREQ);
        ep.send(data, null, 0, options);
      }
      return data.length;
    });
  }

  recvfrom(maxLen: number, flags = 0): RecvResult {
    return this.stack.call(() => {
      this.checkOpen();
      const ep = this.ep;
      if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
      const d = ep.dequeue((flags & MSG.PEEK) !== 0);
      if (!d) {
        if (ep.error) throw new SysError(this.takeError());
        // After SHUT_RD an empty queue reads as end of file, but only to a caller that would wait:
        // a non-blocking one (MSG_DONTWAIT) gets EAGAIN, as __skb_recv_udp gives it.
        if (this.shutRd && !(flags & MSG.DONTWAIT)) return { data: new Uint8Array(0), addr: null, flags: 0, length: 0 };
        throw new SysError(Errno.EAGAIN);
      }
      const truncated = d.data.length > maxLen;
      const data = truncated ? d.data.slice(0, maxLen) : d.data;
      const local = d.dstAddr.isMulticast || !this.stack.isLocalAddress(d.dstAddr) ? (d.nic.primaryAddress(d.dstAddr.version) ?? d.dstAddr) : d.dstAddr;
      const control = ipReceiveControl(this.ipOptions, { dst: d.dstAddr, local, dstPort: ep.localPort, nicId: d.nic.id, ttl: d.ttl, tos: d.tos });
      return {
        data,
        addr: toSockAddr(this.family, d.srcAddr, d.srcPort),
        flags: truncated ? MSG.TRUNC : 0,
        length: d.data.length,
        control,
        arrivedAt: d.arrivedAt,
      };
    });
  }

  shutdown(how: number): void {
    this.checkOpen();
    if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) throw new SysError(Errno.EINVAL);
    if (!this.ep.remoteAddr) throw new SysError(Errno.ENOTCONN);
    if (how !== SHUT.WR) this.shutRd = true;
    if (how !== SHUT.RD) this.shutWr = true;
    this.stack.call(() => this.ep.signal());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.readiness.clear();
    this.ep.closed = true;
    this.ep.onEvent = null;
    this.stack.call(() => {
      this.stack.udp.leaveAllGroups(this.ep);
      this.stack.udp.unbind(this.ep);
    });
  }

  getsockname(): SockAddr {
    this.checkOpen();
    return toSockAddr(this.family, this.ep.localAddr, this.ep.localPort);
  }

  getpeername(): SockAddr {
    this.checkOpen();
    if (!this.ep.remoteAddr || this.ep.remotePort === 0) throw new SysError(Errno.ENOTCONN);
    return toSockAddr(this.family, this.ep.remoteAddr, this.ep.remotePort);
  }

  setReceiveFilter(filter: ReceiveFilter | null): void {
    this.ep.receiveFilter = filter;
  }

  setsockopt(level: number, name: number, value: SockOptValue): void {
    this.checkOpen();
    const ep = this.ep;
    if (level === SOL.SOCKET) {
      switch (name) {
        case SO.REUSEADDR:
          ep.reuseAddr = intValue(value) !== 0;
          if (ep.binding) ep.binding.reuseAddr = ep.reuseAddr;
          return;
        case SO.REUSEPORT:
          ep.reusePort = intValue(value) !== 0;
          if (ep.binding) ep.binding.reusePort = ep.reusePort;
          return;
        case SO.BROADCAST:
          ep.broadcast = intValue(value) !== 0;
          return;
        case SO.RCVBUF:
          ep.rcvBufSize = bufferSize(value, 2304);
          return;
        case SO.SNDBUF:
          ep.sndBufSize = bufferSize(value, 4608);
          return;
        case SO.RCVBUFFORCE:
          ep.rcvBufSize = forcedBufferSize(value, 2304);
          return;
        case SO.SNDBUFFORCE:
          ep.sndBufSize = forcedBufferSize(value, 4608);
          return;
        default:
          throw new SysError(Errno.ENOPROTOOPT);
      }
    }
    if (level === SOL.IP && this.family === AF.INET) {
      if (name === IP.TTL) {
        const v = intValue(value);
        if (v < -1 || v === 0 || v > 255) throw new SysError(Errno.EINVAL);
        ep.ttl = v === -1 ? 64 : v;
        return;
      }
      if (name === IP.TOS) {
        ep.tos = intValue(value) & 0xff;
        return;
      }
    }
    if (level === SOL.IPV6 && this.family === AF.INET6) {
      if (name === IPV6.V6ONLY) {
        if (ep.binding) throw new SysError(Errno.EINVAL);
        ep.v6only = intValue(value) !== 0;
        return;
      }
      if (name === IPV6.UNICAST_HOPS) {
        const v = intValue(value);
        if (v < -1 || v > 255) throw new SysError(Errno.EINVAL);
        ep.ttl = v === -1 ? 64 : v;
        return;
      }
    }
    if (level === SOL.IP && this.family === AF.INET && (name === IP.ADD_MEMBERSHIP || name === IP.DROP_MEMBERSHIP)) {
      this.stack.call(() => this.changeMembership(name === IP.ADD_MEMBERSHIP, value));
      return;
    }
    if (this.ipOptions.set(level, name, value)) {
      if (level === SOL.IP) this.applyMulticastOptions();
      // IPV6_TCLASS is the traffic class of what an IPv6 socket sends.
      if (level === SOL.IPV6 && name === IPV6.TCLASS) this.ep.tos = this.ipOptions.get(SOL.IPV6, IPV6.TCLASS) as number;
      return;
    }
    throw new SysError(Errno.ENOPROTOOPT);
  }

  /** Copies the IP_MULTICAST_* options IpOptions validated and keeps into the endpoint, which applies them. */
  private applyMulticastOptions(): void {
    const m = this.ipOptions.multicast;
    this.ep.multicastTtl = m.ttl;
    this.ep.multicastAll = m.all;
    this.ep.multicastIfIndex = m.ifIndex;
    this.ep.multicastIfAddr = m.ifAddr.every((b) => b === 0) ? null : IpAddress.fromBytes(m.ifAddr);
  }

  /**
   * IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP with an ip_mreq or ip_mreqn: the
   * interface is the index, else the one holding the address, else the one
   * the routing table picks for the group (ENODEV when there is none).
   */
  private changeMembership(join: boolean, value: SockOptValue): void {
    if (!(value instanceof Uint8Array) || value.length < 8) throw new SysError(Errno.EINVAL);
    const group = IpAddress.fromBytes(value.subarray(0, 4));
    if (!group.isMulticast) throw new SysError(Errno.EINVAL);
    const addr = IpAddress.fromBytes(value.subarray(4, 8));
    const ifindex = value.length >= 12 ? new DataView(value.buffer, value.byteOffset + 8, 4).getInt32(0, true) : 0;
    let nic: Nic | null = null;
    if (ifindex !== 0) nic = this.stack.listNics().find((n) => n.id === ifindex) ?? null;
    else if (!addr.isUnspecified) nic = this.stack.isLocalAddress(addr);
    else {
      try {
        nic = this.stack.findRoute(group).nic;
      } catch {
        nic = null;
      }
    }
    if (join) {
      if (!nic) throw new SysError(Errno.ENODEV);
      this.stack.udp.joinGroup(this.ep, group, nic);
      return;
    }
    if (!nic) throw new SysError(ifindex === 0 && addr.isUnspecified ? Errno.ENODEV : Errno.EADDRNOTAVAIL);
    this.stack.udp.leaveGroup(this.ep, group, nic.id);
  }

  getsockopt(level: number, name: number): SockOptValue {
    this.checkOpen();
    const ep = this.ep;
    if (level === SOL.SOCKET) {
      switch (name) {
        case SO.TYPE:
          return SOCK.DGRAM;
        case SO.DOMAIN:
          return this.family;
        case SO.PROTOCOL:
          return IPPROTO.UDP;
        case SO.ERROR:
          return this.takeError();
        case SO.REUSEADDR:
          return ep.reuseAddr ? 1 : 0;
        case SO.REUSEPORT:
          return ep.reusePort ? 1 : 0;
        case SO.BROADCAST:
          return ep.broadcast ? 1 : 0;
        case SO.RCVBUF:
          return ep.rcvBufSize;
        case SO.SNDBUF:
          return ep.sndBufSize;
        case SO.ACCEPTCONN:
          return 0;
        default:
          throw new SysError(Errno.ENOPROTOOPT);
      }
    }
    if (level === SOL.IP && this.family === AF.INET) {
      if (name === IP.TTL) return ep.ttl;
      if (name === IP.TOS) return ep.tos;
    }
    if (level === SOL.IPV6 && this.family === AF.INET6) {
      if (name === IPV6.V6ONLY) return ep.v6only ? 1 : 0;
      if (name === IPV6.UNICAST_HOPS) return ep.ttl;
    }
    const ip = this.ipOptions.get(level, name);
    if (ip !== undefined) return ip;
    // An IPv4 socket's getsockopt at another protocol's level is EOPNOTSUPP (do_ip_getsockopt).
    if (this.family === AF.INET && level !== SOL.IP && level !== IPPROTO.UDP) throw new SysError(Errno.EOPNOTSUPP);
    throw new SysError(Errno.ENOPROTOOPT);
  }

  inq(): number {
    return Math.max(0, this.ep.nextSize);
  }

  outq(): number {
    return 0; // datagrams leave at once
  }

  /** Linux datagram_poll. */
  poll(): number {
    if (this.closed) return POLL.NVAL;
    let mask = POLL.OUT | POLL.WRNORM;
    if (this.ep.pending > 0) mask |= POLL.IN | POLL.RDNORM;
    if (this.ep.error) mask |= POLL.ERR;
    if (this.shutRd) mask |= POLL.RDHUP | POLL.IN | POLL.RDNORM;
    if (this.shutRd && this.shutWr) mask |= POLL.HUP;
    return mask;
  }

  subscribe(mask: number, cb: (readiness: number) => void): () => void {
    return this.readiness.subscribe(mask, cb);
  }

  private isSubnetBroadcast(ip: IpAddress): boolean {
    if (ip.version !== 4) return false;
    return this.stack
      .listNics()
      .some((n) => n.addresses.some((a) => a.address.version === 4 && a.prefixLen < 31 && a.address.subnetBroadcast(a.prefixLen).key === ip.key));
  }

  private checkV6Only(ip: IpAddress): void {
    if (this.family === AF.INET6 && this.ep.v6only && ip.version === 4) throw new SysError(Errno.ENETUNREACH);
  }

  /**
   * An IPv6 socket whose local address is IPv6 cannot reach an IPv4 peer
   * (ENETUNREACH), and one whose local address is v4-mapped cannot reach an
   * IPv6 peer (EAFNOSUPPORT), as udpv6_sendmsg decides.
   */
  private checkDestinationVersion(ip: IpAddress): void {
    const local = this.ep.localAddr;
    if (this.family !== AF.INET6 || local.isUnspecified || local.version === ip.version) return;
    throw new SysError(local.version === 6 ? Errno.ENETUNREACH : Errno.EAFNOSUPPORT);
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
