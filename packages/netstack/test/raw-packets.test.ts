// Hand-built packets injected straight onto the wire, for paths the stack
// never generates itself (IPv6 fragments, unknown protocols).

import { describe, expect, it } from 'vitest';
import { AF, SOCK } from '../src/abi.js';
import { ChannelPair } from '../src/link/channel.js';
import { createSocket } from '../src/socket/factory.js';
import { Stack } from '../src/stack/stack.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { IpAddress } from '../src/wire/address.js';
import { emitEthernet, EtherType, ETHERNET_HEADER_LEN } from '../src/wire/ethernet.js';
import { parseIcmpv4 } from '../src/wire/icmpv4.js';
import { emitIpv4, parseIpv4 } from '../src/wire/ipv4.js';
import { emitIpv6 } from '../src/wire/ipv6.js';
import { emitUdp } from '../src/wire/udp.js';

function setup() {
  const clock = new VirtualClock();
  const ch = new ChannelPair(clock);
  const st = new Stack({ clock });
  const nic = st.addNic(ch.a);
  st.addAddress(nic, '10.1.0.1/24');
  st.addAddress(nic, 'fd01::1/64');
  st.addNeighbor(nic, '10.1.0.2', ch.b.macAddress);
  st.addNeighbor(nic, 'fd01::2', ch.b.macAddress);
  const out: Uint8Array[] = [];
  ch.b.attach((f) => out.push(f));
  const inject = (etherType: number, l3: Uint8Array) => {
    const f = new Uint8Array(ETHERNET_HEADER_LEN + l3.length);
    emitEthernet({ dst: ch.a.macAddress, src: ch.b.macAddress, etherType }, f);
    f.set(l3, ETHERNET_HEADER_LEN);
    ch.b.send(f);
    clock.advance(1);
  };
  return { clock, st, inject, out };
}

describe('raw packet paths', () => {
  it('reassembles IPv6 fragments (out of order) into one UDP datagram', () => {
    const { st, inject } = setup();
    const rx = createSocket(st, AF.INET6, SOCK.DGRAM);
    rx.bind({ family: AF.INET6, addr: '::', port: 4000 });
    const src = IpAddress.parse('fd01::2');
    const dst = IpAddress.parse('fd01::1');
    const payload = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
    const udp = new Uint8Array(8 + payload.length);
    emitUdp({ srcPort: 4001, dstPort: 4000, payload }, udp, 0, src, dst);
    const pieces = [
      [0, 1232],
      [1232, 2464],
      [2464, udp.length],
    ];
    for (const i of [2, 0, 1]) {
      const [from, to] = pieces[i];
      const chunk = udp.subarray(from, to);
      const pkt = new Uint8Array(40 + 8 + chunk.length);
      emitIpv6({ src, dst, nextHeader: 44, hopLimit: 64, trafficClass: 0, flowLabel: 0, payloadLength: 8 + chunk.length }, pkt);
      pkt[40] = 17; // next header: UDP
      const more = i < 2 ? 1 : 0;
      pkt[42] = (from >> 8) & 0xff;
      pkt[43] = (from & 0xf8) | more;
      pkt.set([0, 0, 0x12, 0x34], 44); // identification
      pkt.set(chunk, 48);
      inject(EtherType.IPV6, pkt);
    }
    const r = rx.recvfrom(65536);
    expect(r.addr).toMatchObject({ addr: 'fd01::2', port: 4001 });
    expect(Buffer.compare(r.data, payload)).toBe(0);
  });

  it('answers an unknown IPv4 protocol with ICMP protocol unreachable quoting the packet', () => {
    const { inject, out } = setup();
    const pkt = new Uint8Array(20 + 12);
    emitIpv4(
      {
        src: IpAddress.parse('10.1.0.2'),
        dst: IpAddress.parse('10.1.0.1'),
        protocol: 253,
        ttl: 64,
        tos: 0,
        ident: 7,
        dontFragment: true,
        moreFragments: false,
        fragmentOffset: 0,
        payloadLength: 12,
      },
      pkt,
    );
    inject(EtherType.IPV4, pkt);
    expect(out.length).toBe(1);
    const ip = parseIpv4(out[0].subarray(ETHERNET_HEADER_LEN))!;
    expect([ip.src.key, ip.dst.key, ip.protocol]).toEqual(['10.1.0.1', '10.1.0.2', 1]);
    const icmp = parseIcmpv4(out[0].subarray(ETHERNET_HEADER_LEN + 20, ETHERNET_HEADER_LEN + 20 + ip.payloadLength))!;
    expect([icmp.type, icmp.code]).toEqual([3, 2]);
    expect(Buffer.compare(icmp.body, pkt)).toBe(0);
  });

  it('drops overlapping IPv4 fragments and packets with bad header checksums', () => {
    const { st, inject } = setup();
    const rx = createSocket(st, AF.INET, SOCK.DGRAM);
    rx.bind({ family: AF.INET, addr: '0.0.0.0', port: 4000 });
    const src = IpAddress.parse('10.1.0.2');
    const dst = IpAddress.parse('10.1.0.1');
    const udp = new Uint8Array(8 + 64);
    emitUdp({ srcPort: 1, dstPort: 4000, payload: new Uint8Array(64).fill(9) }, udp, 0, src, dst);
    const frag = (off: number, len: number, more: boolean) => {
      const p = new Uint8Array(20 + len);
      emitIpv4({ src, dst, protocol: 17, ttl: 64, tos: 0, ident: 99, dontFragment: false, moreFragments: more, fragmentOffset: off, payloadLength: len }, p);
      p.set(udp.subarray(off, off + len), 20);
      return p;
    };
    inject(EtherType.IPV4, frag(0, 40, true));
    inject(EtherType.IPV4, frag(32, 40, false)); // overlaps [32, 40)
    expect(() => rx.recv(100)).toThrow(/EAGAIN/);
    const whole = new Uint8Array(20 + udp.length);
    emitIpv4(
      { src, dst, protocol: 17, ttl: 64, tos: 0, ident: 100, dontFragment: true, moreFragments: false, fragmentOffset: 0, payloadLength: udp.length },
      whole,
    );
    whole.set(udp, 20);
    whole[10] ^= 1; // break the header checksum
    inject(EtherType.IPV4, whole);
    expect(() => rx.recv(100)).toThrow(/EAGAIN/);
    whole[10] ^= 1;
    inject(EtherType.IPV4, whole);
    expect(rx.recv(100).length).toBe(64);
  });
});
