// Raw IP sockets: socket(AF_INET or AF_INET6, SOCK_RAW, protocol), as raw(7)
// and Linux's net/ipv4/raw.c and net/ipv6/raw.c give them. Each socket sees a
// copy of every inbound packet of its protocol (the whole IPv4 packet, or
// what follows the IPv6 headers) that matches its bound address and
// connected peer; what it sends is the payload of one IP packet, or with
// IP_HDRINCL (always on IPPROTO_RAW) the packet itself.

import { AF, Errno, ICMP, ICMP6, IP, IPPROTO, IPV6, MSG, POLL, SO, SOCK, SOL, SysError } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import { set16 } from '../wire/bytes.js';
import { finishChecksum, internetChecksum, pseudoHeaderSum, sumBytes } from '../wire/checksum.js';
import { ETHERNET_HEADER_LEN, EtherType } from '../wire/ethernet.js';
import { IPV4_MIN_HEADER_LEN } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN } from '../wire/ipv6.js';
import { allocPacket, trafficClass } from '../stack/packet.js';
import type { RawEndpoint } from '../stack/raw.js';
import type { Stack } from '../stack/stack.js';
import type { PacketInfo, Route } from '../stack/types.js';
import { familyVersion, toSockAddr } from './address.js';
import { ConnectionlessSocket } from './connectionless-socket.js';
import { IpOptions } from './ip-options.js';
import { SocketBuffers, describingOption, intValue } from './options.js';
import { Readiness } from './readiness.js';
import { ipReceiveControl, type ArrivalInfo } from './recv-control.js';
import type { RecvResult, SockAddr, SockOptValue, Socket } from './types.js';

/** The largest payload raw_sendmsg takes (len > 0xFFFF is EMSGSIZE). */
const MAX_RAW_LEN = 0xffff;
/** IPPROTO_MAX: protocols are one byte. */
const IPPROTO_MAX = 256;
/** What a queued packet costs beyond its bytes: struct sk_buff and skb_shared_info, as Linux's SKB_TRUESIZE counts them. */
const SKB_STRUCT = 256;
const SKB_SHARED_INFO = 320;

/**
 * The receive-buffer charge of a packet of `len` bytes: its data rounded up
 * to the allocator's power-of-two size plus the buffer head, so a socket
 * holds as many packets before it drops as Linux's does.
 */
export function skbTruesize(len: number): number {
  let size = 512;
  while (size < len + SKB_SHARED_INFO) size *= 2;
  return size + SKB_STRUCT;
}

interface QueuedPacket {
  data: Uint8Array;
  from: IpAddress;
  charge: number;
  arrival: ArrivalInfo;
}

export class RawSocket extends ConnectionlessSocket implements Socket, RawEndpoint {
  readonly type = SOCK.RAW;
  readonly version: 4 | 6;
  private readonly readiness = new Readiness();
  private readonly ipOptions: IpOptions;
  private readonly queue: QueuedPacket[] = [];
  private queuedCharge = 0;
  private localAddr: IpAddress;
  private remoteAddr: IpAddress | null = null;
  private hdrincl: boolean;
  /** IPV6_CHECKSUM: where the transport checksum sits (-1: none); ICMPv6 sockets always use 2. */
  private checksumOffset: number;
  /** ICMP_FILTER: bit n set drops ICMP type n. */
  private icmpFilter = 0;
  /** ICMP6_FILTER's struct icmp6_filter: bit n of the 256 set drops ICMPv6 type n. */
  private readonly icmp6Filter = new Uint8Array(32);
  private readonly buffers = new SocketBuffers();
  private readShut = false;
  private closed = false;
  private flushQueued = false;

