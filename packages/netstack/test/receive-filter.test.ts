import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AF, Errno, SOCK } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import type { Socket } from '../src/socket/types.js';
import { errnoOf, makePair } from './harness.js';

const v4 = (addr: string, port: number) => ({ family: AF.INET, addr, port });
const UDP_HEADER = 8;

/** Reads everything queued on a datagram socket. */
function drain(s: Socket): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (;;) {
    try {
      out.push(s.recv(65536));
    } catch {
      return out;
    }
  }
}

describe('receive filters (SO_ATTACH_FILTER as the kernel installs it)', () => {
  it('UDP: each datagram reaches the queue only as far as the filter keeps it, seen from its UDP header on', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 8 }), (sends) => {
        const p = makePair();
        const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
        rx.bind(v4('0.0.0.0', 7000));
        const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
        tx.bind(v4('10.0.0.1', 7001));
        const seen: Uint8Array[] = [];
        // The verdict travels in the datagram's first byte: keep that many bytes of the packet (0 drops it).
        rx.setReceiveFilter!((packet) => {
          seen.push(packet.slice());
          return packet.length > UDP_HEADER ? packet[UDP_HEADER]! : packet.length;
        });
        const expected: Uint8Array[] = [];
        for (const [body, verdict] of sends) {
          const data = body.length > 0 ? Uint8Array.of(verdict, ...body.subarray(1)) : body;
          tx.sendto(data, 0, v4('10.0.0.2', 7000));
          const keep = data.length > 0 ? verdict : UDP_HEADER;
          if (keep !== 0) expected.push(data.slice(0, Math.max(0, Math.min(data.length, keep - UDP_HEADER))));
        }
        p.clock.advance(10);
        expect(drain(rx)).toEqual(expected);
        // The filter saw each datagram whole, with its UDP header (ports 7001 -> 7000) first.
        expect(seen.length).toBe(sends.length);
        for (const pkt of seen) expect([(pkt[0]! << 8) | pkt[1]!, (pkt[2]! << 8) | pkt[3]!]).toEqual([7001, 7000]);
      }),
    );
  });

  it('UDP: removing the filter lets everything in again', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    rx.setReceiveFilter!(() => 0);
    tx.sendto(Uint8Array.of(1), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    expect(errnoOf(() => rx.recv(10))).toBe(Errno.EAGAIN);
    rx.setReceiveFilter!(null);
    tx.sendto(Uint8Array.of(2), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    expect(rx.recv(10)).toEqual(Uint8Array.of(2));
  });

  it('TCP: a listener that drops every segment never completes a handshake; one that passes them does, and its connection inherits the filter', () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    l.bind(v4('0.0.0.0', 80));
    l.listen(8);
    let dropping = true;
    const flagsSeen: number[] = [];
    // The filter sees the TCP header: byte 13 holds the flags.
    l.setReceiveFilter!((segment) => {
      flagsSeen.push(segment[13]!);
      return dropping ? 0 : 0xffff;
    });
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 80)))).toBe(Errno.EINPROGRESS);
    p.clock.advance(500);
    expect(errnoOf(() => l.accept())).toBe(Errno.EAGAIN);
    expect(flagsSeen).toEqual([0x02]); // one SYN, dropped
    dropping = false;
    p.clock.advance(2000); // the SYN's retransmission gets through
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 80)))).toBe(0);
    const s = l.accept();
    dropping = true;
    c.send(Uint8Array.of(1, 2, 3));
    p.clock.advance(100);
    expect(errnoOf(() => s.recv(10))).toBe(Errno.EAGAIN);
    dropping = false;
    p.clock.advance(5000); // retransmitted once the filter passes it
    expect(s.recv(10)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('TCP: a shorter verdict trims the data, never the header', () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    l.bind(v4('0.0.0.0', 80));
    l.listen(8);
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 80)))).toBe(Errno.EINPROGRESS);
    p.clock.advance(50);
    const s = l.accept();
    // Keep the header (data offset in byte 12) and two bytes of data.
    s.setReceiveFilter!((segment) => ((segment[12]! >> 4) << 2) + 2);
    c.send(Uint8Array.of(9, 8, 7, 6));
    p.clock.advance(50);
    expect(s.recv(10)).toEqual(Uint8Array.of(9, 8));
  });
});
