import { Errno, MSG, POLL, SHUT, SO, SOCK, SOL } from '@tvisor/abi';
import { PipeFilesystem } from '@tvisor/vfs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeIntOption, SOCKET_NO_WAIT, type OutgoingMessage } from '../socket.js';
import { newSocketFile, newSocketInode } from '../sockfs.js';
import { UnixReceiveQueue, type MessageCreds } from './queue.js';
import { MAX_DGRAM_QLEN, UnixNamespace, UnixSocket } from './unix-socket.js';
import { errnoOf } from '../../testing/errno.js';

const ROOT = { uid: 0, gid: 0, groups: [] };
const ME: MessageCreds = { pid: 7, uid: 0, gid: 0 };

function pair(type: number): [UnixSocket, UnixSocket] {
  const ns = new UnixNamespace();
  const a = new UnixSocket(newSocketInode(ROOT), ns, type);
  const b = new UnixSocket(newSocketInode(ROOT), ns, type);
  UnixSocket.pair(a, b, ME);
  return [a, b];
}

function out(data: Uint8Array, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return { data, to: null, rights: null, creds: null, flags: 0, ...extra };
}

/** Bytes 0..n-1 of a recognisable sequence starting at `from`. */
function pattern(from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (from + i) % 251;
  return out;
}

