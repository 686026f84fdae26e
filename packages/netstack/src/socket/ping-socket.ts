// ICMP datagram ("ping") sockets: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)
// and socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6), as Linux's net/ipv4/ping.c
// gives them. The application writes an echo request (header + data); the
// stack puts the socket's identifier (its "port") in the header, fills in the
// checksum and sends it. Echo replies carrying that identifier are queued to
// the socket whole (ICMP header + data), with the replier as the source
// address and port 0.

import { AF, Errno, IPPROTO, IPV6, IP, MSG, POLL, SO, SOCK, SOL, SysError } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import { emitIcmpv4, Icmpv4Type, ICMP_HEADER_LEN, type Icmpv4Repr } from '../wire/icmpv4.js';
import { emitIcmpv6, Icmpv6Type, type Icmpv6Repr } from '../wire/icmpv6.js';
import { allocPacket, trafficClass } from '../stack/packet.js';
import { PortTable, type PortBinding } from '../stack/ports.js';
import type { Stack } from '../stack/stack.js';
import type { PacketInfo } from '../stack/types.js';
import { familyVersion, toSockAddr } from './address.js';
import { SocketBuffers, describingOption, intValue } from './options.js';
import { IpOptions } from './ip-options.js';
import { ipReceiveControl, type ArrivalInfo } from './recv-control.js';

import { ConnectionlessSocket } from './connectionless-socket.js';
import { Readiness } from './readiness.js';
import type { RecvResult, SockAddr, SockOptValue, Socket } from './types.js';

/** The largest ICMP message a ping socket sends (ping_v4_sendmsg: len > 0xFFFF is EMSGSIZE). */
const MAX_PING_LEN = 0xffff;

interface QueuedReply {
  data: Uint8Array;
  from: IpAddress;
  arrival: ArrivalInfo;
}

/** Per-stack ping identifiers and reply demultiplexing (ping_table in Linux). */
class PingTable {
  readonly idents: Record<4 | 6, PortTable>;
  private readonly byIdent = new Map<string, Set<PingSocket>>();

  constructor(stack: Stack) {
    this.idents = { 4: new PortTable(true, stack.random), 6: new PortTable(true, stack.random) };
    stack.onIcmp((version, info, msg) => {
      const reply = version === 4 ? Icmpv4Type.ECHO_REPLY : Icmpv6Type.ECHO_REPLY;
      if (msg.type !== reply || msg.code !== 0) return;
      const ident = msg.rest >>> 16;
      for (const s of this.byIdent.get(`${version}:${ident}`) ?? []) s.deliver(info, msg);
    });
  }

  add(version: 4 | 6, ident: number, s: PingSocket): void {
    const key = `${version}:${ident}`;
    let set = this.byIdent.get(key);
    if (!set) this.byIdent.set(key, (set = new Set()));
    set.add(s);
  }

  remove(version: 4 | 6, ident: number, s: PingSocket): void {
    const key = `${version}:${ident}`;
    const set = this.byIdent.get(key);
    set?.delete(s);
    if (set?.size === 0) this.byIdent.delete(key);
  }
}

const tables = new WeakMap<Stack, PingTable>();

function pingTable(stack: Stack): PingTable {
  let t = tables.get(stack);
  if (!t) tables.set(stack, (t = new PingTable(stack)));
  return t;
}

export class PingSocket extends ConnectionlessSocket implements Socket {
  readonly type = SOCK.DGRAM;
  readonly protocol: number;
  private readonly version: 4 | 6;
  private readonly table: PingTable;
  private readonly readiness = new Readiness();
  private readonly ipOptions: IpOptions;
  private readonly queue: QueuedReply[] = [];
  private queuedBytes = 0;
  private localAddr: IpAddress;
  private binding: PortBinding | null = null;
  private remoteAddr: IpAddress | null = null;
  private ttl = -1;
  private tos = 0;
  private readonly buffers = new SocketBuffers();
  private reuseAddr = false;
  private closed = false;
  private flushQueued = false;

  constructor(
    private readonly stack: Stack,
    readonly family: number,
  ) {
    super();
    this.version = familyVersion(family);
    this.protocol = this.version === 4 ? IPPROTO.ICMP : IPPROTO.ICMPV6;
    this.table = pingTable(stack);
    this.localAddr = IpAddress.any(this.version);
    this.ipOptions = new IpOptions(family, SOCK.DGRAM, stack);
  }

  /** The identifier echo requests carry (0 until bound). */
  get ident(): number {
    return this.binding?.port ?? 0;
  }

