// Properties over the impaired in-memory link with a virtual clock: TCP
// delivers a byte stream complete, in order, exactly once and closes
// cleanly; UDP datagrams arrive intact and unmerged (or not at all).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AF, SOCK, SysError, Errno } from '../src/abi.js';
import { seededRandom } from '../src/link/channel.js';
import { createSocket } from '../src/socket/factory.js';
import { makePair } from './harness.js';
import { pattern, runTransfer } from './transfer.js';

/** NETSTACK_PROPERTY_RUNS raises the run count for a longer soak. */
const RUNS = Number(process.env.NETSTACK_PROPERTY_RUNS ?? 60);

const impairment = fc.record({
  loss: fc.double({ min: 0, max: 0.2, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  delayMs: fc.integer({ min: 0, max: 20 }),
  reorderDelayMs: fc.integer({ min: 1, max: 30 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

describe('TCP over a lossy link (property)', () => {
  it('delivers every byte once, in order, and both ends close', () => {
    fc.assert(
      fc.property(impairment, fc.integer({ min: 0, max: 120_000 }), fc.boolean(), fc.integer({ min: 1, max: 20_000 }), (imp, size, v6, chunk) => {
        const p = makePair({ ...imp, random: seededRandom(imp.seed) }, imp.seed, {}, true);
        const data = pattern(size, imp.seed);
        const r = runTransfer(p, data, { v6, chunk, maxMs: 3_600_000 });
        expect(r.clientDone).toBe(true);
        expect(r.serverDone).toBe(true);
        expect(r.received.length).toBe(size);
        expect(Buffer.compare(r.received, data)).toBe(0);
        // After TIME_WAIT (and any FIN retransmissions) nothing is left on either side.
        p.clock.advance(300_000);
        expect(p.a.tcp.connectionCount).toBe(0);
        expect(p.b.tcp.connectionCount).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('UDP over a lossy link (property)', () => {
  it('never corrupts or merges datagrams', () => {
    fc.assert(
      // Sizes beyond the 1500-byte MTU exercise IPv4 fragmentation and reassembly.
      fc.property(impairment, fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 40 }), fc.boolean(), (imp, sizes, v6) => {
        const p = makePair({ ...imp, random: seededRandom(imp.seed) }, imp.seed, {}, true);
        const family = v6 ? AF.INET6 : AF.INET;
        const rx = createSocket(p.b, family, SOCK.DGRAM);
        rx.bind({ family, addr: v6 ? '::' : '0.0.0.0', port: 9000 });
        const tx = createSocket(p.a, family, SOCK.DGRAM);
        const dst = v6 ? { family, addr: 'fd00::2', port: 9000 } : { family, addr: '10.0.0.2', port: 9000 };
        // IPv6 datagrams are not fragmented on output: keep them within the MTU.
        if (v6) sizes = sizes.map((n) => Math.min(n, 1400));
        const sent = new Map<string, number>();
        sizes.forEach((n, i) => {
          // Each datagram starts with its index so it can be identified.
          const d = pattern(n + 2, i + 1);
          d[0] = i >> 8;
          d[1] = i & 0xff;
          sent.set(Buffer.from(d).toString('hex'), i);
          tx.sendto(d, 0, dst);
          p.clock.advance(1);
        });
        p.clock.advance(40_000); // past the reassembly timeout: incomplete datagrams are gone
        let got = 0;
        for (;;) {
          let r;
          try {
            r = rx.recvfrom(65536);
          } catch (e) {
            expect((e as SysError).errno).toBe(Errno.EAGAIN);
            break;
          }
          got++;
          expect(sent.has(Buffer.from(r.data).toString('hex'))).toBe(true);
          expect(r.addr).toMatchObject({ family, addr: v6 ? 'fd00::1' : '10.0.0.1', port: tx.getsockname().port });
        }
        if (imp.loss === 0 && imp.duplicate === 0) expect(got).toBe(sizes.length);
      }),
      { numRuns: RUNS },
    );
  });
});
