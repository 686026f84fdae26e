// The IPv6 network layer: input (with extension-header walking and fragment
// reassembly), output, Neighbor Discovery (solicitation/advertisement) and
// ICMPv6 echo and errors.

import { IPPROTO } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import { EtherType } from '../wire/ethernet.js';
import { emitIcmpv6, Icmpv6Type, NA_OVERRIDE, NA_SOLICITED, ndpToIcmpv6, parseIcmpv6, parseNdp, type Icmpv6Repr } from '../wire/icmpv6.js';
import { emitIpv6, IPV6_HEADER_LEN, Ipv6Ext, Ipv6View } from '../wire/ipv6.js';
import { icmpv6Errno } from './icmp-errors.js';
import type { Nic } from './nic.js';
import { HEADROOM, trafficClass, type OutPacket } from './packet.js';
import { FragmentReassembler } from './reassembly.js';
import type { Stack } from './stack.js';
import type { PacketInfo, Route } from './types.js';

export const DEFAULT_HOP_LIMIT = 64;
/** RFC 4443 2.4(c): errors carry as much of the packet as fits in the minimum MTU. */
const MIN_MTU = 1280;
const ALL_NODES = IpAddress.parse('ff02::1');

export class Ipv6Layer {
  private readonly reassembler: FragmentReassembler;

  constructor(private readonly stack: Stack) {
    this.reassembler = new FragmentReassembler({ now: () => stack.clock.now(), setTimer: (ms, cb) => stack.setTimer(ms, cb) });
  }

  /** Handles an IPv6 packet received on `nic`. */
  receive(nic: Nic, pkt: Uint8Array, checksumVerified = false): void {
    const v = new Ipv6View(pkt);
    if (!v.isValid()) {
      nic.counters.rxDropped++;
      return;
    }
    const dst = v.dst;
    let broadcast = false;
    if (!this.stack.isLocalAddress(dst) && !(nic.isLoopback && dst.isLoopback)) {
      const forUs =
        dst.isMulticast && (dst.key === ALL_NODES.key || nic.addresses.some((a) => a.address.version === 6 && a.address.solicitedNode().key === dst.key));
      if (!forUs) {
        nic.counters.rxDropped++;
        return;
      }
      broadcast = true;
    }
    let packet = pkt.subarray(0, IPV6_HEADER_LEN + v.payloadLength);
    let next = v.nextHeader;
    let off = IPV6_HEADER_LEN;
    // Walk extension headers (RFC 8200 4.1 order is not enforced).
    for (;;) {
      if (next === Ipv6Ext.HOP_BY_HOP || next === Ipv6Ext.ROUTING || next === Ipv6Ext.DEST_OPTS) {
        if (off + 8 > packet.length) return;
        const len = (packet[off + 1] + 1) * 8;
        next = packet[off];
        off += len;
        continue;
      }
      if (next === Ipv6Ext.FRAGMENT) {
        if (off + 8 > packet.length) return;
        const fragNext = packet[off];
        const word = (packet[off + 2] << 8) | packet[off + 3];
        const ident = ((packet[off + 4] << 24) | (packet[off + 5] << 16) | (packet[off + 6] << 8) | packet[off + 7]) >>> 0;
        const key = `${v.src.key}|${dst.key}|${ident}`;
        const header = new Uint8Array(off);
        header.set(packet.subarray(0, off));
        const done = this.reassembler.add(key, header, word & 0xfff8, (word & 1) === 1, packet.subarray(off + 8));
        if (!done) return;
        packet = new Uint8Array(done.header.length + done.payload.length);
        packet.set(done.header);
        packet.set(done.payload, done.header.length);
        next = fragNext;
        continue;
      }
      break;
    }
    if (off > packet.length) return;
    const payload = packet.subarray(off);
    const info: PacketInfo = {
      nic,
      src: v.src,
      dst,
      broadcast,
      ttl: v.hopLimit,
      networkPacket: packet,
      checksumVerified: checksumVerified || nic.link.capabilities.checksumOffload,
    };
    const rawMatched = this.stack.raw.deliver(6, next, info, payload);
    if (next === IPPROTO.ICMPV6) {
      this.receiveIcmp(info, payload);
      return;
    }
    if (next === Ipv6Ext.NO_NEXT) return;
    const transport = this.stack.transport(next);
    if (transport) transport.receive(info, payload);
    else if (!rawMatched) this.sendIcmpError(info, Icmpv6Type.PARAM_PROBLEM, 1, 6); // unrecognized next header
  }

  /** Sends the transport packet in `pkt` along `route`; callers keep packets within the MTU. */
  send(route: Route, protocol: number, pkt: OutPacket, hopLimit = DEFAULT_HOP_LIMIT, trafficClass = 0): void {
    const off = pkt.off - IPV6_HEADER_LEN;
    emitIpv6(
      { src: route.src, dst: route.dst, nextHeader: protocol, hopLimit, trafficClass, flowLabel: 0, payloadLength: pkt.buf.length - pkt.off },
      pkt.buf,
      off,
    );
    this.stack.transmit(route, pkt.buf, off, EtherType.IPV6);
  }

