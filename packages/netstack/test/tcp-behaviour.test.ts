import { describe, expect, it } from 'vitest';
import { AF, Errno, MSG, POLL, SHUT, SO, SOCK, SOL, TCP } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import type { TcpSocket } from '../src/socket/tcp-socket.js';
import type { Socket } from '../src/socket/types.js';
import { TcpState } from '../src/tcp/state.js';
import { TCP_INFO_SIZE } from '../src/tcp/info.js';
import { EthernetView, ETHERNET_HEADER_LEN } from '../src/wire/ethernet.js';
import { parseTcp, TcpFlag, type TcpRepr } from '../src/wire/tcp.js';
import { Ipv4View } from '../src/wire/ipv4.js';
import { errnoOf, makePair, type Pair } from './harness.js';

const v4 = (addr: string, port: number) => ({ family: AF.INET, addr, port });
const state = (s: Socket) => (s as TcpSocket).endpoint.state;
const bytes = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);

/** Records TCP segments crossing the channel (both directions). */
function tapSegments(p: Pair): { dir: 0 | 1; seg: TcpRepr; at: number }[] {
  const log: { dir: 0 | 1; seg: TcpRepr; at: number }[] = [];
  for (const [end, dir] of [
    [p.channel.a, 0],
    [p.channel.b, 1],
  ] as const) {
    const send = end.send.bind(end);
    end.send = (frame: Uint8Array) => {
      if (new EthernetView(frame).etherType === 0x0800) {
        const ip = new Ipv4View(frame, ETHERNET_HEADER_LEN);
        if (ip.protocol === 6) {
          const seg = parseTcp(frame.slice(ETHERNET_HEADER_LEN + ip.headerLength, ETHERNET_HEADER_LEN + ip.totalLength), ip.src, ip.dst);
          if (seg) log.push({ dir, seg, at: p.clock.now() });
        }
      }
      send(frame);
    };
  }
  return log;
}

function connected(p: Pair, port = 80, opts: { serverOpts?: (s: Socket) => void; clientOpts?: (s: Socket) => void } = {}): { l: Socket; c: Socket; s: Socket } {
  const l = createSocket(p.b, AF.INET, SOCK.STREAM);
  opts.serverOpts?.(l);
  l.bind(v4('0.0.0.0', port));
  l.listen(8);
  const c = createSocket(p.a, AF.INET, SOCK.STREAM);
  opts.clientOpts?.(c);
  expect(errnoOf(() => c.connect(v4('10.0.0.2', port)))).toBe(Errno.EINPROGRESS);
  expect(errnoOf(() => c.connect(v4('10.0.0.2', port)))).toBe(Errno.EALREADY);
  p.clock.advance(50);
  expect(errnoOf(() => c.connect(v4('10.0.0.2', port)))).toBe(0);
  expect(errnoOf(() => c.connect(v4('10.0.0.2', port)))).toBe(Errno.EISCONN);
  const s = l.accept();
  return { l, c, s };
}

