import { describe, expect, it } from 'vitest';
import { AF, Errno, IP, SO, SOCK, SOL, SysError } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import type { Socket } from '../src/socket/types.js';
import { Stack } from '../src/stack/stack.js';
import { errnoOf, loopbackStack } from './harness.js';

const GROUP = [224, 0, 2, 1];
const LOOPBACK = [127, 0, 0, 1];

/** struct ip_mreqn { group, address, ifindex }. */
function mreqn(group: number[], addr: number[], ifindex = 0): Uint8Array {
  const b = new Uint8Array(12);
  b.set(group, 0);
  b.set(addr, 4);
  new DataView(b.buffer).setInt32(8, ifindex, true);
  return b;
}

function receiver(st: Stack, port = 0): Socket {
  const s = createSocket(st, AF.INET, SOCK.DGRAM);
  s.setsockopt(SOL.SOCKET, SO.REUSEPORT, 1);
  s.bind({ family: AF.INET, addr: '0.0.0.0', port });
  return s;
}

function sendToGroup(s: Socket, port: number, byte: number): void {
  s.sendto(Uint8Array.of(byte), 0, { family: AF.INET, addr: '224.0.2.1', port });
}

function received(s: Socket): number[] {
  const out: number[] = [];
  for (;;) {
    try {
      out.push(s.recv(10)[0]);
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.EAGAIN) return out;
      throw e;
    }
  }
}

describe('IPv4 multicast on loopback (ip(7) IP_ADD_MEMBERSHIP, IP_MULTICAST_IF)', () => {
  it('delivers a group datagram once to every socket on the port once the interface joined, and to nobody before', () => {
    const { st, clock, lo } = loopbackStack(false);
    const a = receiver(st);
    const port = a.getsockname().port;
    const b = receiver(st, port);
    const sender = createSocket(st, AF.INET, SOCK.DGRAM);
    sender.setsockopt(SOL.IP, IP.MULTICAST_IF, mreqn([0, 0, 0, 0], [0, 0, 0, 0], lo));
    sendToGroup(sender, port, 1);
    clock.advance(1);
    expect(received(a)).toEqual([]);
    a.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn(GROUP, LOOPBACK));
    expect(errnoOf(() => a.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn(GROUP, LOOPBACK)))).toBe(Errno.EADDRINUSE);
    sendToGroup(sender, port, 2);
    clock.advance(1);
    // b did not join, but IP_MULTICAST_ALL (on by default) lets it take what the interface joined.
    expect(received(a)).toEqual([2]);
    expect(received(b)).toEqual([2]);
    b.setsockopt(SOL.IP, IP.MULTICAST_ALL, 0);
    sendToGroup(sender, port, 3);
    clock.advance(1);
    expect(received(a)).toEqual([3]);
    expect(received(b)).toEqual([]);
    a.setsockopt(SOL.IP, IP.DROP_MEMBERSHIP, mreqn(GROUP, [0, 0, 0, 0], lo));
    expect(errnoOf(() => a.setsockopt(SOL.IP, IP.DROP_MEMBERSHIP, mreqn(GROUP, LOOPBACK)))).toBe(Errno.EADDRNOTAVAIL);
    sendToGroup(sender, port, 4);
    clock.advance(1);
    expect(received(a)).toEqual([]);
  });

  it('needs an interface to send a group datagram: ENETUNREACH without route, IP_MULTICAST_IF or a bound address', () => {
    const { st, clock } = loopbackStack(false);
    const r = receiver(st);
    const port = r.getsockname().port;
    r.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn(GROUP, LOOPBACK));
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    expect(errnoOf(() => sendToGroup(s, port, 1))).toBe(Errno.ENETUNREACH);
    s.bind({ family: AF.INET, addr: '127.0.0.1', port: 0 });
    sendToGroup(s, port, 5);
    clock.advance(1);
    expect(received(r)).toEqual([5]);
  });

  it('refuses memberships Linux refuses: a unicast group, no interface for the group, too many groups', () => {
    const { st } = loopbackStack(false);
    const s = receiver(st);
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn(LOOPBACK, LOOPBACK)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn(GROUP, [0, 0, 0, 0])))).toBe(Errno.ENODEV);
    for (let i = 0; i < 20; i++) s.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn([224, 0, 2, 10 + i], LOOPBACK));
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn([224, 0, 3, 1], LOOPBACK)))).toBe(Errno.ENOBUFS);
  });

  it("drops a closed socket's memberships, so the interface stops taking the group", () => {
    const { st, clock } = loopbackStack(false);
    const member = receiver(st);
    const port = member.getsockname().port;
    const other = receiver(st, port);
    member.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, mreqn(GROUP, LOOPBACK));
    member.close();
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    s.bind({ family: AF.INET, addr: '127.0.0.1', port: 0 });
    sendToGroup(s, port, 6);
    clock.advance(1);
    expect(received(other)).toEqual([]);
  });
});