  /** Sends an ICMPv6 error about a received packet unless RFC 4443 2.4(e) forbids it. */
  sendIcmpError(info: PacketInfo, type: number, code: number, rest: number): void {
    if (info.broadcast || info.src.isUnspecified || info.src.isMulticast) return;
    const v = new Ipv6View(info.networkPacket);
    if (v.nextHeader === IPPROTO.ICMPV6 && info.networkPacket[IPV6_HEADER_LEN] < 128) return;
    if (!this.stack.icmpRateLimit()) return;
    const quoted = info.networkPacket.subarray(0, Math.min(info.networkPacket.length, MIN_MTU - IPV6_HEADER_LEN - 8));
    this.sendIcmp(info.src, info.dst, { type, code, rest, body: quoted.slice() });
  }

  /** Sends an ICMPv6 message to `dst`, from `src` if it is one of ours. */
  sendIcmp(dst: IpAddress, src: IpAddress | null, msg: Icmpv6Repr, hopLimit = DEFAULT_HOP_LIMIT, viaNic?: Nic, trafficClass = 0): void {
    let route: Route;
    try {
      route = this.stack.findRoute(dst, src && this.stack.isLocalAddress(src) ? src : null, viaNic);
    } catch {
      return;
    }
    const len = 8 + msg.body.length;
    const pkt: OutPacket = { buf: new Uint8Array(HEADROOM + len), off: HEADROOM };
    emitIcmpv6(msg, pkt.buf, pkt.off, route.src, route.dst);
    this.send(route, IPPROTO.ICMPV6, pkt, hopLimit, trafficClass);
  }

  /** Multicasts a neighbour solicitation for `target` from `nic`. */
  solicit(nic: Nic, target: IpAddress): void {
    const src = nic.primaryAddress(6, target);
    if (!src) return;
    const msg = ndpToIcmpv6({ type: Icmpv6Type.NEIGHBOR_SOLICIT, flags: 0, target, linkAddr: nic.mac });
    this.sendIcmp(target.solicitedNode(), src, msg, 255, nic);
  }

  private receiveIcmp(info: PacketInfo, payload: Uint8Array): void {
    const msg = parseIcmpv6(payload, info.src, info.dst);
    if (!msg) return;
    this.stack.observeIcmp(6, info, msg);
    switch (msg.type) {
      case Icmpv6Type.ECHO_REQUEST:
        // The reply keeps the request's traffic class (icmpv6_echo_reply).
        this.sendIcmp(
          info.src,
          info.broadcast ? null : info.dst,
          { type: Icmpv6Type.ECHO_REPLY, code: 0, rest: msg.rest, body: msg.body },
          undefined,
          undefined,
          trafficClass(info.networkPacket),
        );
        return;
      case Icmpv6Type.NEIGHBOR_SOLICIT:
      case Icmpv6Type.NEIGHBOR_ADVERT:
        this.receiveNdp(info, msg);
        return;
      default:
        break;
    }
    const mapping = icmpv6Errno(msg.type, msg.code);
    if (!mapping || msg.body.length < IPV6_HEADER_LEN + 8) return;
    const inner = new Ipv6View(msg.body);
    if (inner.version !== 6) return;
    this.stack.transport(inner.nextHeader)?.receiveError({
      errno: mapping.errno,
      fatal: mapping.fatal,
      mtu: msg.type === Icmpv6Type.PACKET_TOO_BIG ? msg.rest >>> 0 : 0,
      src: inner.src,
      dst: inner.dst,
      transportHeader: msg.body.subarray(IPV6_HEADER_LEN),
    });
  }

  private receiveNdp(info: PacketInfo, msg: Icmpv6Repr): void {
    // RFC 4861 7.1.1/7.1.2: NDP messages must arrive with hop limit 255.
    if (info.ttl !== 255) return;
    const ndp = parseNdp(msg);
    if (!ndp) return;
    const nic = info.nic;
    if (ndp.type === Icmpv6Type.NEIGHBOR_SOLICIT) {
      if (!nic.hasAddress(ndp.target)) return;
      if (ndp.linkAddr && !info.src.isUnspecified) nic.neighbors6.update(info.src, ndp.linkAddr);
      const to = info.src.isUnspecified ? ALL_NODES : info.src;
      const na = ndpToIcmpv6({
        type: Icmpv6Type.NEIGHBOR_ADVERT,
        flags: NA_OVERRIDE | (info.src.isUnspecified ? 0 : NA_SOLICITED),
        target: ndp.target,
        linkAddr: nic.mac,
      });
      this.sendIcmp(to, ndp.target, na, 255, nic);
    } else if (ndp.linkAddr) {
      nic.neighbors6.update(ndp.target, ndp.linkAddr, (ndp.flags & NA_SOLICITED) !== 0);
    }
  }
}
