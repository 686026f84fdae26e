// The TCP receiving half on its own (no stack, no wire): reassembly of
// segments that arrive out of order, duplicated, overlapping or outside the
// window, and the window it advertises, checked against the byte stream
// sent.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TCP_CONFIG } from '../src/tcp/config.js';
import type { TcpEndpoint } from '../src/tcp/endpoint.js';
import { TcpReceiver } from '../src/tcp/receiver.js';
import { seqAdd, seqDiff, seqGe } from '../src/tcp/seq.js';
import { TcpState } from '../src/tcp/state.js';
import { TcpFlag } from '../src/wire/tcp.js';

/** Fixed by default so CI sees the same cases; FC_SEED explores others. */
const seed = Number(process.env.FC_SEED ?? 1212);

/** The parts of an endpoint the receiver reads, recording what it asks of the endpoint. */
function receiverOf(rcvBufSize: number, wscale: number, irs: number) {
  const ep = {
    state: TcpState.ESTABLISHED as number,
    rcvBufSize,
    rcvBufLocked: true,
    advMss: 1460,
    config: DEFAULT_TCP_CONFIG,
    stack: { clock: { now: () => 0 } },
    snd: { rtt: { srtt: 0 } },
    outputs: 0,
    signal() {},
    output() {
      this.outputs++;
    },
    armTimer() {},
  };
  const rcv = new TcpReceiver(ep as unknown as TcpEndpoint);
  rcv.init(irs);
  rcv.rcvWscale = wscale;
  rcv.rcvAdv = seqAdd(rcv.rcvNxt, Math.min(65535, rcvBufSize)); // what the SYN offered
  return { ep, rcv };
}

const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + (i >> 8)) & 0xff);

/** A property check that costs nothing when it holds (expect() per step would dominate the run time). */
function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`violated: ${what}`);
}

type Op = { kind: 'deliver'; index: number } | { kind: 'read'; max: number } | { kind: 'ack' };

