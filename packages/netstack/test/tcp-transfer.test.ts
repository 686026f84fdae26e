import { describe, expect, it } from 'vitest';
import { TcpState } from '../src/tcp/state.js';
import { makePair } from './harness.js';
import { pattern, runTransfer } from './transfer.js';

describe('TCP transfer', () => {
  it('moves 1 MB over a clean link and closes cleanly', () => {
    const p = makePair({ delayMs: 1 });
    const data = pattern(1 << 20);
    const r = runTransfer(p, data);
    expect(r.clientDone).toBe(true);
    expect(r.serverDone).toBe(true);
    expect(r.received.length).toBe(data.length);
    expect(Buffer.compare(r.received, data)).toBe(0);
    // Active closer (client) lingers in TIME_WAIT; everything is gone after 2*MSL.
    expect(p.a.tcp.endpointsInState(TcpState.TIME_WAIT).length).toBe(1);
    p.clock.advance(61_000);
    expect(p.a.tcp.connectionCount).toBe(0);
    expect(p.b.tcp.connectionCount).toBe(0);
  });

  it('moves data over IPv6', () => {
    const p = makePair({ delayMs: 1 });
    const data = pattern(200_000, 3);
    const r = runTransfer(p, data, { v6: true });
    expect(Buffer.compare(r.received, data)).toBe(0);
    expect(r.clientDone && r.serverDone).toBe(true);
  });

  it('survives 5% loss with reordering and duplication', () => {
    const p = makePair({ delayMs: 2, loss: 0.05, reorder: 0.1, reorderDelayMs: 4, duplicate: 0.05 });
    const data = pattern(300_000, 5);
    const r = runTransfer(p, data);
    expect(Buffer.compare(r.received, data)).toBe(0);
    expect(r.clientDone && r.serverDone).toBe(true);
  });
});

describe('receive-buffer autotuning', () => {
  it('grows the receive buffer of a window-limited flow, unless SO_RCVBUF pinned it', () => {
    const p = makePair({ delayMs: 25 });
    const data = pattern(4 << 20, 9);
    const r = runTransfer(p, data, { chunk: 1 << 20 });
    expect(Buffer.compare(r.received, data)).toBe(0);
    const grown = (r.server as unknown as { endpoint: { rcvBufSize: number } }).endpoint.rcvBufSize;
    expect(grown).toBeGreaterThan(131072);
    expect(grown).toBeLessThanOrEqual(6291456);
  });
});

describe('callback discipline', () => {
  it('never runs a subscriber inside the caller’s own socket call (loopback bulk, exact byte count)', async () => {
    const { AF, SOCK, POLL } = await import('../src/abi.js');
    const { createSocket } = await import('../src/socket/factory.js');
    const { Stack } = await import('../src/stack/stack.js');
    const { VirtualClock } = await import('../src/time/virtual-clock.js');
    const clock = new VirtualClock();
    const st = new Stack({ clock });
    st.addLoopback();
    const l = createSocket(st, AF.INET, SOCK.STREAM);
    l.bind({ family: AF.INET, addr: '0.0.0.0', port: 5 });
    l.listen(4);
    const c = createSocket(st, AF.INET, SOCK.STREAM);
    try {
      c.connect({ family: AF.INET, addr: '127.0.0.1', port: 5 });
    } catch {
      // EINPROGRESS
    }
    const s = l.accept();
    const N = 8 << 20;
    const chunk = pattern(1 << 20, 4);
    let sent = 0;
    let got = 0;
    let inCall = false;
    let nested = 0;
    const write = () => {
      if (inCall) nested++;
      while (sent < N && c.poll() & POLL.OUT) {
        inCall = true;
        // `sent += ...` reads `sent` before the call: a nested callback would be lost.
        sent += c.send(chunk.subarray(0, Math.min(chunk.length, N - sent)));
        inCall = false;
      }
    };
    const read = () => {
      if (inCall) nested++;
      while (s.poll() & POLL.IN) got += s.recv(1 << 20).length;
    };
    c.subscribe(POLL.OUT, write);
    s.subscribe(POLL.IN, read);
    write();
    for (let i = 0; i < 1000 && got < N; i++) clock.advance(1);
    clock.advance(100);
    expect(nested).toBe(0);
    expect(sent).toBe(N);
    expect(got).toBe(N);
  });
});
