import { describe, expect, it, vi } from 'vitest';
import { AF, Errno, SO, SOCK, SOL } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { ping } from '../src/stack/ping.js';
import { Stack } from '../src/stack/stack.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { LoopbackEndpoint } from '../src/link/loopback.js';
import { PcapWriter, SniffingEndpoint } from '../src/link/pcap.js';
import { ChannelPair } from '../src/link/channel.js';
import { errnoOf, loopbackStack, makePair } from './harness.js';

describe('network layer', () => {
  it('answers ICMP echo over IPv4 (ARP) and IPv6 (NDP)', async () => {
    const p = makePair({ delayMs: 3 });
    const r4 = ping(p.a, '10.0.0.2');
    const r6 = ping(p.a, 'fd00::2');
    p.clock.advance(100);
    // The first exchange includes neighbour resolution (one more round trip).
    await expect(r4).resolves.toMatchObject({ from: '10.0.0.2', ttl: 64, rttMs: 12 });
    await expect(r6).resolves.toMatchObject({ from: 'fd00::2', ttl: 64, rttMs: 12 });
    const again = ping(p.a, '10.0.0.2', { seq: 2 });
    p.clock.advance(100);
    await expect(again).resolves.toMatchObject({ rttMs: 6 });
    // Both neighbours were learnt on both sides.
    expect(p.nicA.neighbors4.lookup(p.b.listNics()[0].addresses[0].address)).toEqual(p.channel.b.macAddress);
    expect(p.nicB.neighbors6.lookup(p.a.listNics()[0].addresses[1].address)).toEqual(p.channel.a.macAddress);
    const lost = ping(p.a, '10.0.0.99', { timeoutMs: 500 });
    p.clock.advance(1000);
    await expect(lost).rejects.toThrow(/timeout/);
  });

  it('fails a connect with EHOSTUNREACH when ARP gets no answer (three tries, 1 s apart)', () => {
    const p = makePair();
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(() => c.connect({ family: AF.INET, addr: '10.0.0.77', port: 80 })).toThrow(/EINPROGRESS/);
    p.clock.advance(2900);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(0);
    p.clock.advance(200);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.EHOSTUNREACH);
  });

  it('sends a TCP SYN to port 0 as Linux does: EHOSTUNREACH when ARP gets no answer, ECONNREFUSED by the RST on loopback', () => {
    const p = makePair();
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect({ family: AF.INET, addr: '10.0.0.77', port: 0 }))).toBe(Errno.EINPROGRESS);
    p.clock.advance(3100);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.EHOSTUNREACH);
    const { st, clock } = loopbackStack();
    const l = createSocket(st, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => l.connect({ family: AF.INET, addr: '127.0.0.1', port: 0 }))).toBe(Errno.EINPROGRESS);
    clock.advance(10);
    expect(l.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ECONNREFUSED);
  });

  it('removes a NIC with its addresses and routes, and never gives its index to a later NIC', async () => {
    const { IpAddress } = await import('../src/wire/address.js');
    const p = makePair();
    const extra = new ChannelPair(p.clock);
    const closeLink = vi.spyOn(extra.a, 'close');
    const nic = p.a.addNic(extra.a, 'tap0');
    p.a.addAddress(nic, '10.5.0.1/24');
    p.a.addRoute('198.51.100.0/24', nic, '10.5.0.2');
    expect(p.a.findRoute(IpAddress.parse('198.51.100.9')).nic).toBe(nic);
    p.a.removeNic(nic);
    expect(p.a.listNics()).toEqual([p.nicA]);
    expect(p.a.nicById(nic.id)).toBeNull();
    expect(p.a.isLocalAddress(IpAddress.parse('10.5.0.1'))).toBeNull();
    expect(() => p.a.findRoute(IpAddress.parse('198.51.100.9'))).toThrow(/ENETUNREACH/);
    expect(() => p.a.findRoute(IpAddress.parse('10.5.0.2'))).toThrow(/ENETUNREACH/);
    expect(closeLink).toHaveBeenCalledOnce();
    const next = p.a.addNic(new ChannelPair(p.clock).a, 'tap1');
    expect(next.id).toBeGreaterThan(nic.id);
  });

  it('sends through an IP-only link (a TUN) without neighbour resolution, and answers what arrives on it', async () => {
    const frames: Uint8Array[] = [];
    let deliver: (frame: Uint8Array) => void = () => {};
    const tun = {
      mtu: 1500,
      macAddress: new Uint8Array(6),
      capabilities: { resolutionRequired: false, checksumOffload: false },
      attach: (receive: (frame: Uint8Array) => void) => (deliver = receive),
      send: (frame: Uint8Array) => frames.push(frame.slice()),
      close: () => {},
    };
    const clock = new VirtualClock();
    const st = new Stack({ clock });
    const nic = st.addNic(tun, 'tun0');
    st.addAddress(nic, '10.0.0.1/24');
    expect(nic.isLoopback).toBe(false);
    // A ping out goes at once as an IPv4 packet: no ARP request first.
    const pending = ping(st, '10.0.0.2', { timeoutMs: 500 });
    clock.advance(1);
    expect(frames).toHaveLength(1);
    expect((frames[0][12] << 8) | frames[0][13]).toBe(0x0800);
    // Turn that echo request into the peer's reply: swap the addresses and make it type 0.
    const reply = frames[0].slice();
    reply.set(frames[0].subarray(30, 34), 26);
    reply.set(frames[0].subarray(26, 30), 30);
    reply[34] = 0;
    const sum = (reply[36] << 8) | reply[37];
    const fixed = sum + 0x0800;
    const folded = (fixed & 0xffff) + (fixed >> 16);
    reply[36] = folded >> 8;
    reply[37] = folded & 0xff;
    deliver(reply);
    clock.advance(1);
    await expect(pending).resolves.toMatchObject({ from: '10.0.0.2' });
  });

  it('routes via a gateway and refuses unroutable destinations', async () => {
    const { IpAddress } = await import('../src/wire/address.js');
    const p = makePair();
    expect(() => p.a.findRoute(IpAddress.parse('192.0.2.1'))).toThrow(/ENETUNREACH/);
    p.a.addRoute('0.0.0.0/0', p.nicA, '10.0.0.2');
    const r = p.a.findRoute(IpAddress.parse('192.0.2.1'));
    expect([r.nextHop.key, r.src.key, r.nic.id]).toEqual(['10.0.0.2', '10.0.0.1', p.nicA.id]);
    const onLink = p.a.findRoute(IpAddress.parse('10.0.0.7'));
    expect(onLink.nextHop.key).toBe('10.0.0.7');
  });

  it('configures at run time: a NIC down refuses routes and traffic, addresses and routes come and go', async () => {
    const { IpAddress } = await import('../src/wire/address.js');
    const p = makePair();
    expect(p.a.nicById(p.nicA.id)).toBe(p.nicA);
    expect(p.a.nicById(99)).toBeNull();
    p.a.setNicUp(p.nicA, false);
    expect(() => p.a.findRoute(IpAddress.parse('10.0.0.2'))).toThrow(/ENETUNREACH/);
    const down = ping(p.b, '10.0.0.1', { timeoutMs: 500 });
    p.clock.advance(1000);
    await expect(down).rejects.toThrow(/timeout/);
    p.a.setNicUp(p.nicA, true);
    // b's ARP for 10.0.0.1 is still retrying (1 s apart): the next solicitation gets the answer.
    const up = ping(p.b, '10.0.0.1', { timeoutMs: 5000 });
    p.clock.advance(3000);
    await expect(up).resolves.toMatchObject({ from: '10.0.0.1' });
    expect(p.nicA.byteCounters.rxBytes).toBeGreaterThan(0);
    expect(p.nicA.neighbors4.list().map((n) => n.ip)).toEqual(['10.0.0.2']);
    p.a.addAddress(p.nicA, '10.9.0.1/16');
    expect(p.a.findRoute(IpAddress.parse('10.9.3.3')).src.key).toBe('10.9.0.1');
    p.a.removeAddress(p.nicA, '10.9.0.1/16');
    expect(() => p.a.findRoute(IpAddress.parse('10.9.3.3'))).toThrow(/ENETUNREACH/);
    expect(() => p.a.removeAddress(p.nicA, '10.9.0.1/16')).toThrow(/EADDRNOTAVAIL/);
    p.a.addRoute('192.0.2.0/24', p.nicA, '10.0.0.2');
    expect(p.a.findRoute(IpAddress.parse('192.0.2.5')).nextHop.key).toBe('10.0.0.2');
    p.a.removeRoute('192.0.2.0/24', p.nicA, '10.0.0.2');
    expect(() => p.a.findRoute(IpAddress.parse('192.0.2.5'))).toThrow(/ENETUNREACH/);
    expect(() => p.a.removeRoute('192.0.2.0/24', p.nicA)).toThrow(/ESRCH/);
  });

  it('answers pings on a loopback NIC and writes a pcap of what it saw', async () => {
    const clock = new VirtualClock();
    const st = new Stack({ clock });
    const chunks: Uint8Array[] = [];
    const pcap = new PcapWriter((c) => chunks.push(c));
    const lo = st.addNic(new SniffingEndpoint(new LoopbackEndpoint(), pcap, clock), 'lo');
    st.addAddress(lo, '127.0.0.1/8');
    const r = ping(st, '127.0.0.1');
    clock.advance(1);
    await expect(r).resolves.toMatchObject({ from: '127.0.0.1' });
    const file = Buffer.concat(chunks);
    expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(file.readUInt32LE(20)).toBe(1);
    // Two frames (request, reply) seen by the sniffer in each direction.
    expect(chunks.length).toBe(1 + 4);
  });

  it('loses the route to 127/8 with the address on lo that covers it: connect says ENETUNREACH, and again works once it is back', () => {
    const { st, lo: loId } = loopbackStack();
    const lo = st.nicById(loId)!;
    for (const type of [SOCK.STREAM, SOCK.DGRAM]) {
      st.removeAddress(lo, '127.0.0.1/8');
      const s = createSocket(st, AF.INET, type);
      expect(errnoOf(() => s.connect({ family: AF.INET, addr: '127.0.0.1', port: 65535 }))).toBe(Errno.ENETUNREACH);
      expect(errnoOf(() => s.connect({ family: AF.INET, addr: '127.0.0.7', port: 65535 }))).toBe(Errno.ENETUNREACH);
      st.addAddress(lo, '127.0.0.1/8');
      const u = createSocket(st, AF.INET, SOCK.DGRAM);
      expect(errnoOf(() => u.connect({ family: AF.INET, addr: '127.0.0.7', port: 65535 }))).toBe(0);
      s.close();
      u.close();
    }
    // IPv6 keeps its route to ::1 without the address: connect finds no source address.
    st.removeAddress(lo, '::1/128');
    const v6 = createSocket(st, AF.INET6, SOCK.DGRAM);
    expect(errnoOf(() => v6.connect({ family: AF.INET6, addr: '::1', port: 65535 }))).toBe(Errno.EADDRNOTAVAIL);
  });

  it('takes every address in the IPv4 prefix of an address on lo as its own, as Linux local routes do (IPv6: the address alone)', () => {
    const { st, clock, lo: loId } = loopbackStack();
    const lo = st.nicById(loId)!;
    st.addAddress(lo, '192.0.2.1/24');
    const tx = createSocket(st, AF.INET, SOCK.DGRAM);
    const rx = createSocket(st, AF.INET, SOCK.DGRAM);
    tx.bind({ family: AF.INET, addr: '192.0.2.2', port: 0 });
    rx.bind({ family: AF.INET, addr: '192.0.2.254', port: 4000 });
    tx.sendto(new Uint8Array([1, 2, 3]), 0, { family: AF.INET, addr: '192.0.2.254', port: 4000 });
    clock.advance(1);
    const r = rx.recvfrom(10);
    expect([...r.data]).toEqual([1, 2, 3]);
    expect(r.addr).toMatchObject({ addr: '192.0.2.2' });
    // An unbound sender's source is the covering address (the local route's preferred source).
    const u = createSocket(st, AF.INET, SOCK.DGRAM);
    u.connect({ family: AF.INET, addr: '192.0.2.254', port: 4000 });
    expect(u.getsockname()).toMatchObject({ addr: '192.0.2.1' });
    st.removeAddress(lo, '192.0.2.1/24');
    expect(errnoOf(() => createSocket(st, AF.INET, SOCK.DGRAM).bind({ family: AF.INET, addr: '192.0.2.2', port: 0 }))).toBe(Errno.EADDRNOTAVAIL);
    // IPv6 has a local route per address only: another address of the prefix is not ours.
    st.addAddress(lo, '2001:db8::1/64');
    const v6 = () => createSocket(st, AF.INET6, SOCK.DGRAM);
    expect(errnoOf(() => v6().bind({ family: AF.INET6, addr: '2001:db8::1', port: 0 }))).toBe(0);
    expect(errnoOf(() => v6().bind({ family: AF.INET6, addr: '2001:db8::2', port: 0 }))).toBe(Errno.EADDRNOTAVAIL);
  });

  it('delivers to its own address without a loopback NIC', () => {
    const clock = new VirtualClock();
    const st = new Stack({ clock });
    const ch = new ChannelPair(clock);
    const nic = st.addNic(ch.a);
    st.addAddress(nic, '192.168.5.1/24');
    const rx = createSocket(st, AF.INET, SOCK.DGRAM);
    rx.bind({ family: AF.INET, addr: '192.168.5.1', port: 53 });
    const tx = createSocket(st, AF.INET, SOCK.DGRAM);
    tx.sendto(new Uint8Array([1, 2, 3]), 0, { family: AF.INET, addr: '192.168.5.1', port: 53 });
    clock.advance(1);
    expect(Array.from(rx.recv(10))).toEqual([1, 2, 3]);
    expect(ch.stats.sent).toBe(0);
  });
});
