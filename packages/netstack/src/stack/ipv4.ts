// The IPv4 network layer: input validation and local delivery, fragment
// reassembly, output with fragmentation, ARP, and ICMPv4 (echo replies,
// error generation and error delivery to transports).

import { IPPROTO } from '../abi.js';
import { IpAddress, type MacAddress } from '../wire/address.js';
import { ArpOp, ARP_PACKET_LEN, emitArp, parseArp } from '../wire/arp.js';
import { ETHERNET_HEADER_LEN, EtherType } from '../wire/ethernet.js';
import { emitIcmpv4, Icmpv4Type, parseIcmpv4, type Icmpv4Repr } from '../wire/icmpv4.js';
import { emitIpv4, IPV4_DF, IPV4_MIN_HEADER_LEN, Ipv4View, writeIpv4Header } from '../wire/ipv4.js';
import { icmpv4Errno } from './icmp-errors.js';
import type { Nic } from './nic.js';
import { gsoSizeOf, HEADROOM, type OutPacket } from './packet.js';
import { FragmentReassembler } from './reassembly.js';
import type { Stack } from './stack.js';
import type { PacketInfo, Route } from './types.js';

export const DEFAULT_TTL = 64;
/** RFC 1812 4.3.2.3: quote as much as fits in a 576-byte error. */
const ICMP_ERROR_MAX = 576;

export class Ipv4Layer {
  private ident: number;
  private readonly reassembler: FragmentReassembler;

  constructor(private readonly stack: Stack) {
    this.ident = Math.floor(stack.random() * 0x10000);
    this.reassembler = new FragmentReassembler({ now: () => stack.clock.now(), setTimer: (ms, cb) => stack.setTimer(ms, cb) });
  }

  /**
   * Handles an IPv4 packet received on `nic`. `routedHere` marks a packet
   * this host already routed to itself (IP_HDRINCL over loopback): it is
   * delivered whatever its header's destination. `checksumVerified`: the
   * link vouches for this packet's transport checksum (see LinkEndpoint.attach).
   */
  receive(nic: Nic, pkt: Uint8Array, routedHere = false, checksumVerified = false): void {
    const v = new Ipv4View(pkt);
    if (!v.isValid()) {
      nic.counters.rxDropped++;
      return;
    }
    const dst = v.dst;
    let broadcast = false;
    if (!routedHere && !this.stack.isLocalAddress(dst) && !(nic.isLoopback && dst.bytes[0] === 127)) {
      if (
        dst.isLimitedBroadcast ||
        dst.key === '224.0.0.1' ||
        (dst.isMulticast && this.stack.udp.hasJoined(nic.id, dst)) ||
        nic.addresses.some((a) => a.address.version === 4 && a.prefixLen < 31 && a.address.subnetBroadcast(a.prefixLen).key === dst.key)
      ) {
        broadcast = true;
      } else {
        nic.counters.rxDropped++;
        return; // this host does not forward
      }
    }
    const hl = v.headerLength;
    let payload = v.payload;
    let packet = pkt.subarray(0, v.totalLength);
    if (v.moreFragments || v.fragmentOffset > 0) {
      const key = `${v.src.key}|${dst.key}|${v.protocol}|${v.ident}`;
      const done = this.reassembler.add(key, pkt.subarray(0, hl), v.fragmentOffset, v.moreFragments, payload);
      if (!done) return;
      packet = new Uint8Array(done.header.length + done.payload.length);
      packet.set(done.header);
      packet.set(done.payload, done.header.length);
      payload = packet.subarray(done.header.length);
    }
    const info: PacketInfo = {
      nic,
      src: v.src,
      dst,
      broadcast,
      ttl: v.ttl,
      networkPacket: packet,
      checksumVerified: checksumVerified || nic.link.capabilities.checksumOffload,
    };
    const protocol = v.protocol;
    const rawMatched = this.stack.raw.deliver(4, protocol, info, payload);
    if (protocol === IPPROTO.ICMP) {
      this.receiveIcmp(info, payload);
      return;
    }
    const transport = this.stack.transport(protocol);
    if (transport) transport.receive(info, payload);
    else if (!rawMatched) this.sendIcmpError(info, Icmpv4Type.DEST_UNREACHABLE, 2, 0);
  }

  /**
   * Sends the transport packet in `pkt` along `route`. Packets that exceed
   * the path MTU are fragmented (DF is set only on packets that fit, like
   * Linux's IP_PMTUDISC_WANT).
   */
  send(route: Route, protocol: number, pkt: OutPacket, ttl = DEFAULT_TTL, tos = 0): void {
    const payloadLen = pkt.buf.length - pkt.off;
    const ident = this.ident;
    this.ident = (this.ident + 1) & 0xffff;
    const mtu = Math.min(route.mtu, 0xffff);
    // A GSO packet (larger than the MTU by design) goes whole: the link segments it.
    if (IPV4_MIN_HEADER_LEN + payloadLen <= mtu || (IPV4_MIN_HEADER_LEN + payloadLen <= 0xffff && gsoSizeOf(pkt.buf) > 0)) {
      const off = pkt.off - IPV4_MIN_HEADER_LEN;
      writeIpv4Header(pkt.buf, off, route.src, route.dst, protocol, ttl, tos, ident, route.broadcast ? 0 : IPV4_DF, payloadLen);
      this.stack.transmit(route, pkt.buf, off, EtherType.IPV4);
      return;
    }
    const base = { src: route.src, dst: route.dst, protocol, ttl, tos, ident, moreFragments: false, fragmentOffset: 0 };
    const chunk = Math.floor((mtu - IPV4_MIN_HEADER_LEN) / 8) * 8;
    for (let at = 0; at < payloadLen; at += chunk) {
      const len = Math.min(chunk, payloadLen - at);
      const buf = new Uint8Array(ETHERNET_HEADER_LEN + IPV4_MIN_HEADER_LEN + len);
      const off = ETHERNET_HEADER_LEN;
      emitIpv4({ ...base, dontFragment: false, moreFragments: at + len < payloadLen, fragmentOffset: at, payloadLength: len }, buf, off);
      buf.set(pkt.buf.subarray(pkt.off + at, pkt.off + at + len), off + IPV4_MIN_HEADER_LEN);
      this.stack.transmit(route, buf, off, EtherType.IPV4);
    }
  }