/** Byte equality without vitest's element-by-element diffing (these arrays are large). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('Unix stream sockets', () => {
  it('deliver every byte once and in order, whatever the write and read sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 7000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8192 }),
        (writes, reads, sndbuf) => {
          const [a, b] = pair(SOCK.STREAM);
          // A small send buffer makes the writer meet EAGAIN and resume.
          a.setOption(SOL.SOCKET, SO.SNDBUF, encodeIntOption(sndbuf));
          const total = writes.reduce((x, y) => x + y, 0);
          let written = 0;
          let current = 0;
          let doneInCurrent = 0;
          const received = new Uint8Array(total);
          let got = 0;
          let r = 0;
          let steps = 0;
          while (got < total) {
            // Lost bytes would leave the reader waiting forever.
            if (++steps > 20 * (writes.length + total)) throw new Error(`stalled with ${got} of ${total} bytes received`);
            // Write as much of the current write as the buffer takes.
            if (current < writes.length) {
              const errno = errnoOf(() => {
                const n = a.send(out(pattern(written, writes[current] - doneInCurrent)), ME, null);
                if (n <= 0) throw new Error('a stream send took nothing');
                written += n;
                doneInCurrent += n;
                if (doneInCurrent === writes[current]) {
                  current++;
                  doneInCurrent = 0;
                }
              });
              if (errno !== 0 && errno !== Errno.EAGAIN) throw new Error(`send failed with ${errno}`);
            }
            const errno = errnoOf(() => {
              const msg = b.recv(reads[r++ % reads.length], 0);
              if (msg.flags & MSG.TRUNC) throw new Error('MSG_TRUNC on a stream');
              received.set(msg.data, got);
              got += msg.data.length;
            });
            if (errno !== 0 && errno !== Errno.EAGAIN) throw new Error(`recv failed with ${errno}`);
          }
          expect(sameBytes(received, pattern(0, total))).toBe(true);
          expect(errnoOf(() => b.recv(10, 0))).toBe(Errno.EAGAIN);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('name the sender as it is at read time: a writer bound after writing is named (unix_copy_addr of the sending socket)', () => {
    const [a, b] = pair(SOCK.STREAM);
    a.send(out(Uint8Array.of(1)), ME, null);
    // An abstract name needs no task (no filesystem).
    a.bind(null as never, Uint8Array.of(1, 0, 0, 0x61, 0x62));
    a.send(out(Uint8Array.of(2)), ME, null);
    const got = b.recv(10, 0);
    expect(got.data).toEqual(Uint8Array.of(1, 2));
    expect(got.from).toEqual(Uint8Array.of(1, 0, 0, 0x61, 0x62));
  });

  it('lets MSG_PEEK see data without consuming it', () => {
    const [a, b] = pair(SOCK.STREAM);
    a.send(out(Uint8Array.of(1, 2, 3)), ME, null);
    a.send(out(Uint8Array.of(4, 5)), ME, null);
    expect([...b.recv(4, MSG.PEEK).data]).toEqual([1, 2, 3, 4]);
    expect([...b.recv(10, 0).data]).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives EOF after the peer closes, and EPIPE to a writer whose peer is gone', () => {
    const [a, b] = pair(SOCK.STREAM);
    const fa = newSocketFile(a.sockInode, a, false, ROOT);
    a.send(out(Uint8Array.of(9)), ME, null);
    fa.decRef();
    expect(b.readiness(fa, POLL.IN | POLL.RDHUP)).toBe(POLL.IN | POLL.RDHUP | POLL.HUP);
    expect([...b.recv(8, 0).data]).toEqual([9]);
    expect(b.recv(8, 0).data.length).toBe(0);
    expect(errnoOf(() => b.send(out(Uint8Array.of(1)), ME, null))).toBe(Errno.EPIPE);
  });

  it('stops a read after a message that carried descriptors, and releases undelivered ones on close', () => {
    const pipes = new PipeFilesystem();
    const [r, w] = pipes.createPipe(ROOT);
    const [a, b] = pair(SOCK.STREAM);
    const fb = newSocketFile(b.sockInode, b, false, ROOT);
    r.incRef();
    a.send(out(Uint8Array.of(1, 2), { rights: [r] }), ME, null);
    a.send(out(Uint8Array.of(3)), ME, null);
    w.incRef();
    a.send(out(Uint8Array.of(4)), ME, null);
    a.send(out(Uint8Array.of(5), { rights: [w] }), ME, null);
    const first = b.recv(100, 0);
    expect([...first.data]).toEqual([1, 2]);
    expect(first.rights).toEqual([r]);
    expect(r.refCount).toBe(2);
    first.rights?.forEach((f) => f.decRef());
    expect(w.refCount).toBe(2);
    // Closing the receiver drops the reference the queue held.
    fb.decRef();
    expect(w.refCount).toBe(1);
  });
});

describe('Unix datagram and seqpacket sockets', () => {
  for (const type of [SOCK.DGRAM, SOCK.SEQPACKET]) {
    it(`keep message boundaries (${type === SOCK.DGRAM ? 'SOCK_DGRAM' : 'SOCK_SEQPACKET'})`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 30 }), (msgs) => {
          const [a, b] = pair(type);
          let seq = 0;
          for (const [size, room] of msgs) {
            const data = pattern(seq, size);
            seq += size;
            expect(a.send(out(data), ME, null)).toBe(size);
            const got = b.recv(room, 0);
            expect(got.length).toBe(size);
            expect(sameBytes(got.data, data.subarray(0, Math.min(size, room)))).toBe(true);
            expect((got.flags & MSG.TRUNC) !== 0).toBe(size > room);
          }
          expect(errnoOf(() => b.recv(10, 0))).toBe(Errno.EAGAIN);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('queue several datagrams and deliver them one per read, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 20 }), (msgs) => {
        const [a, b] = pair(SOCK.DGRAM);
        for (const m of msgs) a.send(out(m), ME, null);
        for (const m of msgs) expect(sameBytes(b.recv(1000, 0).data, m)).toBe(true);
      }),
    );
  });

  it('attach credentials only when an end has SO_PASSCRED, and never glue writes with and without them', () => {
    const [a, b] = pair(SOCK.STREAM);
    a.send(out(Uint8Array.of(1)), ME, null); // nobody asked: no credentials
    b.setOption(SOL.SOCKET, SO.PASSCRED, encodeIntOption(1));
    a.send(out(Uint8Array.of(2)), ME, null); // the reader asks: the sender's
    a.send(out(Uint8Array.of(3)), ME, null);
    const first = b.recv(10, 0);
    expect([...first.data]).toEqual([1]);
    expect(first.creds).toEqual({ pid: 0, uid: 65534, gid: 65534 });
    const second = b.recv(10, 0);
    expect([...second.data]).toEqual([2, 3]);
    expect(second.creds).toEqual(ME);
  });

  it('coalesce writes without credentials when the reader turns SO_PASSCRED on late', () => {
    const [a, b] = pair(SOCK.STREAM);
    a.send(out(Uint8Array.of(1)), ME, null);
    a.send(out(Uint8Array.of(2)), ME, null);
    b.setOption(SOL.SOCKET, SO.PASSCRED, encodeIntOption(1));
    const got = b.recv(10, 0);
    expect([...got.data]).toEqual([1, 2]);
    expect(got.creds).toEqual({ pid: 0, uid: 65534, gid: 65534 });
  });

  it('SOCK_DGRAM POLLOUT follows the bytes in flight (a quarter of the send buffer, unix_dgram_poll), shut down or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 1500 })), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1100, max: 8192 }),
        fc.boolean(),
        (steps, sndbuf, shut) => {
          const [a, b] = pair(SOCK.DGRAM);
          a.setOption(SOL.SOCKET, SO.SNDBUF, encodeIntOption(sndbuf)); // doubled: 2200..16384, room for every datagram
          const fa = newSocketFile(a.sockInode, a, false, ROOT);
          let inFlight = 0;
          const sizes: number[] = [];
          for (const [op, size] of steps) {
            if (op > 0) {
              const errno = errnoOf(() => a.send(out(new Uint8Array(size)), ME, null));
              expect(errno).toBe(inFlight >= a.sndbuf ? Errno.EAGAIN : 0);
              if (errno === 0) {
                inFlight += size;
                sizes.push(size);
              }
            } else if (sizes.length > 0) {
              b.recv(1, 0); // truncated: the whole datagram leaves
              inFlight -= sizes.shift()!;
            }
            expect(a.readiness(fa, POLL.OUT) === POLL.OUT).toBe(inFlight * 4 <= a.sndbuf);
          }
          if (shut) a.shutdown(SHUT.WR);
          expect(a.readiness(fa, POLL.OUT) === POLL.OUT).toBe(inFlight * 4 <= a.sndbuf);
          while (sizes.length > 0) {
            b.recv(1, 0);
            sizes.shift();
          }
          expect(a.readiness(fa, POLL.OUT)).toBe(POLL.OUT);
          fa.decRef();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuse datagrams larger than the send buffer', () => {
    const [a] = pair(SOCK.DGRAM);
    expect(errnoOf(() => a.send(out(new Uint8Array(300000)), ME, null))).toBe(Errno.EMSGSIZE);
  });
});

describe('UnixReceiveQueue', () => {
  it('splits stream reads between writers when the reader asked for credentials', () => {
    const q = new UnixReceiveQueue();
    q.push({ data: Uint8Array.of(1), from: null, rights: null, creds: { pid: 1, uid: 0, gid: 0 } });
    q.push({ data: Uint8Array.of(2), from: null, rights: null, creds: { pid: 2, uid: 0, gid: 0 } });
    const merged = new UnixReceiveQueue();
    merged.push({ data: Uint8Array.of(1), from: null, rights: null, creds: { pid: 1, uid: 0, gid: 0 } });
    merged.push({ data: Uint8Array.of(2), from: null, rights: null, creds: { pid: 2, uid: 0, gid: 0 } });
    expect([...q.readStream(10, false, true)!.data]).toEqual([1]);
    expect(q.readStream(10, false, true)!.creds?.pid).toBe(2);
    expect([...merged.readStream(10, false, false)!.data]).toEqual([1, 2]);
    expect(q.readStream(10, false, true)).toBeNull();
  });

  it('counts unread bytes through partial reads', () => {
    const q = new UnixReceiveQueue();
    q.push({ data: new Uint8Array(10), from: null, rights: null, creds: ME });
    q.push({ data: new Uint8Array(5), from: null, rights: null, creds: ME });
    q.readStream(7, false, false);
    expect(q.bytes).toBe(8);
    q.readStream(7, true, false);
    expect(q.bytes).toBe(8);
    q.readStream(100, false, false);
    expect(q.bytes).toBe(0);
    expect(q.empty).toBe(true);
  });

  it('limits unpaired datagram senders to max_dgram_qlen queued messages', () => {
    const ns = new UnixNamespace();
    const receiver = new UnixSocket(newSocketInode(ROOT), ns, SOCK.DGRAM);
    const sender = new UnixSocket(newSocketInode(ROOT), ns, SOCK.DGRAM);
    // Connect sender to receiver only (receiver is not connected back).
    sender.peer = receiver;
    let sent = 0;
    while (errnoOf(() => sender.send(out(Uint8Array.of(1)), ME, null)) === 0) sent++;
    expect(sent).toBe(MAX_DGRAM_QLEN + 1);
    receiver.recv(1, 0);
    expect(errnoOf(() => sender.send(out(Uint8Array.of(1)), ME, null))).toBe(0);
  });
});

describe('SO_RCVTIMEO / SO_SNDTIMEO values', () => {
  const timeval = (sec: number, usec: number) => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigInt64(0, BigInt(sec), true);
    v.setBigInt64(8, BigInt(usec), true);
    return b;
  };
  const read = (b: Uint8Array) => {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return [Number(v.getBigInt64(0, true)), Number(v.getBigInt64(8, true))];
  };

  it('a negative timeout means never wait (SOCKET_NO_WAIT) and reads back as zero, as Linux stores it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: -1 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.constantFrom(SO.RCVTIMEO, SO.SNDTIMEO),
        (sec, usec, opt) => {
          const [a] = pair(SOCK.STREAM);
          a.setOption(SOL.SOCKET, opt, timeval(sec, usec));
          expect(opt === SO.RCVTIMEO ? a.recvTimeoutMs : a.sendTimeoutMs).toBe(SOCKET_NO_WAIT);
          expect(read(a.getOption(SOL.SOCKET, opt))).toEqual([0, 0]);
        },
      ),
    );
  });

  it('a positive timeout rounds microseconds up to milliseconds and reads back; usec out of range is EDOM', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 999 }), (sec, ms) => {
        const [a] = pair(SOCK.DGRAM);
        a.setOption(SOL.SOCKET, SO.RCVTIMEO, timeval(sec, ms * 1000));
        expect(a.recvTimeoutMs).toBe(sec * 1000 + ms);
        expect(read(a.getOption(SOL.SOCKET, SO.RCVTIMEO))).toEqual([sec, ms * 1000]);
      }),
    );
    const [a] = pair(SOCK.DGRAM);
    expect(errnoOf(() => a.setOption(SOL.SOCKET, SO.SNDTIMEO, timeval(1, 1_000_000)))).toBe(Errno.EDOM);
    expect(errnoOf(() => a.setOption(SOL.SOCKET, SO.SNDTIMEO, timeval(1, -1)))).toBe(Errno.EDOM);
  });

  it('options at any level but SOL_SOCKET are EOPNOTSUPP, get and set (sock_no_getsockopt)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(SOCK.STREAM, SOCK.DGRAM, SOCK.SEQPACKET),
        fc.integer({ min: 0, max: 300 }).filter((l) => l !== SOL.SOCKET),
        fc.nat(64),
        (type, level, name) => {
          const [a] = pair(type);
          expect(errnoOf(() => a.getOption(level, name))).toBe(Errno.EOPNOTSUPP);
          expect(errnoOf(() => a.setOption(level, name, encodeIntOption(1)))).toBe(Errno.EOPNOTSUPP);
        },
      ),
    );
  });
});