describe('TCP connection management', () => {
  it('refuses connections to a closed port (RST -> ECONNREFUSED via SO_ERROR and connect)', () => {
    const p = makePair();
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 81)))).toBe(Errno.EINPROGRESS);
    p.clock.advance(50);
    expect(c.poll() & (POLL.ERR | POLL.HUP | POLL.OUT)).toBe(POLL.ERR | POLL.HUP | POLL.OUT);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 81)))).toBe(Errno.ECONNREFUSED);
  });

  it('times out a SYN to a silent host with RFC 6298 backoff (1s, 2s, 4s ...) and ETIMEDOUT', () => {
    const p = makePair({ impairment: (_f, dir) => (dir === 0 ? [0] : []) }); // b never answers... not even ARP
    p.a.addNeighbor(p.nicA, '10.0.0.2', p.channel.b.macAddress);
    const log = tapSegments(p);
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect(v4('10.0.0.2', 80)))).toBe(Errno.EINPROGRESS);
    p.clock.advance(200_000);
    const syns = log.filter((e) => e.seg.flags === TcpFlag.SYN).map((e) => Math.round(e.at));
    expect(syns).toEqual([0, 1000, 3000, 7000, 15000, 31000, 63000]);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ETIMEDOUT);
  });

  it('negotiates MSS, window scaling, SACK and timestamps; TCP_INFO reflects them', () => {
    const p = makePair({ mtu: 1000 });
    const log = tapSegments(p);
    const { c } = connected(p);
    const syn = log.find((e) => e.seg.flags === TcpFlag.SYN)!.seg;
    expect(syn.mss).toBe(960);
    expect(syn.windowScale).toBe(7);
    expect(syn.sackPermitted).toBe(true);
    expect(syn.timestamp).toBeDefined();
    const info = (c as TcpSocket).endpoint.info();
    expect(info.sndMss).toBe(948); // 960 minus the 12-byte timestamp option
    expect(info.sndWscale).toBe(7);
    expect(info.rcvWscale).toBe(7);
    expect(info.options).toBe(7);
    expect(info.state).toBe(TcpState.ESTABLISHED);
    const raw = c.getsockopt(SOL.TCP, TCP.INFO) as Uint8Array;
    expect(raw.length).toBe(TCP_INFO_SIZE);
    expect(raw[0]).toBe(TcpState.ESTABLISHED);
    expect(c.getsockopt(SOL.TCP, TCP.CONGESTION)).toBe('cubic');
    expect(c.getsockopt(SOL.TCP, TCP.MAXSEG)).toBe(948);
  });

  it('handles simultaneous open (RFC 9293 figure 8)', () => {
    const p = makePair({ delayMs: 5 });
    const x = createSocket(p.a, AF.INET, SOCK.STREAM);
    const y = createSocket(p.b, AF.INET, SOCK.STREAM);
    x.bind(v4('10.0.0.1', 4000));
    y.bind(v4('10.0.0.2', 5000));
    p.a.addNeighbor(p.nicA, '10.0.0.2', p.channel.b.macAddress);
    p.b.addNeighbor(p.nicB, '10.0.0.1', p.channel.a.macAddress);
    expect(errnoOf(() => x.connect(v4('10.0.0.2', 5000)))).toBe(Errno.EINPROGRESS);
    expect(errnoOf(() => y.connect(v4('10.0.0.1', 4000)))).toBe(Errno.EINPROGRESS);
    p.clock.advance(100);
    expect(state(x)).toBe(TcpState.ESTABLISHED);
    expect(state(y)).toBe(TcpState.ESTABLISHED);
    x.send(new TextEncoder().encode('ping'));
    p.clock.advance(100);
    expect(new TextDecoder().decode(y.recv(10))).toBe('ping');
  });

  it('supports half-close: the peer keeps sending after our FIN', () => {
    const p = makePair({ delayMs: 1 });
    const { c, s } = connected(p);
    c.shutdown(SHUT.WR);
    p.clock.advance(20);
    expect(state(c)).toBe(TcpState.FIN_WAIT2);
    expect(state(s)).toBe(TcpState.CLOSE_WAIT);
    expect(s.recv(10).length).toBe(0); // EOF
    expect(s.poll() & POLL.RDHUP).toBe(POLL.RDHUP);
    expect(errnoOf(() => c.send(bytes(1)))).toBe(Errno.EPIPE);
    s.send(bytes(3000));
    p.clock.advance(50);
    expect(Buffer.compare(c.recv(5000), bytes(3000))).toBe(0);
    s.close();
    p.clock.advance(50);
    expect(c.recv(10).length).toBe(0);
    expect(state(c)).toBe(TcpState.TIME_WAIT);
    p.clock.advance(60_000);
    expect(state(c)).toBe(TcpState.CLOSE);
  });

  it('handles simultaneous close through CLOSING to TIME_WAIT on both ends', () => {
    const p = makePair({ delayMs: 5 });
    const { c, s } = connected(p);
    c.close();
    s.close();
    p.clock.advance(3);
    expect((c as TcpSocket).endpoint.state).toBe(TcpState.FIN_WAIT1);
    p.clock.advance(50);
    expect(p.a.tcp.endpointsInState(TcpState.TIME_WAIT).length).toBe(1);
    expect(p.b.tcp.endpointsInState(TcpState.TIME_WAIT).length).toBe(1);
    p.clock.advance(61_000);
    expect(p.a.tcp.connectionCount + p.b.tcp.connectionCount).toBe(0);
  });

  it('resets when closing with unread data, and the peer sees ECONNRESET then EOF', () => {
    const p = makePair();
    const { c, s } = connected(p);
    c.send(bytes(100));
    p.clock.advance(50);
    const log = tapSegments(p);
    s.close(); // 100 unread bytes
    p.clock.advance(50);
    expect(log.some((e) => e.dir === 1 && e.seg.flags & TcpFlag.RST)).toBe(true);
    expect(c.poll() & POLL.ERR).toBe(POLL.ERR);
    expect(errnoOf(() => c.recv(10))).toBe(Errno.ECONNRESET);
    expect(c.recv(10).length).toBe(0);
    expect(errnoOf(() => c.send(bytes(1)))).toBe(Errno.EPIPE);
  });

  it('SO_LINGER with a zero timeout aborts with RST instead of FIN', () => {
    const p = makePair();
    const { c, s } = connected(p);
    c.setsockopt(SOL.SOCKET, SO.LINGER, { onoff: true, linger: 0 });
    expect(c.getsockopt(SOL.SOCKET, SO.LINGER)).toEqual({ onoff: true, linger: 0 });
    const log = tapSegments(p);
    c.close();
    p.clock.advance(50);
    expect(log.map((e) => e.seg.flags & (TcpFlag.RST | TcpFlag.FIN))).toEqual([TcpFlag.RST]);
    expect(errnoOf(() => s.recv(1))).toBe(Errno.ECONNRESET);
    expect(p.a.tcp.connectionCount).toBe(0);
  });

  it('a connection reset while in the accept queue is still accepted, with ECONNRESET as its error', () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    l.bind(v4('0.0.0.0', 82));
    l.listen(8);
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    errnoOf(() => c.connect(v4('10.0.0.2', 82)));
    p.clock.advance(50);
    const clientName = c.getsockname();
    c.setsockopt(SOL.SOCKET, SO.LINGER, { onoff: true, linger: 0 });
    c.close();
    p.clock.advance(50);
    expect(l.poll() & POLL.IN).toBe(POLL.IN);
    const s = l.accept();
    expect(s.poll() & (POLL.IN | POLL.HUP | POLL.ERR)).toBe(POLL.IN | POLL.HUP | POLL.ERR);
    expect(s.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ECONNRESET);
    expect(s.getpeername(true)).toEqual(clientName); // accept(2) names the peer even so
    expect(errnoOf(() => s.getpeername())).toBe(Errno.ENOTCONN);
  });

  it('an accepted socket inherits the listener TCP_USER_TIMEOUT', () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    l.setsockopt(SOL.TCP, TCP.USER_TIMEOUT, 5000);
    l.bind(v4('0.0.0.0', 81));
    l.listen(8);
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    errnoOf(() => c.connect(v4('10.0.0.2', 81)));
    p.clock.advance(50);
    expect(l.accept().getsockopt(SOL.TCP, TCP.USER_TIMEOUT)).toBe(5000);
  });

  it('SO_LINGER as Linux keeps it: l_onoff 0 keeps the old time; a negative time is kept and closes with FIN, not RST', () => {
    const p = makePair();
    const { c, s } = connected(p);
    expect(c.getsockopt(SOL.SOCKET, SO.LINGER)).toEqual({ onoff: false, linger: 0 });
    c.setsockopt(SOL.SOCKET, SO.LINGER, { onoff: true, linger: 5 });
    c.setsockopt(SOL.SOCKET, SO.LINGER, { onoff: false, linger: 9 });
    expect(c.getsockopt(SOL.SOCKET, SO.LINGER)).toEqual({ onoff: false, linger: 5 });
    c.setsockopt(SOL.SOCKET, SO.LINGER, { onoff: true, linger: -3 });
    expect(c.getsockopt(SOL.SOCKET, SO.LINGER)).toEqual({ onoff: true, linger: -3 });
    const log = tapSegments(p);
    c.close();
    p.clock.advance(50);
    expect(log.filter((e) => e.dir === 0).map((e) => e.seg.flags & (TcpFlag.RST | TcpFlag.FIN))).toEqual([TcpFlag.FIN]);
    expect(s.recv(1).length).toBe(0);
  });

  it('honours the listen backlog: handshakes beyond it wait until accept() makes room', () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET, SOCK.STREAM);
    l.bind(v4('0.0.0.0', 80));
    l.listen(1); // Linux queues backlog + 1 connections
    const clients = [0, 1, 2].map(() => {
      const c = createSocket(p.a, AF.INET, SOCK.STREAM);
      errnoOf(() => c.connect(v4('10.0.0.2', 80)));
      return c;
    });
    p.clock.advance(100);
    // All three SYNs found room; the third final ACK is dropped while the queue is full (Linux too).
    expect(p.b.tcp.endpointsInState(TcpState.SYN_RECV).length).toBe(1);
    l.accept();
    l.accept();
    expect(errnoOf(() => l.accept())).toBe(Errno.EAGAIN);
    p.clock.advance(5_000); // SYN-ACK retransmission draws a fresh ACK, which now fits
    expect(p.b.tcp.endpointsInState(TcpState.SYN_RECV).length).toBe(0);
    expect(state(clients[2])).toBe(TcpState.ESTABLISHED);
    expect(l.accept()).toBeDefined();
    // With the queue full, new SYNs are dropped and the client keeps retrying.
    const d = createSocket(p.a, AF.INET, SOCK.STREAM);
    const e = createSocket(p.a, AF.INET, SOCK.STREAM);
    const f = createSocket(p.a, AF.INET, SOCK.STREAM);
    for (const x of [d, e]) errnoOf(() => x.connect(v4('10.0.0.2', 80)));
    p.clock.advance(100);
    errnoOf(() => f.connect(v4('10.0.0.2', 80)));
    p.clock.advance(100);
    expect(state(f)).toBe(TcpState.SYN_SENT);
    l.accept();
    p.clock.advance(2_000);
    expect(state(f)).toBe(TcpState.ESTABLISHED);
  });

  it('enforces TCP bind rules: EADDRINUSE, SO_REUSEADDR over TIME_WAIT, never two listeners', () => {
    const p = makePair();
    const { c, s } = connected(p, 8080, { serverOpts: (l) => l.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1) });
    const port = c.getsockname().port;
    c.close();
    s.close();
    p.clock.advance(100);
    expect(p.a.tcp.endpointsInState(TcpState.TIME_WAIT).length).toBe(1);
    const again = createSocket(p.a, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => again.bind(v4('0.0.0.0', port)))).toBe(Errno.EADDRINUSE);
    const l1 = createSocket(p.a, AF.INET, SOCK.STREAM);
    l1.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    l1.bind(v4('0.0.0.0', 9000));
    l1.listen(1);
    const l2 = createSocket(p.a, AF.INET, SOCK.STREAM);
    l2.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    expect(errnoOf(() => l2.bind(v4('0.0.0.0', 9000)))).toBe(Errno.EADDRINUSE);
    const r1 = createSocket(p.a, AF.INET, SOCK.STREAM);
    const r2 = createSocket(p.a, AF.INET, SOCK.STREAM);
    r1.setsockopt(SOL.SOCKET, SO.REUSEPORT, 1);
    r2.setsockopt(SOL.SOCKET, SO.REUSEPORT, 1);
    r1.bind(v4('0.0.0.0', 9100));
    r2.bind(v4('0.0.0.0', 9100));
    r1.listen(4);
    r2.listen(4);
  });

  it('accepts IPv4 connections on a dual-stack IPv6 listener with mapped addresses', () => {
    const p = makePair();
    const l = createSocket(p.b, AF.INET6, SOCK.STREAM);
    l.bind({ family: AF.INET6, addr: '::', port: 80 });
    l.listen(4);
    const c = createSocket(p.a, AF.INET, SOCK.STREAM);
    errnoOf(() => c.connect(v4('10.0.0.2', 80)));
    p.clock.advance(50);
    const s = l.accept();
    expect(s.getpeername()).toMatchObject({ family: AF.INET6, addr: '::ffff:10.0.0.1', port: c.getsockname().port });
    expect(s.getsockname()).toMatchObject({ addr: '::ffff:10.0.0.2', port: 80 });
  });
});