  constructor(
    private readonly stack: Stack,
    readonly family: number,
    readonly protocol: number,
  ) {
    super();
    this.version = familyVersion(family);
    if (protocol < 0 || protocol >= IPPROTO_MAX) throw new SysError(Errno.EINVAL);
    if (protocol === 0) throw new SysError(Errno.EPROTONOSUPPORT);
    this.localAddr = IpAddress.any(this.version);
    this.hdrincl = protocol === IPPROTO.RAW;
    this.checksumOffset = this.version === 6 && protocol === IPPROTO.ICMPV6 ? 2 : -1;
    this.ipOptions = new IpOptions(family, SOCK.RAW, stack);
    stack.raw.add(this);
  }

  bind(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      if (addr.family !== this.family) throw new SysError(Errno.EAFNOSUPPORT);
      const ip = IpAddress.parse(addr.addr);
      if (ip.version !== this.version) throw new SysError(Errno.EINVAL);
      if (!ip.isUnspecified && !ip.isMulticast && !ip.isLimitedBroadcast && !this.stack.isLocalAddress(ip)) throw new SysError(Errno.EADDRNOTAVAIL);
      this.localAddr = ip;
    });
  }

  connect(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      if (addr.family === AF.UNSPEC) {
        this.remoteAddr = null;
        return;
      }
      // ip4_datagram_connect and ip6_datagram_connect_v6_only: the socket's own family only.
      if (addr.family !== this.family) throw new SysError(Errno.EAFNOSUPPORT);
      const dst = this.destination(addr);
      const route = this.stack.findRoute(dst, this.boundSource());
      // Connecting fixes the source address, as an unbound datagram socket's connect does.
      if (this.localAddr.isUnspecified) this.localAddr = route.src;
      this.remoteAddr = dst;
    });
  }

  sendto(data: Uint8Array, flags: number, addr: SockAddr | null): number {
    return this.stack.call(() => {
      this.checkOpen();
      if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
      let dst: IpAddress;
      if (addr && addr.family !== AF.UNSPEC) {
        // rawv6_sendmsg: a sockaddr_in is shorter than SIN6_LEN_RFC2133, so EINVAL before the family is looked at.
        if (this.version === 6 && addr.family === AF.INET) throw new SysError(Errno.EINVAL);
        if (addr.family !== this.family) throw new SysError(Errno.EAFNOSUPPORT);
        dst = this.destination(addr);
      } else if (this.remoteAddr) dst = this.remoteAddr;
      else throw new SysError(Errno.EDESTADDRREQ);
      if (data.length > MAX_RAW_LEN) throw new SysError(Errno.EMSGSIZE);
      const route = this.stack.findRoute(dst, this.boundSource());
      if (this.version === 4) {
        if (this.hdrincl) this.sendHeaderIncluded(data, route);
        else {
          const pkt = allocPacket(data.length);
          pkt.buf.set(data, pkt.off);
          this.stack.sendIp(route, this.protocol, pkt, this.ipOptions.get(SOL.IP, IP.TTL) as number, this.ipOptions.get(SOL.IP, IP.TOS) as number);
        }
        return data.length;
      }
      // An IPv6 IPPROTO_RAW socket's data would be a whole packet, which Linux does not take from sendmsg.
      if (this.protocol === IPPROTO.RAW) throw new SysError(Errno.EINVAL);
      if (data.length + IPV6_HEADER_LEN > route.mtu) throw new SysError(Errno.EMSGSIZE);
      const pkt = allocPacket(data.length);
      pkt.buf.set(data, pkt.off);
      if (this.checksumOffset >= 0) {
        const at = this.checksumOffset;
        if (at + 2 > data.length) throw new SysError(Errno.EINVAL);
        set16(pkt.buf, pkt.off + at, 0);
        const sum = pseudoHeaderSum(route.src.bytes, dst.bytes, this.protocol, data.length) + sumBytes(pkt.buf, pkt.off, pkt.off + data.length);
        set16(pkt.buf, pkt.off + at, finishChecksum(sum));
      }
      this.stack.sendIp(
        route,
        this.protocol,
        pkt,
        this.ipOptions.get(SOL.IPV6, IPV6.UNICAST_HOPS) as number,
        this.ipOptions.get(SOL.IPV6, IPV6.TCLASS) as number,
      );
      return data.length;
    });
  }

  recvfrom(maxLen: number, flags = 0): RecvResult {
    return this.stack.call(() => {
      this.checkOpen();
      if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
      const p = this.queue[0];
      if (!p) {
        if (this.readShut) return { data: new Uint8Array(0), addr: null, flags: 0, length: 0 };
        throw new SysError(Errno.EAGAIN);
      }
      if (!(flags & MSG.PEEK)) {
        this.queue.shift();
        this.queuedCharge -= p.charge;
      }
      const truncated = p.data.length > maxLen;
      return {
        data: truncated ? p.data.slice(0, maxLen) : p.data,
        addr: toSockAddr(this.family, p.from, 0),
        flags: truncated ? MSG.TRUNC : 0,
        length: p.data.length,
        control: ipReceiveControl(this.ipOptions, p.arrival),
      };
    });
  }

  /** Datagram sockets shut down only once connected; SHUT_WR changes nothing a raw socket does (inet_shutdown, raw_sendmsg). */
  shutdown(how: number): void {
    this.checkOpen();
    if (!this.remoteAddr) throw new SysError(Errno.ENOTCONN);
    if (how === 0 || how === 2) this.readShut = true;
    this.stack.notify(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.readiness.clear();
    this.stack.raw.remove(this);
    this.queue.length = 0;
  }

  /** The port field holds the protocol (inet_num). */
  getsockname(): SockAddr {
    this.checkOpen();
    return toSockAddr(this.family, this.localAddr, this.protocol);
  }

  /** A raw socket has no peer port, so Linux's inet_getname says ENOTCONN even when connected. */
  getpeername(): SockAddr {
    this.checkOpen();
    throw new SysError(Errno.ENOTCONN);
  }

  setsockopt(level: number, name: number, value: SockOptValue): void {
    this.checkOpen();
    if (level === SOL.SOCKET) {
      if (this.buffers.set(name, value)) return;
      // No socket filter is ever attached here.
      if (name === SO.DETACH_FILTER) throw new SysError(Errno.ENOENT);
      throw new SysError(Errno.ENOPROTOOPT);
    }
    if (level === SOL.RAW) {
      if (name !== ICMP.FILTER || this.version !== 4) throw new SysError(Errno.ENOPROTOOPT);
      if (this.protocol !== IPPROTO.ICMP) throw new SysError(Errno.EOPNOTSUPP);
      if (!(value instanceof Uint8Array) && typeof value !== 'number') throw new SysError(Errno.EINVAL);
      const bytes = value instanceof Uint8Array ? value : Uint8Array.of(value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff);
      // raw_seticmpfilter: at most 4 bytes are read; fewer is allowed.
      const b = new Uint8Array(4);
      b.set(bytes.subarray(0, 4));
      this.icmpFilter = new DataView(b.buffer).getUint32(0, true);
      return;
    }
    if (level === IPPROTO.ICMPV6 && this.version === 6) {
      if (name !== ICMP6.FILTER) throw new SysError(Errno.ENOPROTOOPT);
      if (this.protocol !== IPPROTO.ICMPV6) throw new SysError(Errno.EOPNOTSUPP);
      if (!(value instanceof Uint8Array)) throw new SysError(Errno.EINVAL);
      // rawv6_seticmpfilter copies at most sizeof(struct icmp6_filter); a shorter value sets its prefix.
      this.icmp6Filter.set(value.subarray(0, 32));
      return;
    }
    // Linux's rawv6 sockets answer only SOL_IPV6 and SOL_ICMPV6 (and SOL_RAW).
    if (level === SOL.IP && this.version === 6) throw new SysError(Errno.ENOPROTOOPT);
    if (level === SOL.IP && name === IP.HDRINCL) {
      this.hdrincl = intValue(value) !== 0 || this.protocol === IPPROTO.RAW;
      return;
    }
    if (level === SOL.IPV6 && name === IPV6.CHECKSUM && this.version === 6) {
      // do_rawv6_setsockopt: ICMPv6 always checksums at 2; offsets must be even; -1 turns it off.
      if (this.protocol === IPPROTO.ICMPV6) throw new SysError(Errno.EINVAL);
      const v = intValue(value);
      if (v > 0 && v % 2 !== 0) throw new SysError(Errno.EINVAL);
      this.checksumOffset = v < 0 ? -1 : v;
      return;
    }
    if (this.ipOptions.set(level, name, value)) return;
    throw new SysError(Errno.ENOPROTOOPT);
  }

  getsockopt(level: number, name: number): SockOptValue {
    this.checkOpen();
    if (level === SOL.SOCKET) {
      const v = describingOption(name, this) ?? this.buffers.get(name);
      if (v === undefined) throw new SysError(Errno.ENOPROTOOPT);
      return v;
    }
    if (level === SOL.RAW) {
      if (name !== ICMP.FILTER || this.version !== 4) throw new SysError(Errno.ENOPROTOOPT);
      if (this.protocol !== IPPROTO.ICMP) throw new SysError(Errno.EOPNOTSUPP);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, this.icmpFilter, true);
      return b;
    }
    if (level === IPPROTO.ICMPV6 && this.version === 6) {
      if (name !== ICMP6.FILTER) throw new SysError(Errno.ENOPROTOOPT);
      if (this.protocol !== IPPROTO.ICMPV6) throw new SysError(Errno.EOPNOTSUPP);
      return this.icmp6Filter.slice();
    }
    if (level === SOL.IP && this.version === 6) throw new SysError(Errno.ENOPROTOOPT);
    // ip_getsockopt answers only SOL_IP: other levels on an IPv4 raw socket are EOPNOTSUPP (setsockopt's are ENOPROTOOPT).
    if (level !== SOL.IP && this.version === 4) throw new SysError(Errno.EOPNOTSUPP);
    if (level === SOL.IP && name === IP.HDRINCL) return this.hdrincl ? 1 : 0;
    if (level === SOL.IPV6 && name === IPV6.CHECKSUM && this.version === 6) return this.checksumOffset;
    const ip = this.ipOptions.get(level, name);
    if (ip !== undefined) return ip;
    throw new SysError(Errno.ENOPROTOOPT);
  }

  inq(): number {
    return this.queue[0]?.data.length ?? 0;
  }

  outq(): number {
    return 0;
  }

  poll(): number {
    if (this.closed) return POLL.NVAL;
    let mask = POLL.OUT | POLL.WRNORM | POLL.WRBAND;
    if (this.queue.length > 0 || this.readShut) mask |= POLL.IN | POLL.RDNORM;
    if (this.readShut) mask |= POLL.RDHUP;
    return mask;
  }

  subscribe(mask: number, cb: (readiness: number) => void): () => void {
    return this.readiness.subscribe(mask, cb);
  }

  /** @internal RawEndpoint: an inbound packet of this socket's version and protocol (raw_v4_input, ipv6_raw_deliver). */
  receive(info: PacketInfo, transport: Uint8Array): boolean {
    if (this.closed) return false;
    if (!this.localAddr.isUnspecified && this.localAddr.key !== info.dst.key) return false;
    if (this.remoteAddr && this.remoteAddr.key !== info.src.key) return false;
    if (this.version === 4 && this.protocol === IPPROTO.ICMP && transport.length > 0 && transport[0] < 32 && (this.icmpFilter >>> transport[0]) & 1)
      return true;
    if (this.version === 6 && this.checksumOffset >= 0) {
      // rawv6_rcv drops what fails the checksum the socket asked for.
      if (this.checksumOffset + 2 > transport.length) return true;
      const sum = pseudoHeaderSum(info.src.bytes, info.dst.bytes, this.protocol, transport.length) + sumBytes(transport);
      if (finishChecksum(sum) !== 0) return true;
    }
    if (this.version === 6 && this.protocol === IPPROTO.ICMPV6 && transport.length > 0 && (this.icmp6Filter[transport[0] >> 3] >> (transport[0] & 7)) & 1)
      return true;
    const data = (this.version === 4 ? info.networkPacket : transport).slice();
    // __sock_queue_rcv_skb: a full buffer drops; an empty one takes anything.
    if (this.queuedCharge >= this.buffers.rcv) return true;
    const charge = skbTruesize(data.length);
    const local = this.stack.isLocalAddress(info.dst) ? info.dst : (info.nic.primaryAddress(this.version) ?? info.dst);
    const arrival: ArrivalInfo = { dst: info.dst, local, dstPort: 0, nicId: info.nic.id, ttl: info.ttl, tos: trafficClass(info.networkPacket) };
    this.queue.push({ data, from: info.src, charge, arrival });
    this.queuedCharge += charge;
    if (!this.flushQueued && this.readiness.active) {
      this.flushQueued = true;
      this.stack.notify(this);
    }
    return true;
  }

  /** @internal Notifiable: wakes subscribers once the stack finishes its unit of work. */
  flushEvents(): void {
    this.flushQueued = false;
    if (this.readiness.active) this.readiness.dispatch(this.poll());
  }

  /**
   * IP_HDRINCL: `data` is the whole IPv4 packet. As raw_send_hdrinc, the
   * stack fills in the total length, the checksum, an identification when
   * it is 0 and the source when it is 0.0.0.0; the rest is the caller's.
   */
  private sendHeaderIncluded(data: Uint8Array, route: Route): void {
    if (data.length < IPV4_MIN_HEADER_LEN) throw new SysError(Errno.EINVAL);
    const ihl = (data[0] & 0x0f) * 4;
    if (ihl < IPV4_MIN_HEADER_LEN || ihl > data.length) throw new SysError(Errno.EINVAL);
    if (data.length > route.mtu) throw new SysError(Errno.EMSGSIZE);
    const buf = new Uint8Array(ETHERNET_HEADER_LEN + data.length);
    const off = ETHERNET_HEADER_LEN;
    buf.set(data, off);
    set16(buf, off + 2, data.length);
    if (buf[off + 4] === 0 && buf[off + 5] === 0) set16(buf, off + 4, Math.floor(this.stack.random() * 0x10000) || 1);
    if (buf.subarray(off + 12, off + 16).every((b) => b === 0)) buf.set(route.src.bytes, off + 12);
    set16(buf, off + 10, 0);
    set16(buf, off + 10, internetChecksum(buf, off, off + ihl));
    // A packet routed to this host is delivered here whatever its header's destination says (the route, not the header, decided).
    if (route.nic.isLoopback || route.local) {
      const pkt = buf.subarray(off);
      const nic = route.nic;
      this.stack.defer(() => this.stack.ipv4.receive(nic, pkt, true));
      return;
    }
    this.stack.transmit(route, buf, off, EtherType.IPV4);
  }

  /** A destination of this socket's version; the unspecified address means this host. */
  private destination(addr: SockAddr): IpAddress {
    const ip = IpAddress.parse(addr.addr);
    if (ip.version !== this.version) throw new SysError(Errno.EINVAL);
    if (ip.isUnspecified) return IpAddress.parse(this.version === 4 ? '127.0.0.1' : '::1');
    return ip;
  }

  private boundSource(): IpAddress | null {
    return this.localAddr.isUnspecified || this.localAddr.isMulticast || this.localAddr.isLimitedBroadcast ? null : this.localAddr;
  }

  private checkOpen(): void {
    if (this.closed) throw new SysError(Errno.EBADF);
  }
}
