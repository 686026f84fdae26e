import { describe, expect, it } from 'vitest';
import { AF, Errno, POLL, SHUT, SO, SOCK, SOL, TCP } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import type { TcpSocket } from '../src/socket/tcp-socket.js';
import type { Socket } from '../src/socket/types.js';
import { TcpState } from '../src/tcp/state.js';
import { errnoOf, makePair, type Pair } from './harness.js';

const v4 = (addr: string, port: number) => ({ family: AF.INET, addr, port });
const state = (s: Socket) => (s as TcpSocket).endpoint.state;

function connected(p: Pair, port = 80): { l: Socket; c: Socket; s: Socket } {
  const l = createSocket(p.b, AF.INET, SOCK.STREAM);
  l.bind(v4('0.0.0.0', port));
  l.listen(8);
  const c = createSocket(p.a, AF.INET, SOCK.STREAM);
  expect(errnoOf(() => c.connect(v4('10.0.0.2', port)))).toBe(Errno.EINPROGRESS);
  p.clock.advance(50);
  expect(errnoOf(() => c.connect(v4('10.0.0.2', port)))).toBe(0);
  return { l, c, s: l.accept() };
}

describe('TCP socket options as Linux keeps them', () => {
  it('TCP_SYNCNT: 1..127, default tcp_syn_retries (6), and it bounds the SYN retransmissions', () => {
    const p = makePair({ impairment: (_f, dir) => (dir === 0 ? [0] : []) }); // b never answers
    p.a.addNeighbor(p.nicA, '10.0.0.2', p.channel.b.macAddress);
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(c.getsockopt(SOL.TCP, TCP.SYNCNT)).toBe(6);
    expect(errnoOf(() => c.setsockopt(SOL.TCP, TCP.SYNCNT, 0))).toBe(Errno.EINVAL);
    expect(errnoOf(() => c.setsockopt(SOL.TCP, TCP.SYNCNT, 128))).toBe(Errno.EINVAL);
    expect(c.getsockopt(SOL.TCP, TCP.SYNCNT)).toBe(6);
    c.setsockopt(SOL.TCP, TCP.SYNCNT, 2);
    expect(c.getsockopt(SOL.TCP, TCP.SYNCNT)).toBe(2);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 80)))).toBe(Errno.EINPROGRESS);
    // SYN at 0, retransmissions at 1 s and 3 s, given up at 7 s.
    p.clock.advance(6_900);
    expect(state(c)).toBe(TcpState.SYN_SENT);
    p.clock.advance(200);
    expect(state(c)).toBe(TcpState.CLOSE);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ETIMEDOUT);
  });

  it('TCP_LINGER2: default tcp_fin_timeout, -1, 0 as default, capped at 120 s; it bounds an orphan in FIN_WAIT2', () => {
    const p = makePair();
    const { c } = connected(p);
    expect(c.getsockopt(SOL.TCP, TCP.LINGER2)).toBe(60);
    c.setsockopt(SOL.TCP, TCP.LINGER2, -1234);
    expect(c.getsockopt(SOL.TCP, TCP.LINGER2)).toBe(-1);
    c.setsockopt(SOL.TCP, TCP.LINGER2, 0);
    expect(c.getsockopt(SOL.TCP, TCP.LINGER2)).toBe(60);
    c.setsockopt(SOL.TCP, TCP.LINGER2, 121);
    expect(c.getsockopt(SOL.TCP, TCP.LINGER2)).toBe(120);
    c.setsockopt(SOL.TCP, TCP.LINGER2, 5);
    expect(c.getsockopt(SOL.TCP, TCP.LINGER2)).toBe(5);
    const ep = (c as TcpSocket).endpoint;
    c.close(); // the peer never closes: c waits in FIN_WAIT2
    p.clock.advance(100);
    expect(ep.state).toBe(TcpState.FIN_WAIT2);
    p.clock.advance(4_800);
    expect(ep.state).toBe(TcpState.FIN_WAIT2);
    p.clock.advance(200);
    expect(ep.state).toBe(TcpState.CLOSE);
  });

  it('TCP_DEFER_ACCEPT round-trips through retransmission counts as Linux does (3 -> 3, 5 -> 7, negative -> 0)', () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    expect(l.getsockopt(SOL.TCP, TCP.DEFER_ACCEPT)).toBe(0);
    for (const [set, got] of [
      [3, 3],
      [5, 7],
      [1, 1],
      [-1, 0],
      [100, 127],
    ]) {
      l.setsockopt(SOL.TCP, TCP.DEFER_ACCEPT, set);
      expect(l.getsockopt(SOL.TCP, TCP.DEFER_ACCEPT)).toBe(got);
    }
  });

  it('TCP_WINDOW_CLAMP: floor of half SOCK_MIN_RCVBUF, 0 only when closed, and the receiver never takes more than the clamp', () => {
    const p = makePair();
    const fresh = createSocket(p.a, AF.INET, SOCK.STREAM);
    fresh.setsockopt(SOL.TCP, TCP.WINDOW_CLAMP, 0);
    expect(fresh.getsockopt(SOL.TCP, TCP.WINDOW_CLAMP)).toBe(0);
    fresh.setsockopt(SOL.TCP, TCP.WINDOW_CLAMP, 100);
    expect(fresh.getsockopt(SOL.TCP, TCP.WINDOW_CLAMP)).toBe(1152);
    // A clamp set before connecting bounds every window the connection offers, the SYN's included.
    fresh.setsockopt(SOL.TCP, TCP.WINDOW_CLAMP, 4096);
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    l.bind(v4('0.0.0.0', 80));
    l.listen(8);
    expect(errnoOf(() => fresh.connect(v4('10.0.0.2', 80)))).toBe(Errno.EINPROGRESS);
    p.clock.advance(50);
    expect(errnoOf(() => fresh.setsockopt(SOL.TCP, TCP.WINDOW_CLAMP, 0))).toBe(Errno.EINVAL);
    const s = l.accept();
    // Linux offers min(free space, clamp) from RCV.NXT: the peer never has more than the clamp in flight.
    const sender = (s as TcpSocket).endpoint.snd;
    const receiver = (fresh as TcpSocket).endpoint.rcv;
    s.send(new Uint8Array(200_000));
    let total = 0;
    for (let i = 0; i < 20; i++) {
      p.clock.advance(100);
      expect(sender.sndWnd).toBeLessThanOrEqual(4096);
      expect(receiver.window()).toBeLessThanOrEqual(4096);
      if (fresh.inq() > 0) total += fresh.recv(100_000).length;
    }
    expect(total).toBeGreaterThan(4096);
    // Without the clamp the same buffer offers far more.
    const { c: plain } = connected(p, 81);
    expect((plain as TcpSocket).endpoint.rcv.window()).toBeGreaterThan(4096);
  });

  it('TCP_INQ is a boolean option (EINVAL outside 0..1)', () => {
    const p = makePair();
    const { s } = connected(p);
    expect(s.getsockopt(SOL.TCP, TCP.INQ)).toBe(0);
    s.setsockopt(SOL.TCP, TCP.INQ, 1);
    expect(s.getsockopt(SOL.TCP, TCP.INQ)).toBe(1);
    expect(errnoOf(() => s.setsockopt(SOL.TCP, TCP.INQ, 2))).toBe(Errno.EINVAL);
    s.setsockopt(SOL.TCP, TCP.INQ, 0);
    expect(s.getsockopt(SOL.TCP, TCP.INQ)).toBe(0);
  });

  it('SO_SNDBUF of a connection is sized for its window at once, and a non-blocking send of three times it takes part', () => {
    const p = makePair();
    const { c } = connected(p);
    const sndbuf = c.getsockopt(SOL.SOCKET, SO.SNDBUF) as number;
    expect(sndbuf).toBeGreaterThan(16384);
    const n = c.send(new Uint8Array(3 * sndbuf));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(3 * sndbuf);
  });
});

