// One UDP socket's protocol state: its binding, optional peer, receive queue
// and pending error.

import { Errno, IPPROTO, SysError } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import { emitUdp, UDP_HEADER_LEN } from '../wire/udp.js';
import { IPV4_MIN_HEADER_LEN } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN } from '../wire/ipv6.js';
import { allocPacket } from '../stack/packet.js';
import type { PortBinding } from '../stack/ports.js';
import type { Stack } from '../stack/stack.js';
import type { Nic } from '../stack/nic.js';
import type { ReceiveFilter, Route, SendOptions } from '../stack/types.js';
import type { UdpProtocol } from './protocol.js';

/** Linux's net.core.rmem_default / wmem_default. */
export const UDP_DEFAULT_BUF = 212992;

/** A received datagram. */
export interface Datagram {
  data: Uint8Array;
  srcAddr: IpAddress;
  srcPort: number;
  /** Local address it was sent to. */
  dstAddr: IpAddress;
  nic: Nic;
  /** TTL / hop limit and TOS / traffic class of its IP header. */
  ttl: number;
  tos: number;
  /** When it arrived, on the stack's clock (SO_TIMESTAMP, SIOCGSTAMP). */
  arrivedAt: number;
}

export class UdpEndpoint {
  localAddr: IpAddress;
  localPort = 0;
  remoteAddr: IpAddress | null = null;
  remotePort = 0;
  binding: PortBinding | null = null;
  v6only = false;
  reuseAddr = false;
  reusePort = false;
  broadcast = false;
  ttl = 64;
  tos = 0;
  rcvBufSize = UDP_DEFAULT_BUF;
  /** SO_ATTACH_FILTER: every arriving datagram passes it before it is queued. */
  receiveFilter: ReceiveFilter | null = null;
  sndBufSize = UDP_DEFAULT_BUF;
  /** IP_MULTICAST_TTL: the TTL of datagrams sent to a multicast group. */
  multicastTtl = 1;
  /** IP_MULTICAST_ALL: take a group's datagrams even without a membership of this socket's own, if the interface joined it. */
  multicastAll = true;
  /** IP_MULTICAST_IF: the interface index (0 = none) and source address (null = none) for multicast sends. */
  multicastIfIndex = 0;
  multicastIfAddr: IpAddress | null = null;
  /** IP_ADD_MEMBERSHIP: the groups this socket joined, each on one interface. */
  readonly memberships: { group: IpAddress; nicId: number }[] = [];
  /** Pending error (SO_ERROR), e.g. ECONNREFUSED from an ICMP port unreachable. */
  error = 0;
  /** When this endpoint was bound (most recent wins unicast ties, as in Linux's hash chains). */
  bindOrder = 0;
  private readonly queue: Datagram[] = [];
  queuedBytes = 0;
  onEvent: (() => void) | null = null;
  closed = false;

  constructor(
    readonly stack: Stack,
    readonly protocol: UdpProtocol,
    /** 4 or 6: the socket's family (an IPv6 socket may carry IPv4 via mapped addresses). */
    readonly family: 4 | 6,
  ) {
    this.localAddr = IpAddress.any(family);
  }

  /** Datagrams waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /** Size of the next datagram, or -1. */
  get nextSize(): number {
    return this.queue.length > 0 ? this.queue[0].data.length : -1;
  }

  /**
   * @internal Queues an arriving datagram unless the receive buffer is full.
   * As Linux's __udp_enqueue_schedule_skb, a datagram that does not fit is
   * still taken while the queue holds no more than the buffer size, so a
   * buffer smaller than one datagram still receives.
   */
  enqueue(d: Datagram): void {
    if (this.closed || this.queuedBytes > this.rcvBufSize) return;
    this.queue.push(d);
    this.queuedBytes += d.data.length;
    this.signal();
  }

  /** Takes (or with `peek`, looks at) the next datagram, or null. */
  dequeue(peek: boolean): Datagram | null {
    const d = this.queue[0];
    if (!d) return null;
    if (!peek) {
      this.queue.shift();
      this.queuedBytes -= d.data.length;
    }
    return d;
  }

  /**
   * Sends one datagram to dst:port (or the connected peer). Throws
   * EDESTADDRREQ, EACCES (broadcast without SO_BROADCAST), EMSGSIZE,
   * ENETUNREACH.
   */
  send(data: Uint8Array, dst: IpAddress | null, port: number, options?: SendOptions): void {
    let to = dst ?? this.remoteAddr;
    const toPort = dst ? port : this.remotePort;
    if (!to) throw new SysError(Errno.EDESTADDRREQ);
    // The unspecified address means this host (ip_route_output sends it to loopback).
    if (to.isUnspecified) to = IpAddress.parse(to.version === 4 ? '127.0.0.1' : '::1');
    if (toPort === 0) throw new SysError(Errno.EINVAL);
    const route = this.routeTo(to);
    if (route.broadcast && !to.isMulticast && !this.broadcast) throw new SysError(Errno.EACCES);
    const ipHeader = to.version === 4 ? IPV4_MIN_HEADER_LEN : IPV6_HEADER_LEN;
    const max = 0xffff - ipHeader - UDP_HEADER_LEN;
    if (data.length > max || (to.version === 6 && data.length + UDP_HEADER_LEN + ipHeader > route.mtu)) throw new SysError(Errno.EMSGSIZE);
    if (data.length > this.sndBufSize) throw new SysError(Errno.EMSGSIZE);
    if (this.localPort === 0) this.protocol.autobind(this);
    const pkt = allocPacket(UDP_HEADER_LEN + data.length);
    emitUdp({ srcPort: this.localPort, dstPort: toPort, payload: data }, pkt.buf, pkt.off, route.src, to);
    // A control message's TTL or hop limit wins over the socket's, even for a group (ip_cmsg_send sets ipc.ttl first).
    const ttl = (to.version === 4 ? options?.ttl : options?.hopLimit) ?? (to.isMulticast ? this.multicastTtl : this.ttl);
    const tos = (to.version === 4 ? options?.tos : options?.tclass) ?? this.tos;
    this.stack.sendIp(route, IPPROTO.UDP, pkt, ttl, tos);
    this.protocol.mib[to.version].outDatagrams++;
  }

  /**
   * The route to `to`. An IPv4 multicast group is reached through
   * IP_MULTICAST_IF's interface, else from the bound address's interface or
   * IP_MULTICAST_IF's address, else by the routing table (ENETUNREACH when
   * no route covers it), as Linux's udp_sendmsg and ip_route_output do.
   */
  routeTo(to: IpAddress): Route {
    const bound = this.localAddr.isUnspecified || this.localAddr.version !== to.version || this.localAddr.isMulticast ? null : this.localAddr;
    if (!to.isMulticast || to.version !== 4) return this.stack.findRoute(to, bound);
    const nic = this.multicastIfIndex ? this.stack.listNics().find((n) => n.id === this.multicastIfIndex) : undefined;
    return this.stack.findRoute(to, bound ?? this.multicastIfAddr, nic);
  }

  /** Whether a datagram to IPv4 `group` arriving on `nicId` is for this socket (Linux's ip_mc_sf_allow). */
  acceptsMulticast(group: IpAddress, nicId: number): boolean {
    if (this.memberships.some((m) => m.nicId === nicId && m.group.key === group.key)) return true;
    return this.multicastAll;
  }

  /** @internal An ICMP error for our connected flow. */
  setError(errno: number): void {
    this.error = errno;
    this.signal();
  }

  signal(): void {
    if (this.onEvent) this.stack.notify(this);
  }

  /** @internal Notifiable. */
  flushEvents(): void {
    this.onEvent?.();
  }
}
