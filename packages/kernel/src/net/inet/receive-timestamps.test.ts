import { Errno, SO, SOL, SysError } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { ReceiveTimestamps } from './receive-timestamps.js';

const errnoOf = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return undefined;
};
const SEC = 1_000_000_000n;
const words = (b: Uint8Array) => [Number(new DataView(b.buffer).getBigInt64(0, true)), Number(new DataView(b.buffer).getBigInt64(8, true))];

describe('ReceiveTimestamps (SO_TIMESTAMP, SO_TIMESTAMPNS, SIOCGSTAMP)', () => {
  it('SIOCGSTAMP is ENOENT before any receive, then the current time once, then that same time', () => {
    const asked = new ReceiveTimestamps();
    expect(errnoOf(() => asked.query(5n * SEC, false))).toBe(Errno.ENOENT);
    // Asking turned recording on (sock_gettstamp enables SOCK_TIMESTAMP before it looks).
    asked.received(6n * SEC);
    expect(words(asked.query(7n * SEC, false))).toEqual([6, 0]);

    const ts = new ReceiveTimestamps();
    expect(ts.received(3n * SEC)).toBeNull();
    // The receive happened before timestamps were asked for: it recorded "no time", so the query's own time answers.
    expect(words(ts.query(7n * SEC + 1500n, false))).toEqual([7, 1]);
    expect(words(ts.query(9n * SEC, true))).toEqual([7, 1500]);
    // From now on receives record their arrival.
    ts.received(11n * SEC + 2_000_000n);
    expect(words(ts.query(12n * SEC, false))).toEqual([11, 2000]);
  });

  it('SO_TIMESTAMP gives a timeval message per datagram and leaves SIOCGSTAMP as it was', () => {
    const ts = new ReceiveTimestamps();
    ts.set(SO.TIMESTAMP, true);
    const m = ts.received(4n * SEC + 5000n)!;
    expect([m.level, m.type]).toEqual([SOL.SOCKET, SO.TIMESTAMP]);
    expect(words(m.data)).toEqual([4, 5]);
    expect(errnoOf(() => ts.query(6n * SEC, false))).toBe(Errno.ENOENT);
  });

  it('SO_TIMESTAMPNS replaces SO_TIMESTAMP, and turning either off turns both off but keeps recording', () => {
    const ts = new ReceiveTimestamps();
    ts.set(SO.TIMESTAMP, true);
    ts.set(SO.TIMESTAMPNS, true);
    expect([ts.get(SO.TIMESTAMP), ts.get(SO.TIMESTAMPNS)]).toEqual([0, 1]);
    const m = ts.received(4n * SEC + 5000n)!;
    expect(m.type).toBe(SO.TIMESTAMPNS);
    expect(words(m.data)).toEqual([4, 5000]);
    ts.set(SO.TIMESTAMP, false);
    expect([ts.get(SO.TIMESTAMP), ts.get(SO.TIMESTAMPNS)]).toEqual([0, 0]);
    expect(ts.received(8n * SEC)).toBeNull();
    expect(words(ts.query(9n * SEC, false))).toEqual([8, 0]);
  });
});