describe('TCP data transfer machinery', () => {
  it('probes a zero window and resumes when the reader drains', () => {
    const p = makePair({ delayMs: 1 });
    const log = tapSegments(p);
    const { c, s } = connected(p, 80, { serverOpts: (l) => l.setsockopt(SOL.SOCKET, SO.RCVBUF, 4096) });
    const data = bytes(200_000);
    let sent = 0;
    const pump = () => {
      while (sent < data.length) {
        const n = errnoOf(() => (sent += c.send(data.subarray(sent))));
        if (n) return;
      }
    };
    pump();
    p.clock.advance(30_000); // receiver never reads: window closes
    expect(s.poll() & POLL.IN).toBe(POLL.IN);
    const probes = log.filter((e) => e.dir === 0 && e.seg.payload.length === 0 && e.seg.flags === TcpFlag.ACK && e.at > 1000);
    expect(probes.length).toBeGreaterThan(2); // persist timer keeps probing with backoff
    expect(state(c)).toBe(TcpState.ESTABLISHED);
    const got: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < 20_000 && total < data.length; i++) {
      try {
        const d = s.recv(65536);
        got.push(d);
        total += d.length;
      } catch {
        pump();
        p.clock.advance(5);
      }
      pump();
    }
    expect(total).toBe(data.length);
    expect(Buffer.compare(Buffer.concat(got), data)).toBe(0);
  });

  it('coalesces small writes with Nagle and sends them at once with TCP_NODELAY', () => {
    const run = (nodelay: boolean) => {
      const p = makePair({ delayMs: 10 });
      const { c } = connected(p, 80, { clientOpts: (s) => s.setsockopt(SOL.TCP, TCP.NODELAY, nodelay ? 1 : 0) });
      const log = tapSegments(p);
      for (let i = 0; i < 10; i++) c.send(bytes(10, i));
      p.clock.advance(1);
      return log.filter((e) => e.dir === 0 && e.seg.payload.length > 0).length;
    };
    expect(run(false)).toBe(1); // first segment goes, the rest waits for its ACK
    expect(run(true)).toBe(10);
  });

  it("sends a large write's partial tail at once, and holds a later small write while that tail is unacknowledged (Nagle with Minshall's rule, as Linux)", () => {
    const p = makePair({ delayMs: 10 });
    const { c } = connected(p, 80);
    const mss = 1448;
    const log = tapSegments(p);
    c.send(bytes(2 * mss + 100));
    c.send(bytes(50));
    p.clock.advance(1); // well before any ACK can come back
    const sizes = log.filter((e) => e.dir === 0 && e.seg.payload.length > 0).map((e) => e.seg.payload.length);
    // Linux (tcp_nagle_check/tcp_minshall_check): the 100-byte tail goes with the full
    // segments; the 50 bytes wait, a partial segment being in flight.
    expect(sizes).toEqual([mss, mss, 100]);
    p.clock.advance(100);
    const all = log.filter((e) => e.dir === 0 && e.seg.payload.length > 0).map((e) => e.seg.payload.length);
    expect(all).toEqual([mss, mss, 100, 50]);
  });

  it('delays ACKs (40 ms) for a lone segment and ACKs every second full segment', () => {
    const p = makePair({ delayMs: 1 });
    const { c } = connected(p);
    // Get past quick-ack mode.
    for (let i = 0; i < 20; i++) {
      c.send(bytes(100));
      p.clock.advance(100);
    }
    const log = tapSegments(p);
    c.send(bytes(100));
    p.clock.advance(100);
    const data = log.find((e) => e.dir === 0 && e.seg.payload.length > 0)!;
    const ack = log.find((e) => e.dir === 1 && e.at > data.at)!;
    expect(Math.round(ack.at - data.at)).toBe(41); // 1 ms wire + 40 ms delayed-ACK timer
    log.length = 0;
    c.send(bytes(10 * 1448));
    p.clock.advance(100);
    const acks = log.filter((e) => e.dir === 1).length;
    expect(acks).toBeGreaterThanOrEqual(4);
    expect(acks).toBeLessThanOrEqual(6);
  });

  it('acknowledges at once when the reader drains a short last segment of bulk data, but leaves the ACK to the reply once the connection is request/response (Linux tcp_cleanup_rbuf)', () => {
    const p = makePair({ delayMs: 1 });
    const { c, s } = connected(p);
    const mss = 1448;
    // Get past quick-ack mode, the reader taking everything each time.
    for (let i = 0; i < 20; i++) {
      c.send(bytes(3 * mss));
      p.clock.advance(100);
      s.recv(1 << 20);
      p.clock.advance(100);
    }
    const log = tapSegments(p);
    c.send(bytes(2 * mss + 100));
    p.clock.advance(2); // the data is in; two full segments have had their ACK, the short one waits
    const acksBefore = log.filter((e) => e.dir === 1).length;
    expect(s.recv(1 << 20).length).toBe(2 * mss + 100);
    p.clock.advance(2);
    const lastData = log.filter((e) => e.dir === 0 && e.seg.payload.length > 0).at(-1)!;
    const end = (lastData.seg.seq + lastData.seg.payload.length) >>> 0;
    const acks = log.filter((e) => e.dir === 1);
    expect(acks.length).toBe(acksBefore + 1);
    expect(acks.at(-1)!.seg.ack).toBe(end);
    expect(acks.at(-1)!.at).toBeLessThan(lastData.at + 10); // not the 40 ms delayed-ACK timer

    // Request/response: the server replies at once, so from then on its ACK rides on the reply.
    for (let round = 0; round < 3; round++) {
      log.length = 0;
      c.send(bytes(100));
      p.clock.advance(2);
      expect(s.recv(1000).length).toBe(100);
      p.clock.advance(1);
      const pureAcks = log.filter((e) => e.dir === 1 && e.seg.payload.length === 0).length;
      s.send(bytes(100));
      p.clock.advance(2);
      expect(c.recv(1000).length).toBe(100);
      p.clock.advance(100);
      // Round 0: not yet interactive (the read acknowledges); afterwards the reply carries the ACK.
      expect(pureAcks).toBe(round === 0 ? 1 : 0);
    }
  });

  it('fast-retransmits a lost segment on duplicate ACKs/SACK without waiting for the RTO', () => {
    let n = 0;
    const p = makePair({
      delayMs: 5,
      impairment: (frame, dir) => {
        // Drop the 8th data-bearing frame from a to b once.
        if (dir === 0 && frame.length > 1000 && ++n === 8) return [];
        return [5];
      },
    });
    const { c, s } = connected(p);
    const data = bytes(40_000);
    let sent = 0;
    let total = 0;
    for (let t = 0; t < 30; t++) {
      errnoOf(() => (sent += c.send(data.subarray(sent))));
      p.clock.advance(5);
      try {
        for (;;) total += s.recv(65536).length;
      } catch {
        // drained
      }
    }
    expect(total).toBe(40_000);
    const info = (c as TcpSocket).endpoint.info();
    expect(info.totalRetrans).toBe(1);
    expect(info.backoff).toBe(0);
  });

  it('detects a dead peer with keepalive probes (ETIMEDOUT)', () => {
    let dead = false;
    const p = makePair({ impairment: () => (dead ? [] : [1]) });
    const { c } = connected(p);
    c.setsockopt(SOL.SOCKET, SO.KEEPALIVE, 1);
    c.setsockopt(SOL.TCP, TCP.KEEPIDLE, 10);
    c.setsockopt(SOL.TCP, TCP.KEEPINTVL, 2);
    c.setsockopt(SOL.TCP, TCP.KEEPCNT, 3);
    p.clock.advance(30_000); // alive: probes are answered
    expect(state(c)).toBe(TcpState.ESTABLISHED);
    dead = true;
    p.clock.advance(10_000 + 4 * 2_000 + 1000);
    expect(state(c)).toBe(TcpState.CLOSE);
    expect(errnoOf(() => c.recv(1))).toBe(Errno.ETIMEDOUT);
  });

  it('gives up after tcp_retries2 retransmissions with ETIMEDOUT', () => {
    let dead = false;
    const p = makePair({ impairment: () => (dead ? [] : [1]) });
    const { c } = connected(p);
    dead = true;
    c.send(bytes(10));
    p.clock.advance(30 * 60_000);
    expect(state(c)).toBe(TcpState.CLOSE);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ETIMEDOUT);
    expect(c.poll() & POLL.HUP).toBe(POLL.HUP);
  });

  it('supports MSG_PEEK and reports readiness transitions to subscribers', () => {
    const p = makePair();
    const { c, s } = connected(p);
    const seen: number[] = [];
    const stop = s.subscribe(POLL.IN, (r) => seen.push(r));
    c.send(bytes(10));
    p.clock.advance(10);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r & POLL.IN)).toBe(true);
    expect(Buffer.compare(s.recv(100, MSG.PEEK), bytes(10))).toBe(0);
    expect(Buffer.compare(s.recv(100), bytes(10))).toBe(0);
    stop();
    const before = seen.length;
    c.send(bytes(10));
    p.clock.advance(10);
    expect(seen.length).toBe(before);
  });

  it('moves bulk data over a loopback NIC', async () => {
    const { Stack } = await import('../src/stack/stack.js');
    const { VirtualClock } = await import('../src/time/virtual-clock.js');
    const { LoopbackEndpoint } = await import('../src/link/loopback.js');
    const clock = new VirtualClock();
    const st = new Stack({ clock });
    const lo = st.addNic(new LoopbackEndpoint(), 'lo');
    st.addAddress(lo, '127.0.0.1/8');
    st.addAddress(lo, '::1/128');
    const l = createSocket(st, AF.INET6, SOCK.STREAM);
    l.bind({ family: AF.INET6, addr: '::1', port: 9 });
    l.listen(1);
    const c = createSocket(st, AF.INET6, SOCK.STREAM);
    errnoOf(() => c.connect({ family: AF.INET6, addr: '::1', port: 9 }));
    clock.advance(1);
    const s = l.accept();
    const data = bytes(3_000_000);
    let sent = 0;
    let got = 0;
    const parts: Uint8Array[] = [];
    while (got < data.length) {
      if (sent < data.length) errnoOf(() => (sent += c.send(data.subarray(sent))));
      try {
        const d = s.recv(1 << 20);
        parts.push(d);
        got += d.length;
      } catch {
        clock.advance(1);
      }
    }
    expect(Buffer.compare(Buffer.concat(parts), data)).toBe(0);
    expect((c as TcpSocket).endpoint.mss).toBe(65536 - 60 - 12);
  });
});