describe('TCP state rules of the socket layer', () => {
  it('connect after the refusal was collected is ECONNABORTED, then a new attempt starts', () => {
    const p = makePair();
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 81)))).toBe(Errno.EINPROGRESS);
    p.clock.advance(50);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ECONNREFUSED);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 81)))).toBe(Errno.ECONNABORTED);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 81)))).toBe(Errno.EINPROGRESS);
  });

  it('shutdown of a connecting socket ends the attempt with ECONNRESET (POLLERR | POLLHUP)', () => {
    const p = makePair({ impairment: (_f, dir) => (dir === 0 ? [0] : []) });
    p.a.addNeighbor(p.nicA, '10.0.0.2', p.channel.b.macAddress);
    for (const how of [SHUT.RD, SHUT.WR, SHUT.RDWR]) {
      const c = createSocket(p.a, AF.INET, SOCK.STREAM);
      expect(errnoOf(() => c.connect(v4('10.0.0.2', 80)))).toBe(Errno.EINPROGRESS);
      c.shutdown(how);
      expect(c.poll() & (POLL.ERR | POLL.HUP)).toBe(POLL.ERR | POLL.HUP);
      expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ECONNRESET);
    }
  });

  it('shutdown in TIME_WAIT is ENOTCONN: the socket itself is closed', () => {
    const p = makePair();
    const { c, s } = connected(p);
    s.shutdown(SHUT.WR);
    c.shutdown(SHUT.RDWR);
    p.clock.advance(500);
    expect(state(s)).toBe(TcpState.TIME_WAIT);
    expect(errnoOf(() => s.shutdown(SHUT.WR))).toBe(Errno.ENOTCONN);
  });

  it("SO_REUSEADDR lets a new listener take the port of a passively closed connection in TIME_WAIT, never a listener's", () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    l.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    l.bind(v4('0.0.0.0', 7000));
    l.listen(8);
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    errnoOf(() => c.connect(v4('10.0.0.2', 7000)));
    p.clock.advance(50);
    const s = l.accept();
    s.close(); // the server closes first: its connection ends in TIME_WAIT on port 7000
    p.clock.advance(50);
    c.close();
    p.clock.advance(50);
    l.close();
    expect(p.b.tcp.endpointsInState(TcpState.TIME_WAIT).length).toBe(1);
    const plain = createSocket(p.b, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => plain.bind(v4('0.0.0.0', 7000)))).toBe(Errno.EADDRINUSE);
    const l2 = createSocket(p.b, AF.INET, SOCK.STREAM);
    l2.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    l2.bind(v4('0.0.0.0', 7000));
    l2.listen(8);
    const l3 = createSocket(p.b, AF.INET, SOCK.STREAM);
    l3.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    expect(errnoOf(() => l3.bind(v4('0.0.0.0', 7000)))).toBe(Errno.EADDRINUSE);
  });

  it('TCP_CORK holds a partial segment at most 200 ms (the tcp(7) ceiling), then sends it', () => {
    const p = makePair();
    const { c, s } = connected(p);
    c.setsockopt(SOL.TCP, TCP.CORK, 1);
    c.send(new Uint8Array(512));
    p.clock.advance(150);
    expect(s.inq()).toBe(0);
    p.clock.advance(100);
    expect(s.inq()).toBe(512);
    // Still corked: the next partial segment waits its own 200 ms.
    c.send(new Uint8Array(100));
    p.clock.advance(150);
    expect(s.inq()).toBe(512);
    p.clock.advance(100);
    expect(s.inq()).toBe(612);
  });

  it('TCP_QUICKACK reads back what was set (default 1)', () => {
    const p = makePair();
    const { c } = connected(p);
    expect(c.getsockopt(SOL.TCP, TCP.QUICKACK)).toBe(1);
    c.setsockopt(SOL.TCP, TCP.QUICKACK, 0);
    expect(c.getsockopt(SOL.TCP, TCP.QUICKACK)).toBe(0);
    c.setsockopt(SOL.TCP, TCP.QUICKACK, 1);
    expect(c.getsockopt(SOL.TCP, TCP.QUICKACK)).toBe(1);
  });

  it('TCP_CONGESTION switches an established connection at once, keeping its window; unknown names are ENOENT', () => {
    const p = makePair();
    const { c } = connected(p);
    const ep = (c as TcpSocket).endpoint;
    expect(c.getsockopt(SOL.TCP, TCP.CONGESTION)).toBe('cubic');
    const cwnd = ep.cc.cwnd;
    c.setsockopt(SOL.TCP, TCP.CONGESTION, 'reno');
    expect(c.getsockopt(SOL.TCP, TCP.CONGESTION)).toBe('reno');
    expect(ep.cc.name).toBe('reno');
    expect(ep.cc.cwnd).toBe(cwnd);
    expect(errnoOf(() => c.setsockopt(SOL.TCP, TCP.CONGESTION, 'invalid_ca_cc'))).toBe(Errno.ENOENT);
    expect(c.getsockopt(SOL.TCP, TCP.CONGESTION)).toBe('reno');
  });

  it('connect from an address of the other IP version: ENETUNREACH from ::1 to a v4-mapped peer, EAFNOSUPPORT the other way', () => {
    const p = makePair();
    const v6 = createSocket(p.a, AF.INET6, SOCK.STREAM);
    v6.bind({ family: AF.INET6, addr: 'fd00::1', port: 0 });
    expect(errnoOf(() => v6.connect({ family: AF.INET6, addr: '::ffff:10.0.0.2', port: 80 }))).toBe(Errno.ENETUNREACH);
    const mapped = createSocket(p.a, AF.INET6, SOCK.STREAM);
    mapped.bind({ family: AF.INET6, addr: '::ffff:10.0.0.1', port: 0 });
    expect(errnoOf(() => mapped.connect({ family: AF.INET6, addr: 'fd00::2', port: 80 }))).toBe(Errno.EAFNOSUPPORT);
  });
});

