import { describe, expect, it } from 'vitest';
import { AF, Errno, MSG, POLL, SHUT, SO, SOCK, SOL } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import type { Socket } from '../src/socket/types.js';
import { errnoOf, makePair } from './harness.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const v4 = (addr: string, port: number) => ({ family: AF.INET, addr, port });

describe('UDP sockets', () => {
  it('bind/sendto/recvfrom with source address, MSG_PEEK and MSG_TRUNC', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    tx.bind(v4('10.0.0.1', 7001));
    expect(errnoOf(() => rx.recvfrom(100))).toBe(Errno.EAGAIN);
    tx.sendto(bytes('hello world'), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    expect(rx.poll() & POLL.IN).toBe(POLL.IN);
    const peek = rx.recvfrom(100, MSG.PEEK);
    expect(text(peek.data)).toBe('hello world');
    const r = rx.recvfrom(5);
    expect(text(r.data)).toBe('hello');
    expect(r.flags & MSG.TRUNC).toBe(MSG.TRUNC);
    expect(r.length).toBe(11);
    expect(r.addr).toEqual(v4('10.0.0.1', 7001));
    expect(errnoOf(() => rx.recv(100))).toBe(Errno.EAGAIN);
  });

  it('reports ECONNREFUSED on a connected socket after ICMP port unreachable, not on unconnected ones', () => {
    const p = makePair();
    const c = createSocket(p.a, AF.INET, SOCK.DGRAM);
    c.connect(v4('10.0.0.2', 9999));
    const events: number[] = [];
    c.subscribe(POLL.IN, (r) => events.push(r));
    c.send(bytes('x'));
    p.clock.advance(10);
    expect(c.poll() & POLL.ERR).toBe(POLL.ERR);
    expect(events.some((r) => r & POLL.ERR)).toBe(true);
    expect(errnoOf(() => c.recv(10))).toBe(Errno.ECONNREFUSED);
    // The error is reported once.
    expect(errnoOf(() => c.recv(10))).toBe(Errno.EAGAIN);
    c.send(bytes('y'));
    p.clock.advance(10);
    expect(errnoOf(() => c.send(bytes('z')))).toBe(Errno.ECONNREFUSED);

    const u = createSocket(p.a, AF.INET, SOCK.DGRAM);
    u.sendto(bytes('x'), 0, v4('10.0.0.2', 9999));
    p.clock.advance(10);
    expect(u.poll() & POLL.ERR).toBe(0);
    expect(u.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(0);
  });

  it('counts the UDP MIB as Linux does: OutDatagrams per datagram sent, InDatagrams per one a socket took, NoPorts per unicast one nobody took', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    for (let i = 0; i < 3; i++) tx.sendto(bytes('x'), 0, v4('10.0.0.2', 7000));
    tx.sendto(bytes('x'), 0, v4('10.0.0.2', 7001));
    p.clock.advance(10);
    expect(p.a.udp.mib[4]).toEqual({ inDatagrams: 0, noPorts: 0, outDatagrams: 4 });
    expect(p.b.udp.mib[4]).toEqual({ inDatagrams: 3, noPorts: 1, outDatagrams: 0 });
    expect(p.b.udp.mib[6]).toEqual({ inDatagrams: 0, noPorts: 0, outDatagrams: 0 });
  });

  it('does the same over IPv6', () => {
    const p = makePair();
    const c = createSocket(p.a, AF.INET6, SOCK.DGRAM);
    c.connect({ family: AF.INET6, addr: 'fd00::2', port: 9999 });
    c.send(bytes('x'));
    p.clock.advance(10);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ECONNREFUSED);
  });

  it('needs SO_BROADCAST to send to a broadcast address; broadcast reaches wildcard sockets only', () => {
    const p = makePair();
    const any = createSocket(p.b, AF.INET, SOCK.DGRAM);
    any.bind(v4('0.0.0.0', 6000));
    const specific = createSocket(p.b, AF.INET, SOCK.DGRAM);
    specific.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    any.close();
    const any2 = createSocket(p.b, AF.INET, SOCK.DGRAM);
    any2.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    any2.bind(v4('0.0.0.0', 6000));
    specific.bind(v4('10.0.0.2', 6000));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    expect(errnoOf(() => tx.sendto(bytes('b'), 0, v4('255.255.255.255', 6000)))).toBe(Errno.EACCES);
    expect(errnoOf(() => tx.sendto(bytes('b'), 0, v4('10.0.0.255', 6000)))).toBe(Errno.EACCES);
    tx.setsockopt(SOL.SOCKET, SO.BROADCAST, 1);
    tx.sendto(bytes('b1'), 0, v4('255.255.255.255', 6000));
    tx.sendto(bytes('b2'), 0, v4('10.0.0.255', 6000));
    p.clock.advance(10);
    expect(text(any2.recv(10))).toBe('b1');
    expect(text(any2.recv(10))).toBe('b2');
    expect(errnoOf(() => specific.recv(10))).toBe(Errno.EAGAIN);
  });

  it('applies SO_REUSEADDR / SO_REUSEPORT bind rules', () => {
    const p = makePair();
    const mk = (opts: { addr?: boolean; port?: boolean }) => {
      const s = createSocket(p.a, AF.INET, SOCK.DGRAM);
      if (opts.addr) s.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
      if (opts.port) s.setsockopt(SOL.SOCKET, SO.REUSEPORT, 1);
      return s;
    };
    const a = mk({});
    a.bind(v4('0.0.0.0', 5353));
    expect(errnoOf(() => mk({ addr: true }).bind(v4('0.0.0.0', 5353)))).toBe(Errno.EADDRINUSE);
    expect(errnoOf(() => mk({}).bind(v4('10.0.0.1', 5353)))).toBe(Errno.EADDRINUSE);
    a.close();
    const b = mk({ addr: true });
    b.bind(v4('0.0.0.0', 5353));
    expect(errnoOf(() => mk({ addr: true }).bind(v4('10.0.0.1', 5353)))).toBe(0);
    const c1 = mk({ port: true });
    c1.bind(v4('0.0.0.0', 6363));
    const c2 = mk({ port: true });
    c2.bind(v4('0.0.0.0', 6363));
    expect(errnoOf(() => mk({}).bind(v4('0.0.0.0', 6363)))).toBe(Errno.EADDRINUSE);
    // SO_REUSEPORT spreads flows over the group: every datagram lands in exactly one socket.
    const tx: Socket[] = [];
    for (let i = 0; i < 8; i++) {
      const s = createSocket(p.b, AF.INET, SOCK.DGRAM);
      s.sendto(bytes(`m${i}`), 0, v4('10.0.0.1', 6363));
      tx.push(s);
    }
    p.clock.advance(10);
    const drain = (s: Socket) => {
      const got: string[] = [];
      for (;;) {
        try {
          got.push(text(s.recv(10)));
        } catch {
          return got;
        }
      }
    };
    const all = [...drain(c1), ...drain(c2)].sort();
    expect(all).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
  });

  it('fragments and reassembles large IPv4 datagrams', () => {
    const p = makePair({ reorder: 0.5, reorderDelayMs: 3 });
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    const big = new Uint8Array(20_000).map((_, i) => (i * 31) & 0xff);
    tx.sendto(big, 0, v4('10.0.0.2', 7000));
    p.clock.advance(50);
    const r = rx.recvfrom(65536);
    expect(r.length).toBe(big.length);
    expect(Buffer.compare(r.data, big)).toBe(0);
    expect(p.channel.stats.sent).toBeGreaterThan(14);
    expect(errnoOf(() => tx.sendto(new Uint8Array(65508), 0, v4('10.0.0.2', 7000)))).toBe(Errno.EMSGSIZE);
  });

  it('dual-stack IPv6 socket receives IPv4 with mapped addresses; V6ONLY refuses', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET6, SOCK.DGRAM);
    rx.bind({ family: AF.INET6, addr: '::', port: 7100 });
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    tx.bind(v4('0.0.0.0', 7101));
    tx.sendto(bytes('v4'), 0, v4('10.0.0.2', 7100));
    p.clock.advance(10);
    const r = rx.recvfrom(10);
    expect(text(r.data)).toBe('v4');
    expect(r.addr).toMatchObject({ family: AF.INET6, addr: '::ffff:10.0.0.1', port: 7101 });
    // Reply through the mapped address.
    rx.sendto(bytes('back'), 0, r.addr);
    p.clock.advance(10);
    expect(text(tx.recv(10))).toBe('back');
    const only = createSocket(p.b, AF.INET6, SOCK.DGRAM);
    only.setsockopt(41, 26, 1);
    only.bind({ family: AF.INET6, addr: '::', port: 7200 });
    tx.sendto(bytes('v4'), 0, v4('10.0.0.2', 7200));
    p.clock.advance(10);
    expect(errnoOf(() => only.recv(10))).toBe(Errno.EAGAIN);
  });

  it('an IPv6 socket sends only within the IP version of its local address: ENETUNREACH from ::1 to v4-mapped, EAFNOSUPPORT the other way', () => {
    const p = makePair();
    const v6 = createSocket(p.a, AF.INET6, SOCK.DGRAM);
    v6.bind({ family: AF.INET6, addr: 'fd00::1', port: 0 });
    expect(errnoOf(() => v6.sendto(bytes('x'), 0, { family: AF.INET6, addr: '::ffff:10.0.0.2', port: 7000 }))).toBe(Errno.ENETUNREACH);
    const mapped = createSocket(p.a, AF.INET6, SOCK.DGRAM);
    mapped.bind({ family: AF.INET6, addr: '::ffff:10.0.0.1', port: 0 });
    expect(errnoOf(() => mapped.sendto(bytes('x'), 0, { family: AF.INET6, addr: 'fd00::2', port: 7000 }))).toBe(Errno.EAFNOSUPPORT);
    // Connecting to a v4-mapped peer fixes a v4 local address the same way.
    const connected = createSocket(p.a, AF.INET6, SOCK.DGRAM);
    connected.connect({ family: AF.INET6, addr: '::ffff:10.0.0.2', port: 5000 });
    expect(errnoOf(() => connected.sendto(bytes('x'), 0, { family: AF.INET6, addr: 'fd00::2', port: 7000 }))).toBe(Errno.EAFNOSUPPORT);
    // An unbound dual-stack socket reaches both.
    const any = createSocket(p.a, AF.INET6, SOCK.DGRAM);
    expect(any.sendto(bytes('x'), 0, { family: AF.INET6, addr: '::ffff:10.0.0.2', port: 7000 })).toBe(1);
    expect(any.sendto(bytes('x'), 0, { family: AF.INET6, addr: 'fd00::2', port: 7000 })).toBe(1);
  });

  it('validates addresses and states like Linux', () => {
    const p = makePair();
    const s = createSocket(p.a, AF.INET, SOCK.DGRAM);
    expect(errnoOf(() => s.bind({ family: AF.INET6, addr: '::', port: 1 }))).toBe(Errno.EAFNOSUPPORT);
    expect(errnoOf(() => s.bind(v4('10.9.9.9', 1)))).toBe(Errno.EADDRNOTAVAIL);
    expect(errnoOf(() => s.send(bytes('x')))).toBe(Errno.EDESTADDRREQ);
    expect(errnoOf(() => s.getpeername())).toBe(Errno.ENOTCONN);
    expect(errnoOf(() => s.sendto(bytes('x'), 0, v4('192.168.1.1', 5)))).toBe(Errno.ENETUNREACH);
    s.bind(v4('0.0.0.0', 0));
    expect(s.getsockname().port).toBeGreaterThanOrEqual(32768);
    expect(errnoOf(() => s.bind(v4('0.0.0.0', 0)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => createSocket(p.a, 1, SOCK.DGRAM))).toBe(Errno.EAFNOSUPPORT);
    expect(errnoOf(() => createSocket(p.a, AF.INET, SOCK.DGRAM, 6))).toBe(Errno.EPROTONOSUPPORT);
    s.close();
    expect(errnoOf(() => s.recv(1))).toBe(Errno.EBADF);
  });
});