describe('TCP options', () => {
  it('TCP_CORK holds partial segments until uncorked', () => {
    const p = makePair({ delayMs: 1 });
    const { c, s } = connected(p, 80, { clientOpts: (x) => x.setsockopt(SOL.TCP, TCP.NODELAY, 1) });
    const log = tapSegments(p);
    c.setsockopt(SOL.TCP, TCP.CORK, 1);
    for (let i = 0; i < 5; i++) c.send(bytes(100, i));
    p.clock.advance(50);
    expect(log.filter((e) => e.dir === 0 && e.seg.payload.length > 0).length).toBe(0);
    c.setsockopt(SOL.TCP, TCP.CORK, 0);
    p.clock.advance(50);
    const data = log.filter((e) => e.dir === 0 && e.seg.payload.length > 0);
    expect(data.map((e) => e.seg.payload.length)).toEqual([500]);
    expect(s.recv(1000).length).toBe(500);
  });

  it('SO_RCVLOWAT delays readability until enough is queued', () => {
    const p = makePair({ delayMs: 1 });
    const { c, s } = connected(p);
    s.setsockopt(SOL.SOCKET, SO.RCVLOWAT, 300);
    c.send(bytes(200));
    p.clock.advance(20);
    expect(s.poll() & POLL.IN).toBe(0);
    c.send(bytes(200));
    p.clock.advance(20);
    expect(s.poll() & POLL.IN).toBe(POLL.IN);
  });

  it('TCP_USER_TIMEOUT bounds how long data may stay unacknowledged', () => {
    let dead = false;
    const p = makePair({ impairment: () => (dead ? [] : [1]) });
    const { c } = connected(p);
    c.setsockopt(SOL.TCP, TCP.USER_TIMEOUT, 5000);
    dead = true;
    c.send(bytes(10));
    p.clock.advance(4000);
    expect(state(c)).toBe(TcpState.ESTABLISHED);
    p.clock.advance(10_000);
    expect(state(c)).toBe(TcpState.CLOSE);
    expect(c.getsockopt(SOL.SOCKET, SO.ERROR)).toBe(Errno.ETIMEDOUT);
  });
});