describe('SO_RCVBUF/SO_SNDBUF and their FORCE forms', () => {
  it('the plain options stop at rmem_max/wmem_max (negative asks for it); FORCE goes past it, a negative is the floor, TCP and UDP alike', () => {
    const p = makePair();
    for (const type of [SOCK.STREAM, SOCK.DGRAM]) {
      const s = createSocket(p.a, AF.INET, type);
      s.setsockopt(SOL.SOCKET, SO.RCVBUF, 0x7fffffff);
      const max = s.getsockopt(SOL.SOCKET, SO.RCVBUF) as number;
      expect(max).toBe(2 * 212992);
      s.setsockopt(SOL.SOCKET, SO.RCVBUF, -1);
      expect(s.getsockopt(SOL.SOCKET, SO.RCVBUF)).toBe(max);
      s.setsockopt(SOL.SOCKET, SO.RCVBUFFORCE, max + 1);
      expect(s.getsockopt(SOL.SOCKET, SO.RCVBUF)).toBe(2 * (max + 1));
      s.setsockopt(SOL.SOCKET, SO.RCVBUFFORCE, 0x7fffffff);
      expect(s.getsockopt(SOL.SOCKET, SO.RCVBUF)).toBe(0x7ffffffe);
      s.setsockopt(SOL.SOCKET, SO.RCVBUFFORCE, -5);
      expect(s.getsockopt(SOL.SOCKET, SO.RCVBUF)).toBe(2304);
      s.setsockopt(SOL.SOCKET, SO.SNDBUFFORCE, 300000);
      expect(s.getsockopt(SOL.SOCKET, SO.SNDBUF)).toBe(600000);
      s.setsockopt(SOL.SOCKET, SO.SNDBUFFORCE, -1);
      expect(s.getsockopt(SOL.SOCKET, SO.SNDBUF)).toBe(4608);
      s.close();
    }
  });
});