  /**
   * Sends an ICMP error about a received packet, unless RFC 1122 3.2.2
   * forbids it (errors about errors, broadcasts, non-initial fragments).
   */
  sendIcmpError(info: PacketInfo, type: number, code: number, rest: number): void {
    if (info.broadcast || info.src.isUnspecified || info.src.isMulticast || info.src.isLimitedBroadcast) return;
    const orig = new Ipv4View(info.networkPacket);
    if (orig.fragmentOffset > 0) return;
    if (orig.protocol === IPPROTO.ICMP) {
      const t = info.networkPacket[orig.headerLength];
      if (t !== Icmpv4Type.ECHO_REQUEST && t !== Icmpv4Type.ECHO_REPLY) return;
    }
    if (!this.stack.icmpRateLimit()) return;
    const quoted = info.networkPacket.subarray(0, Math.min(info.networkPacket.length, ICMP_ERROR_MAX - IPV4_MIN_HEADER_LEN - 8));
    this.sendIcmp(info.src, info.dst, { type, code, rest, body: quoted.slice() });
  }

  /** Sends an ICMPv4 message to `dst`, from `src` if it is one of ours. */
  sendIcmp(dst: IpAddress, src: IpAddress | null, msg: Icmpv4Repr, tos = 0): void {
    let route: Route;
    try {
      route = this.stack.findRoute(dst, src && this.stack.isLocalAddress(src) ? src : null);
    } catch {
      return;
    }
    const len = 8 + msg.body.length;
    const pkt: OutPacket = { buf: new Uint8Array(HEADROOM + len), off: HEADROOM };
    emitIcmpv4(msg, pkt.buf, pkt.off);
    this.send(route, IPPROTO.ICMP, pkt, undefined, tos);
  }

  private receiveIcmp(info: PacketInfo, payload: Uint8Array): void {
    const msg = parseIcmpv4(payload);
    if (!msg) return;
    this.stack.observeIcmp(4, info, msg);
    if (msg.type === Icmpv4Type.ECHO_REQUEST) {
      // Linux ignores broadcast pings by default (icmp_echo_ignore_broadcasts).
      if (info.broadcast) return;
      // The reply keeps the request's TOS (icmp_reply).
      this.sendIcmp(info.src, info.dst, { type: Icmpv4Type.ECHO_REPLY, code: 0, rest: msg.rest, body: msg.body }, info.networkPacket[1]);
      return;
    }
    const mapping = icmpv4Errno(msg.type, msg.code);
    if (!mapping || msg.body.length < IPV4_MIN_HEADER_LEN + 8) return;
    const inner = new Ipv4View(msg.body);
    const ihl = inner.headerLength;
    if (inner.version !== 4 || ihl < IPV4_MIN_HEADER_LEN || msg.body.length < ihl + 8) return;
    const transport = this.stack.transport(inner.protocol);
    transport?.receiveError({
      errno: mapping.errno,
      fatal: mapping.fatal,
      mtu: msg.type === Icmpv4Type.DEST_UNREACHABLE && msg.code === 4 ? msg.rest & 0xffff : 0,
      src: inner.src,
      dst: inner.dst,
      transportHeader: msg.body.subarray(ihl),
    });
  }

  /** Handles an ARP packet received on `nic`. */
  receiveArp(nic: Nic, pkt: Uint8Array): void {
    const arp = parseArp(pkt);
    if (!arp) return;
    const forUs = nic.hasAddress(arp.targetIp);
    // RFC 826: update the sender's entry if we have one; create it if the packet is for us.
    if (!arp.senderIp.isUnspecified) nic.neighbors4.update(arp.senderIp, arp.senderMac, forUs);
    if (arp.op === ArpOp.REQUEST && forUs) {
      this.sendArp(nic, ArpOp.REPLY, arp.senderMac, arp.targetIp, arp.senderMac, arp.senderIp);
    }
  }

  /** Broadcasts an ARP request for `target` from `nic`. */
  solicit(nic: Nic, target: IpAddress): void {
    const src = nic.primaryAddress(4, target);
    if (!src) return;
    this.sendArp(nic, ArpOp.REQUEST, new Uint8Array([255, 255, 255, 255, 255, 255]), src, new Uint8Array(6), target);
  }

  private sendArp(nic: Nic, op: number, ethDst: MacAddress, senderIp: IpAddress, targetMac: MacAddress, targetIp: IpAddress): void {
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + ARP_PACKET_LEN);
    emitArp({ op, senderMac: nic.mac, senderIp, targetMac, targetIp }, frame, ETHERNET_HEADER_LEN);
    nic.transmitFrame(ethDst, frame, EtherType.ARP);
  }
}
