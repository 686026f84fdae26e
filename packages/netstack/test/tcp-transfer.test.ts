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