describe('TcpReceiver', () => {
  it('reassembles any arrival order into the sent stream and never lets the window edge move left', () => {
    fc.assert(
      fc.property(
        fc.record({
          irs: fc.integer({ min: 0, max: 0xffffffff }),
          wscale: fc.integer({ min: 0, max: 3 }),
          rcvBufSize: fc.integer({ min: 4096, max: 65536 }),
          cuts: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 40 }),
          ops: fc.array(
            fc.oneof(
              fc.record({ kind: fc.constant('deliver' as const), index: fc.nat() }),
              fc.record({ kind: fc.constant('read' as const), max: fc.integer({ min: 1, max: 20000 }) }),
              fc.record({ kind: fc.constant('ack' as const) }),
            ),
            { maxLength: 200 },
          ),
        }),
        ({ irs, wscale, rcvBufSize, cuts, ops }) => {
          const total = cuts.reduce((a, b) => a + b, 0);
          const stream = pattern(total);
          const segments: Array<{ seq: number; data: Uint8Array }> = [];
          let off = 0;
          for (const n of cuts) {
            segments.push({ seq: seqAdd(irs, 1 + off), data: stream.subarray(off, off + n) });
            off += n;
          }
          const { rcv } = receiverOf(rcvBufSize, wscale, irs);
          const got: Uint8Array[] = [];
          let readBytes = 0;
          let lastAdv = rcv.rcvAdv;
          let lastNxt = rcv.rcvNxt;

          const deliver = (s: { seq: number; data: Uint8Array }) => {
            if (!rcv.acceptable(s.seq, s.data.length, TcpFlag.ACK)) return;
            const t = rcv.trim(s.seq, s.data, false, s.data.length);
            // Trimming keeps the bytes where they were in the stream.
            const at = seqDiff(t.seq, seqAdd(irs, 1));
            let same = true;
            for (let i = 0; i < t.payload.length && same; i++) same = t.payload[i] === stream[at + i];
            assert(same, 'trimming keeps each byte at its stream offset');
            assert(seqGe(rcv.rcvAdv, seqAdd(t.seq, t.payload.length)), 'accepted data ends inside the advertised window');
            const ahead = t.payload.length > 0 && t.seq !== rcv.rcvNxt;
            rcv.receiveData(t.seq, t.payload, 0);
            // Out-of-order data is acknowledged at once (RFC 5681 4.2): the sender counts duplicate ACKs.
            if (ahead) assert(rcv.ackNow, 'out-of-order data is ACKed at once');
          };
          const read = (max: number) => {
            const data = rcv.read(max, false);
            got.push(data);
            readBytes += data.length;
          };
          const ack = () => {
            const field = rcv.advertiseWindow();
            assert(field <= 0xffff, 'window field fits 16 bits');
            assert(seqDiff(rcv.rcvAdv, rcv.rcvNxt) === field * 2 ** wscale, 'RCV.ADV is what the scaled field says');
          };
          const check = () => {
            assert(seqGe(rcv.rcvNxt, lastNxt), 'RCV.NXT never moves back');
            assert(seqGe(rcv.rcvAdv, lastAdv), 'the advertised right edge never moves left');
            lastNxt = rcv.rcvNxt;
            lastAdv = rcv.rcvAdv;
            // Everything below RCV.NXT was either read or is waiting, in order.
            assert(seqDiff(rcv.rcvNxt, seqAdd(irs, 1)) === readBytes + rcv.recvBuf.readyBytes, 'bytes below RCV.NXT are read or ready');
            // The advertised edge is rounded up to the window-scale unit, never more.
            assert(rcv.recvBuf.readyBytes <= rcvBufSize + 2 ** wscale - 1, 'ready bytes fit the buffer');
          };

          for (const op of ops as Op[]) {
            if (op.kind === 'deliver') deliver(segments[op.index % segments.length]);
            else if (op.kind === 'read') read(op.max);
            else ack();
            check();
          }
          // Then the sender retransmits everything in order until the reader has it all.
          for (let round = 0; readBytes < total; round++) {
            assert(round < 10 * segments.length + 100, 'the stream completes');
            for (const s of segments) {
              deliver(s);
              check();
              read(65536);
              ack();
              check();
            }
          }
          const all = new Uint8Array(readBytes);
          let o = 0;
          for (const g of got) {
            all.set(g, o);
            o += g.length;
          }
          expect(all).toEqual(stream);
          expect(rcv.recvBuf.oooBytes).toBe(0);
        },
      ),
      { seed, numRuns: 60 },
    );
  });

  it('offers no window smaller than an MSS (receiver SWS avoidance) and reopens it once the reader drains', () => {
    const { ep, rcv } = receiverOf(8192, 0, 1000);
    expect(rcv.advertiseWindow()).toBe(8192);
    const seq = rcv.rcvNxt;
    // 7000 bytes leave 1192 free: less than an MSS (1460), so the window offered is what was promised, no more.
    rcv.receiveData(seq, pattern(7000), 0);
    expect(rcv.windowFree()).toBe(0);
    expect(rcv.advertiseWindow()).toBe(8192 - 7000);
    // Reading it all frees the buffer; the reader's side sends a window update.
    const before = ep.outputs;
    expect(rcv.read(7000, false).length).toBe(7000);
    expect(ep.outputs).toBe(before + 1);
    expect(rcv.ackNow).toBe(true);
    expect(rcv.advertiseWindow()).toBe(8192);
  });

  it('holds a FIN that arrives ahead of missing data until the gap fills', () => {
    const { rcv } = receiverOf(65536, 0, 5);
    const start = rcv.rcvNxt;
    rcv.advertiseWindow();
    // Bytes 100..199 and the FIN after them arrive before bytes 0..99.
    rcv.receiveData(seqAdd(start, 100), pattern(100), 0);
    expect(rcv.finDue(true, seqAdd(start, 200))).toBe(false);
    rcv.receiveData(start, pattern(100), 0);
    expect(rcv.rcvNxt).toBe(seqAdd(start, 200));
    expect(rcv.finDue(false, 0)).toBe(true);
    rcv.takeFin();
    expect(rcv.finReceived).toBe(true);
    expect(rcv.rcvNxt).toBe(seqAdd(start, 201));
    expect(rcv.finDue(false, 0)).toBe(false);
  });
});
