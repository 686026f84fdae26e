// Wire formats: round trips, Linux-captured frames, and checksums checked
// against an independent implementation in python3.

import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpAddress, formatMac, parseMac } from '../src/wire/address.js';
import { emitArp, parseArp, ARP_PACKET_LEN } from '../src/wire/arp.js';
import { emitEthernet, parseEthernet, EtherType, ETHERNET_HEADER_LEN } from '../src/wire/ethernet.js';
import { emitIcmpv4, parseIcmpv4 } from '../src/wire/icmpv4.js';
import { emitIcmpv6, parseIcmpv6, parseNdp, ndpToIcmpv6, Icmpv6Type } from '../src/wire/icmpv6.js';
import { emitIpv4, parseIpv4, ipv4HeaderLength, writeIpv4Header, type Ipv4Repr } from '../src/wire/ipv4.js';
import { emitIpv6, parseIpv6 } from '../src/wire/ipv6.js';
import { emitTcp, parseTcp, tcpHeaderLength, TcpFlag, type TcpRepr } from '../src/wire/tcp.js';
import { emitUdp, parseUdp } from '../src/wire/udp.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// Frames captured from Linux 6.x on a TAP link (tshark), sent by the kernel's own stack.
const LINUX_ICMP_ECHO =
  'c2fd280b06789edb46d662f5080045000054278d40004001fd6f0ad500010ad5000208001fc41c950001d865086b000000001902030000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';
const LINUX_NDP_NS =
  '3333ff0000029edb46d662f586dd6000000000203afffd130000000000000000000000000001ff0200000000000000000001ff000002870036cb00000000fd13000000000000000000000000000201019edb46d662f5';
const LINUX_TCP_SYN =
  'c2fd280b06789edb46d662f508004500003c8b04400040069a0b0ad500010ad50002c6a61f90e1883f8e00000000a002faf06d070000020405b40402080ac6a6fc63000000000103030a';
const LINUX_TCP_DATA =
  'c2fd280b06789edb46d662f50800450000888b064000400699bd0ad500010ad50002c6a61f90e1883f8fcb821ffa8018003fe30300000101080ac6a6fc690f842b74474554202f68656c6c6f20485454502f312e310d0a486f73743a2031302e3231332e302e323a383038300d0a557365722d4167656e743a206375726c2f372e38382e310d0a4163636570743a202a2f2a0d0a0d0a';

describe('addresses', () => {
  it('formats IPv6 per RFC 5952 and parses back', () => {
    for (const [input, canon] of [
      ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
      ['FE80::A', 'fe80::a'],
    ]) {
      expect(IpAddress.parse(input).key).toBe(canon);
    }
    expect(() => IpAddress.parse('1.2.3.256')).toThrow(/EINVAL/);
    expect(() => IpAddress.parse('1::2::3')).toThrow(/EINVAL/);
  });

  it('round-trips any IPv4/IPv6 address through text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), (b) => {
        const a = IpAddress.fromBytes(b);
        expect(Array.from(IpAddress.parse(a.key).bytes)).toEqual(Array.from(b));
      }),
      { numRuns: 300 },
    );
  });

  it('parses and formats MACs', () => {
    expect(formatMac(parseMac('02:00:5E:10:00:01'))).toBe('02:00:5e:10:00:01');
  });
});