  bind(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      const { ip, port } = this.parseBindAddress(addr);
      if (this.binding) throw new SysError(Errno.EINVAL);
      this.reserve(ip, port);
    });
  }

  connect(addr: SockAddr): void {
    this.stack.call(() => {
      this.checkOpen();
      if (addr.family === AF.UNSPEC) {
        this.remoteAddr = null;
        return;
      }
      const dst = this.parseDestination(addr);
      this.stack.findRoute(dst, this.localAddr.isUnspecified ? null : this.localAddr);
      // Connecting picks an identifier: EAGAIN when every one is taken (ping_get_port).
      if (!this.binding) this.reserve(this.localAddr, 0);
      this.remoteAddr = dst;
    });
  }

  sendto(data: Uint8Array, flags: number, addr: SockAddr | null): number {
    return this.stack.call(() => {
      this.checkOpen();
      if (data.length > MAX_PING_LEN) throw new SysError(Errno.EMSGSIZE);
      if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
      if (data.length < ICMP_HEADER_LEN) throw new SysError(Errno.EINVAL);
      const request = this.version === 4 ? Icmpv4Type.ECHO_REQUEST : Icmpv6Type.ECHO_REQUEST;
      if (data[0] !== request || data[1] !== 0) throw new SysError(Errno.EINVAL);
      let dst: IpAddress;
      if (addr && addr.family !== AF.UNSPEC) dst = this.parseDestination(addr);
      else if (this.remoteAddr) dst = this.remoteAddr;
      else throw new SysError(Errno.EDESTADDRREQ);
      if (data.length > this.buffers.snd) throw new SysError(Errno.EMSGSIZE);
      const route = this.stack.findRoute(dst, this.localAddr.isUnspecified ? null : this.localAddr);
      if (route.broadcast && !dst.isMulticast) throw new SysError(Errno.EACCES);
      if (this.version === 6 && data.length + 40 > route.mtu) throw new SysError(Errno.EMSGSIZE);
      if (!this.binding) this.reserve(this.localAddr, 0);
      // The identifier is the socket's; the sequence number and data are the caller's.
      const seq = ((data[6] << 8) | data[7]) >>> 0;
      const rest = ((this.ident << 16) | seq) >>> 0;
      const body = data.subarray(ICMP_HEADER_LEN);
      const pkt = allocPacket(data.length);
      if (this.version === 4) emitIcmpv4({ type: request, code: 0, rest, body }, pkt.buf, pkt.off);
      else emitIcmpv6({ type: request, code: 0, rest, body }, pkt.buf, pkt.off, route.src, dst);
      const ttl = this.ttl === -1 ? undefined : this.ttl;
      const tos = this.version === 4 ? this.tos : (this.ipOptions.get(SOL.IPV6, IPV6.TCLASS) as number);
      this.stack.sendIp(route, this.protocol, pkt, ttl, tos);
      return data.length;
    });
  }

  recvfrom(maxLen: number, flags = 0): RecvResult {
    return this.stack.call(() => {
      this.checkOpen();
      if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
      const r = this.queue[0];
      if (!r) throw new SysError(Errno.EAGAIN);
      if (!(flags & MSG.PEEK)) {
        this.queue.shift();
        this.queuedBytes -= r.data.length;
      }
      const truncated = r.data.length > maxLen;
      return {
        data: truncated ? r.data.slice(0, maxLen) : r.data,
        addr: toSockAddr(this.family, r.from, 0),
        flags: truncated ? MSG.TRUNC : 0,
        length: r.data.length,
        control: ipReceiveControl(this.ipOptions, r.arrival),
      };
    });
  }

  shutdown(): void {
    this.checkOpen();
    throw new SysError(Errno.ENOTCONN);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.readiness.clear();
    this.stack.call(() => this.release());
  }

  getsockname(): SockAddr {
    this.checkOpen();
    return toSockAddr(this.family, this.localAddr, this.ident);
  }

  getpeername(): SockAddr {
    this.checkOpen();
    if (!this.remoteAddr) throw new SysError(Errno.ENOTCONN);
    return toSockAddr(this.family, this.remoteAddr, 0);
  }

  setsockopt(level: number, name: number, value: SockOptValue): void {
    this.checkOpen();
    if (level === SOL.SOCKET) {
      if (this.buffers.set(name, value)) return;
      if (name !== SO.REUSEADDR) throw new SysError(Errno.ENOPROTOOPT);
      this.reuseAddr = intValue(value) !== 0;
      return;
    }
    if (level === SOL.IP && this.version === 4 && name === IP.TTL) {
      const v = intValue(value);
      if (v !== -1 && (v < 1 || v > 255)) throw new SysError(Errno.EINVAL);
      this.ttl = v;
    } else if (level === SOL.IP && this.version === 4 && name === IP.TOS) {
      this.tos = intValue(value) & 0xff;
    } else if (level === SOL.IPV6 && this.version === 6 && name === IPV6.UNICAST_HOPS) {
      const v = intValue(value);
      if (v < -1 || v > 255) throw new SysError(Errno.EINVAL);
      this.ttl = v;
    }
    if (this.ipOptions.set(level, name, value)) return;
    throw new SysError(Errno.ENOPROTOOPT);
  }

  getsockopt(level: number, name: number): SockOptValue {
    this.checkOpen();
    if (level === SOL.SOCKET) {
      const v = name === SO.REUSEADDR ? (this.reuseAddr ? 1 : 0) : (describingOption(name, this) ?? this.buffers.get(name));
      if (v === undefined) throw new SysError(Errno.ENOPROTOOPT);
      return v;
    }
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
    let mask = POLL.OUT | POLL.WRNORM;
    if (this.queue.length > 0) mask |= POLL.IN | POLL.RDNORM;
    return mask;
  }

  subscribe(mask: number, cb: (readiness: number) => void): () => void {
    return this.readiness.subscribe(mask, cb);
  }

  /** @internal An echo reply carrying this socket's identifier arrived (ping_rcv). */
  deliver(info: PacketInfo, msg: Icmpv4Repr | Icmpv6Repr): void {
    if (this.closed) return;
    // A socket bound to an address takes only replies sent to it.
    if (!this.localAddr.isUnspecified && this.localAddr.key !== info.dst.key) return;
    const data = new Uint8Array(ICMP_HEADER_LEN + msg.body.length);
    if (this.version === 4) emitIcmpv4(msg, data, 0);
    else emitIcmpv6(msg, data, 0, info.src, info.dst);
    if (this.queuedBytes + data.length > this.buffers.rcv) return;
    // Linux's ping sockets never fill in IP_PKTINFO's ipi_spec_dst (ping_rcv skips ipv4_pktinfo_prepare): it reads as 0.0.0.0.
    const local = IpAddress.any(this.version);
    const arrival: ArrivalInfo = { dst: info.dst, local, dstPort: 0, nicId: info.nic.id, ttl: info.ttl, tos: trafficClass(info.networkPacket) };
    this.queue.push({ data, from: info.src, arrival });
    this.queuedBytes += data.length;
    if (!this.flushQueued && this.readiness.active) {
      this.flushQueued = true;
      this.stack.notify(this);
    }
  }

  /** @internal Notifiable: wakes subscribers once the stack finishes its unit of work. */
  flushEvents(): void {
    this.flushQueued = false;
    if (this.readiness.active) this.readiness.dispatch(this.poll());
  }

  /** Linux's ping_check_bind_addr: the family, then a local unicast address (or the wildcard). */
  private parseBindAddress(addr: SockAddr): { ip: IpAddress; port: number } {
    if (this.version === 4) {
      const unspecAny = addr.family === AF.UNSPEC && IpAddress.parse(addr.addr).isUnspecified;
      if (addr.family !== AF.INET && !unspecAny) throw new SysError(Errno.EAFNOSUPPORT);
    } else {
      // A sockaddr_in is shorter than SIN6_LEN_RFC2133: EINVAL before the family is looked at.
      if (addr.family === AF.INET) throw new SysError(Errno.EINVAL);
      if (addr.family !== AF.INET6) throw new SysError(Errno.EAFNOSUPPORT);
    }
    const ip = IpAddress.parse(addr.addr);
    if (ip.version !== this.version) throw new SysError(Errno.EINVAL);
    if (this.version === 6 && (ip.isV4Mapped || ip.isMulticast)) throw new SysError(Errno.EINVAL);
    if (!ip.isUnspecified && !this.stack.isLocalAddress(ip)) throw new SysError(Errno.EADDRNOTAVAIL);
    return { ip, port: addr.port };
  }

  /** A destination for sendto/connect: the socket's family (EAFNOSUPPORT) and an address of its version (EINVAL). */
  private parseDestination(addr: SockAddr): IpAddress {
    if (addr.family !== this.family) throw new SysError(this.version === 6 && addr.family === AF.INET ? Errno.EINVAL : Errno.EAFNOSUPPORT);
    const ip = IpAddress.parse(addr.addr);
    if (ip.version !== this.version || ip.isV4Mapped) throw new SysError(Errno.EINVAL);
    if (ip.isUnspecified) return IpAddress.parse(this.version === 4 ? '127.0.0.1' : '::1');
    return ip;
  }

  /** Claims an identifier (0 = any free one; none left is EAGAIN, as ping_get_port). */
  private reserve(ip: IpAddress, port: number): void {
    const binding: PortBinding = { addr: ip, port, v6only: true, reuseAddr: this.reuseAddr, reusePort: false, isListening: () => false };
    try {
      this.table.idents[this.version].reserve(binding);
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.EADDRNOTAVAIL) throw new SysError(Errno.EAGAIN);
      throw e;
    }
    this.binding = binding;
    this.localAddr = ip;
    this.table.add(this.version, binding.port, this);
  }

  private release(): void {
    if (!this.binding) return;
    this.table.idents[this.version].release(this.binding);
    this.table.remove(this.version, this.binding.port, this);
    this.binding = null;
  }

  private checkOpen(): void {
    if (this.closed) throw new SysError(Errno.EBADF);
  }
}