describe('queue sizes', () => {
  it('reports FIONREAD-style inq for datagrams and streams, and outq for streams', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    expect(rx.inq()).toBe(0);
    tx.sendto(bytes('abc'), 0, v4('10.0.0.2', 7000));
    tx.sendto(bytes('defgh'), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    expect(rx.inq()).toBe(3); // the next datagram only, as Linux
    expect(tx.outq()).toBe(0);
  });

  it('loopback convenience: 127.0.0.1 and ::1 on "lo"', async () => {
    const { Stack } = await import('../src/stack/stack.js');
    const { VirtualClock } = await import('../src/time/virtual-clock.js');
    const clock = new VirtualClock();
    const st = new Stack({ clock });
    const lo = st.addLoopback();
    expect(lo.name).toBe('lo');
    const l = createSocket(st, AF.INET, SOCK.STREAM);
    l.bind(v4('127.0.0.1', 80));
    l.listen(1);
    const c = createSocket(st, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect(v4('127.0.0.1', 80)))).toBe(Errno.EINPROGRESS);
    clock.advance(1);
    const s = l.accept();
    c.send(bytes('hello')); // loopback delivers (and acknowledges) within the call
    clock.advance(1);
    expect(s.inq()).toBe(5);
    expect(c.outq()).toBe(0);
    expect(errnoOf(() => l.inq())).toBe(Errno.EINVAL);
  });
  it('a receive buffer takes datagrams while it holds no more than SO_RCVBUF, so one larger than the buffer still arrives', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    rx.setsockopt(SOL.SOCKET, SO.RCVBUF, 0);
    const min = rx.getsockopt(SOL.SOCKET, SO.RCVBUF) as number;
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    // An empty queue takes a datagram larger than the whole buffer.
    tx.sendto(new Uint8Array(min + 1), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    expect(rx.recvfrom(min + 1).length).toBe(min + 1);
    // Datagrams of the buffer's size: the second is taken (the queue held exactly SO_RCVBUF), the third is dropped.
    for (let i = 0; i < 3; i++) tx.sendto(new Uint8Array(min / 2), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    tx.sendto(new Uint8Array(min / 2), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    let n = 0;
    while (rx.inq() > 0 || rx.poll() & POLL.IN) {
      rx.recvfrom(min);
      n++;
    }
    expect(n).toBe(3);
  });

  it('reports when each datagram arrived, on the stack clock', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    tx.sendto(bytes('a'), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    const first = p.clock.now();
    p.clock.advance(500);
    tx.sendto(bytes('b'), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    const a = rx.recvfrom(10).arrivedAt!;
    const b = rx.recvfrom(10).arrivedAt!;
    expect(a).toBeLessThanOrEqual(first);
    expect(b - a).toBeGreaterThanOrEqual(500);
  });
  it('after SHUT_RD an empty queue is end of file to a caller that would wait, EAGAIN with MSG_DONTWAIT', () => {
    const p = makePair();
    const rx = createSocket(p.b, AF.INET, SOCK.DGRAM);
    rx.bind(v4('0.0.0.0', 7000));
    rx.connect(v4('10.0.0.1', 7001));
    const tx = createSocket(p.a, AF.INET, SOCK.DGRAM);
    tx.bind(v4('10.0.0.1', 7001));
    tx.sendto(bytes('abc'), 0, v4('10.0.0.2', 7000));
    p.clock.advance(10);
    rx.shutdown(SHUT.RD);
    // Queued data still reads, truncated as a datagram.
    expect(text(rx.recvfrom(2, MSG.DONTWAIT).data)).toBe('ab');
    expect(errnoOf(() => rx.recvfrom(10, MSG.DONTWAIT))).toBe(Errno.EAGAIN);
    expect(rx.recvfrom(10).data.length).toBe(0);
  });
});