describe('Linux-captured frames', () => {
  it('ICMP echo request: IPv4 and ICMP checksums verify, fields decode', () => {
    const f = hex(LINUX_ICMP_ECHO);
    const eth = parseEthernet(f)!;
    expect(eth.etherType).toBe(EtherType.IPV4);
    const ip = parseIpv4(f.subarray(ETHERNET_HEADER_LEN))!;
    expect(ip).not.toBeNull();
    expect([ip.src.key, ip.dst.key, ip.protocol, ip.ttl, ip.dontFragment]).toEqual(['10.213.0.1', '10.213.0.2', 1, 64, true]);
    const icmp = parseIcmpv4(f.subarray(ETHERNET_HEADER_LEN + 20))!;
    expect([icmp.type, icmp.code, icmp.rest >>> 16, icmp.rest & 0xffff]).toEqual([8, 0, 0x1c95, 1]);
    // Re-emitting the parsed header reproduces Linux's bytes, checksum included.
    const out = new Uint8Array(20);
    emitIpv4(ip, out);
    expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(f.subarray(14, 34)).toString('hex'));
    const icmpOut = new Uint8Array(f.length - 34);
    emitIcmpv4(icmp, icmpOut);
    expect(Buffer.compare(icmpOut, f.subarray(34))).toBe(0);
  });

  it('NDP neighbour solicitation: ICMPv6 pseudo-header checksum verifies', () => {
    const f = hex(LINUX_NDP_NS);
    const ip = parseIpv6(f.subarray(14))!;
    expect([ip.src.key, ip.dst.key, ip.nextHeader, ip.hopLimit]).toEqual(['fd13::1', 'ff02::1:ff00:2', 58, 255]);
    const msg = parseIcmpv6(f.subarray(54), ip.src, ip.dst)!;
    expect(msg.type).toBe(Icmpv6Type.NEIGHBOR_SOLICIT);
    const ndp = parseNdp(msg)!;
    expect(ndp.target.key).toBe('fd13::2');
    expect(formatMac(ndp.linkAddr!)).toBe('9e:db:46:d6:62:f5');
    const out = new Uint8Array(f.length - 54);
    emitIcmpv6(ndpToIcmpv6(ndp), out, 0, ip.src, ip.dst);
    expect(Buffer.compare(out, f.subarray(54))).toBe(0);
  });

  it('TCP SYN with MSS, SACK-permitted, timestamps and window scale', () => {
    const f = hex(LINUX_TCP_SYN);
    const ip = parseIpv4(f.subarray(14))!;
    const seg = parseTcp(f.subarray(34), ip.src, ip.dst)!;
    expect(seg).not.toBeNull();
    expect(seg.flags).toBe(TcpFlag.SYN);
    expect([seg.srcPort, seg.dstPort, seg.window, seg.mss, seg.windowScale, seg.sackPermitted]).toEqual([50854, 8080, 64240, 1460, 10, true]);
    expect(seg.timestamp).toEqual({ value: 3332832355, echo: 0 });
    const out = new Uint8Array(f.length - 34);
    emitTcp(seg, out, 0, ip.src, ip.dst);
    expect(Buffer.compare(out, f.subarray(34))).toBe(0);
  });

  it('TCP data segment round-trips byte for byte', () => {
    const f = hex(LINUX_TCP_DATA);
    const ip = parseIpv4(f.subarray(14))!;
    const seg = parseTcp(f.subarray(34), ip.src, ip.dst)!;
    expect(new TextDecoder().decode(seg.payload)).toMatch(/^GET \/hello HTTP\/1\.1\r\n/);
    const out = new Uint8Array(f.length - 34);
    emitTcp(seg, out, 0, ip.src, ip.dst);
    expect(Buffer.compare(out, f.subarray(34))).toBe(0);
  });

  it('rejects any single-bit corruption of a TCP segment', () => {
    const f = hex(LINUX_TCP_DATA);
    const ip = parseIpv4(f.subarray(14))!;
    fc.assert(
      fc.property(fc.integer({ min: 34, max: f.length - 1 }), fc.integer({ min: 0, max: 7 }), (byte, bit) => {
        const g = f.slice();
        g[byte] ^= 1 << bit;
        expect(parseTcp(g.subarray(34), ip.src, ip.dst)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

/** RFC 1071 checksums computed by python3 (an implementation independent of ours). */
function pythonChecksums(cases: { kind: string; src: string; dst: string; hex: string }[]): number[] {
  const script = `
import json, sys, ipaddress
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(int.from_bytes(b[i:i+2], 'big') for i in range(0, len(b), 2))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
out = []
for c in json.load(sys.stdin):
    data = bytes.fromhex(c['hex'])
    src = ipaddress.ip_address(c['src']).packed
    dst = ipaddress.ip_address(c['dst']).packed
    proto = {'udp': 17, 'tcp': 6, 'icmpv6': 58}[c['kind']]
    if len(src) == 4: pseudo = src + dst + bytes([0, proto]) + len(data).to_bytes(2, 'big')
    else: pseudo = src + dst + len(data).to_bytes(4, 'big') + bytes([0, 0, 0, proto])
    out.append(csum(pseudo + data))
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' }));
}

const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => IpAddress.fromBytes(b));
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => IpAddress.fromBytes(b));
const addrPair = fc.oneof(fc.tuple(v4, v4), fc.tuple(v6, v6));
const port = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const tcpRepr: fc.Arbitrary<TcpRepr> = fc
  .record({
    srcPort: port,
    dstPort: port,
    seq: u32,
    ack: u32,
    flags: fc.integer({ min: 0, max: 255 }),
    window: port,
    urgent: port,
    mss: fc.option(port, { nil: undefined }),
    windowScale: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }),
    sackPermitted: fc.option(fc.constant(true), { nil: undefined }),
    sackBlocks: fc.option(fc.array(fc.record({ left: u32, right: u32 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    timestamp: fc.option(fc.record({ value: u32, echo: u32 }), { nil: undefined }),
    payload: fc.uint8Array({ maxLength: 300 }),
  })
  // 40 bytes of option space: SACK blocks must fit beside the others.
  .filter((r) => tcpHeaderLength(r) <= 60)
  .map((r) => {
    const out: TcpRepr = { ...r };
    for (const k of Object.keys(out) as (keyof TcpRepr)[]) if (out[k] === undefined) delete out[k];
    return out;
  });

describe('codec round trips (property)', () => {
  it('TCP: parse(emit(x)) == x, and the checksum matches python3', () => {
    const samples: { repr: TcpRepr; src: IpAddress; dst: IpAddress; bytes: Uint8Array }[] = [];
    fc.assert(
      fc.property(tcpRepr, addrPair, (repr, [src, dst]) => {
        const buf = new Uint8Array(tcpHeaderLength(repr) + repr.payload.length);
        emitTcp(repr, buf, 0, src, dst);
        const back = parseTcp(buf, src, dst)!;
        expect(back).not.toBeNull();
        expect({ ...back, payload: Array.from(back.payload) }).toEqual({ ...repr, payload: Array.from(repr.payload) });
        if (samples.length < 40) samples.push({ repr, src, dst, bytes: buf });
      }),
      { numRuns: 200 },
    );
    // python3 recomputes each checksum over the segment with the field zeroed.
    const cases = samples.map((s) => {
      const z = s.bytes.slice();
      z[16] = z[17] = 0;
      return { kind: 'tcp', src: s.src.key, dst: s.dst.key, hex: Buffer.from(z).toString('hex') };
    });
    const py = pythonChecksums(cases);
    samples.forEach((s, i) => expect((s.bytes[16] << 8) | s.bytes[17]).toBe(py[i]));
  });

  it('UDP: round trip and python3 checksum (0 is sent as 0xffff)', () => {
    const samples: { src: IpAddress; dst: IpAddress; bytes: Uint8Array }[] = [];
    fc.assert(
      fc.property(port, port, fc.uint8Array({ maxLength: 600 }), addrPair, (sp, dp, payload, [src, dst]) => {
        const buf = new Uint8Array(8 + payload.length);
        emitUdp({ srcPort: sp, dstPort: dp, payload }, buf, 0, src, dst);
        const back = parseUdp(buf, src, dst)!;
        expect([back.srcPort, back.dstPort, Array.from(back.payload)]).toEqual([sp, dp, Array.from(payload)]);
        if (samples.length < 40) samples.push({ src, dst, bytes: buf });
      }),
      { numRuns: 200 },
    );
    const py = pythonChecksums(
      samples.map((s) => {
        const z = s.bytes.slice();
        z[6] = z[7] = 0;
        return { kind: 'udp', src: s.src.key, dst: s.dst.key, hex: Buffer.from(z).toString('hex') };
      }),
    );
    samples.forEach((s, i) => expect((s.bytes[6] << 8) | s.bytes[7]).toBe(py[i] === 0 ? 0xffff : py[i]));
  });

  it('ICMPv6: round trip and python3 checksum', () => {
    const samples: { src: IpAddress; dst: IpAddress; bytes: Uint8Array }[] = [];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        u32,
        fc.uint8Array({ maxLength: 200 }),
        v6,
        v6,
        (type, code, rest, body, src, dst) => {
          const buf = new Uint8Array(8 + body.length);
          emitIcmpv6({ type, code, rest, body }, buf, 0, src, dst);
          expect(parseIcmpv6(buf, src, dst)).toEqual({ type, code, rest, body });
          if (samples.length < 30) samples.push({ src, dst, bytes: buf });
        },
      ),
      { numRuns: 150 },
    );
    const py = pythonChecksums(
      samples.map((s) => {
        const z = s.bytes.slice();
        z[2] = z[3] = 0;
        return { kind: 'icmpv6', src: s.src.key, dst: s.dst.key, hex: Buffer.from(z).toString('hex') };
      }),
    );
    samples.forEach((s, i) => expect((s.bytes[2] << 8) | s.bytes[3]).toBe(py[i]));
  });

  it('IPv4 header (with options), IPv6 header, Ethernet, ARP, ICMPv4', () => {
    fc.assert(
      fc.property(
        fc.record({
          src: v4,
          dst: v4,
          protocol: fc.integer({ min: 0, max: 255 }),
          ttl: fc.integer({ min: 0, max: 255 }),
          tos: fc.integer({ min: 0, max: 255 }),
          ident: port,
          dontFragment: fc.boolean(),
          moreFragments: fc.boolean(),
          fragmentOffset: fc.integer({ min: 0, max: 8191 }).map((n) => n * 8),
          payloadLength: fc.integer({ min: 0, max: 2000 }),
          options: fc.option(
            fc.integer({ min: 1, max: 10 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })),
            { nil: undefined },
          ),
        }),
        (r) => {
          const repr: Ipv4Repr = { ...r };
          if (repr.options === undefined) delete repr.options;
          const buf = new Uint8Array(ipv4HeaderLength(repr) + repr.payloadLength);
          emitIpv4(repr, buf);
          expect(parseIpv4(buf)).toEqual(repr);
        },
      ),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(
        v6,
        v6,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xfffff }),
        fc.integer({ min: 0, max: 500 }),
        (src, dst, nh, hl, tc, fl, len) => {
          const r = { src, dst, nextHeader: nh, hopLimit: hl, trafficClass: tc, flowLabel: fl, payloadLength: len };
          const buf = new Uint8Array(40 + len);
          emitIpv6(r, buf);
          expect(parseIpv6(buf)).toEqual(r);
        },
      ),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.uint8Array({ minLength: 6, maxLength: 6 }), port, (d, s, t) => {
        const buf = new Uint8Array(14);
        emitEthernet({ dst: d, src: s, etherType: t }, buf);
        expect(parseEthernet(buf)).toEqual({ dst: d, src: s, etherType: t });
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        v4,
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        v4,
        (op, sm, si, tm, ti) => {
          const r = { op, senderMac: sm, senderIp: si, targetMac: tm, targetIp: ti };
          const buf = new Uint8Array(ARP_PACKET_LEN);
          emitArp(r, buf);
          expect(parseArp(buf)).toEqual(r);
        },
      ),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), u32, fc.uint8Array({ maxLength: 100 }), (type, code, rest, body) => {
        const buf = new Uint8Array(8 + body.length);
        emitIcmpv4({ type, code, rest, body }, buf);
        expect(parseIcmpv4(buf)).toEqual({ type, code, rest, body });
      }),
      { numRuns: 100 },
    );
  });

  it('the fast IPv4 header writer matches the codec byte for byte', () => {
    fc.assert(
      fc.property(
        v4,
        v4,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        port,
        fc.boolean(),
        fc.integer({ min: 0, max: 1400 }),
        (src, dst, protocol, ttl, tos, ident, df, len) => {
          const a = new Uint8Array(20);
          const b = new Uint8Array(20);
          emitIpv4({ src, dst, protocol, ttl, tos, ident, dontFragment: df, moreFragments: false, fragmentOffset: 0, payloadLength: len }, a);
          writeIpv4Header(b, 0, src, dst, protocol, ttl, tos, ident, df ? 0x4000 : 0, len);
          expect(Buffer.compare(a, b)).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
