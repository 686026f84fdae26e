import { EPOLL, EPOLL_CTL, Errno, POLL, SysError } from '@tvisor/abi';
import { PipeFilesystem, type FileDescription } from '@tvisor/vfs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEpoll, EpollImpl, type EpollEvent } from './epoll.js';
import { createEventFd, EVENTFD_MAX } from './eventfd.js';

const ROOT = { uid: 0, gid: 0, groups: [] };
const { ADD, DEL, MOD } = EPOLL_CTL;
const PIPE_CAPACITY = 65536;
const PIPE_BUF = 4096;

function epollOf(file: FileDescription): EpollImpl {
  if (!(file.impl instanceof EpollImpl)) throw new Error('not an epoll file');
  return file.impl;
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

/** Runs `op`, turning EAGAIN into undefined (a non-blocking file that is not ready). */
function tryOp<T>(op: () => T): T | undefined {
  try {
    return op();
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.EAGAIN) return undefined;
    throw e;
  }
}

function byData(events: EpollEvent[]): Map<bigint, number> {
  const m = new Map<bigint, number>();
  for (const e of events) {
    expect(m.has(e.data)).toBe(false);
    m.set(e.data, e.events);
  }
  return m;
}

type Command =
  | { kind: 'pipeWrite'; pipe: number; bytes: number }
  | { kind: 'pipeRead'; pipe: number; bytes: number }
  | { kind: 'efdWrite'; efd: number; value: bigint }
  | { kind: 'efdRead'; efd: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('pipeWrite' as const),
    pipe: fc.integer({ min: 0, max: 1 }),
    bytes: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 20000, max: 70000 })),
  }),
  fc.record({ kind: fc.constant('pipeRead' as const), pipe: fc.integer({ min: 0, max: 1 }), bytes: fc.integer({ min: 1, max: 70000 }) }),
  fc.record({
    kind: fc.constant('efdWrite' as const),
    efd: fc.integer({ min: 0, max: 1 }),
    value: fc.oneof(fc.bigInt({ min: 0n, max: 10n }), fc.constant(EVENTFD_MAX - 1n), fc.constant(EVENTFD_MAX)),
  }),
  fc.record({ kind: fc.constant('efdRead' as const), efd: fc.integer({ min: 0, max: 1 }) }),
);

describe('epoll over pipes and eventfds', () => {
  it('level-triggered epoll reports exactly the files that have data or room after any sequence of reads and writes; edge-triggered reports only after a change', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const pipes = new PipeFilesystem();
        const ends = [pipes.createPipe(ROOT), pipes.createPipe(ROOT)];
        const efds = [createEventFd(0, false, 0), createEventFd(0, true, 0)];
        const lt = createEpoll(0);
        const et = createEpoll(0);
        // data: 10+i pipe read end, 20+i pipe write end, 30+i eventfd.
        const items: Array<[FileDescription, number, bigint, number]> = [];
        ends.forEach(([r, w], i) => {
          items.push([r, 3 + 2 * i, BigInt(10 + i), EPOLL.IN]);
          items.push([w, 4 + 2 * i, BigInt(20 + i), EPOLL.OUT]);
        });
        efds.forEach((f, i) => items.push([f, 8 + i, BigInt(30 + i), EPOLL.IN | EPOLL.OUT]));
        for (const [file, fd, data, events] of items) {
          epollOf(lt).control(ADD, file, fd, events, data);
          epollOf(et).control(ADD, file, fd, events | EPOLL.ET, data);
        }
        // The model: bytes in each pipe, each eventfd's counter.
        const used = [0, 0];
        const counts = [0n, 0n];
        const expected = (): Map<bigint, number> => {
          const m = new Map<bigint, number>();
          used.forEach((u, i) => {
            if (u > 0) m.set(BigInt(10 + i), EPOLL.IN);
            if (PIPE_CAPACITY - u >= PIPE_BUF) m.set(BigInt(20 + i), EPOLL.OUT);
          });
          counts.forEach((c, i) => {
            const ev = (c > 0n ? EPOLL.IN : 0) | (c < EVENTFD_MAX ? EPOLL.OUT : 0);
            if (ev) m.set(BigInt(30 + i), ev);
          });
          return m;
        };
        // Initially: every write end and both eventfds (writable) are ready, in both modes.
        expect(byData(epollOf(lt).harvest(100))).toEqual(expected());
        expect(byData(epollOf(et).harvest(100))).toEqual(expected());
        for (const c of commands) {
          let changed: bigint | undefined;
          switch (c.kind) {
            case 'pipeWrite': {
              const n = tryOp(() => ends[c.pipe][1].write(new Uint8Array(c.bytes)));
              if (n !== undefined) {
                used[c.pipe] += n;
                changed = BigInt(10 + c.pipe);
              }
              break;
            }
            case 'pipeRead': {
              const n = tryOp(() => ends[c.pipe][0].read(new Uint8Array(c.bytes)));
              if (n !== undefined) {
                used[c.pipe] -= n;
                changed = BigInt(20 + c.pipe);
              }
              break;
            }
            case 'efdWrite': {
              const n = tryOp(() => efds[c.efd].write(u64(c.value)));
              if (n !== undefined) {
                counts[c.efd] += c.value;
                changed = BigInt(30 + c.efd);
              }
              break;
            }
            case 'efdRead': {
              const buf = new Uint8Array(8);
              const n = tryOp(() => efds[c.efd].read(buf));
              if (n !== undefined) {
                counts[c.efd] -= new DataView(buf.buffer).getBigUint64(0, true);
                changed = BigInt(30 + c.efd);
              }
              break;
            }
          }
          const want = expected();
          expect(byData(epollOf(lt).harvest(100))).toEqual(want);
          // Edge-triggered: at most what is ready, and the changed file if it is ready now.
          const edge = byData(epollOf(et).harvest(100));
          for (const [data, ev] of edge) expect(want.get(data)).toBe(ev);
          if (changed !== undefined && want.has(changed)) expect(edge.has(changed)).toBe(true);
          // Nothing new happened since: edge-triggered has nothing more to say.
          expect(epollOf(et).harvest(100)).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('hands out at most maxevents at a time, level-triggered items rotating to the back (FIFO of readiness)', () => {
    const ep = createEpoll(0);
    const efds = [0, 1, 2].map(() => createEventFd(1, false, 0));
    efds.forEach((f, i) => epollOf(ep).control(ADD, f, i, EPOLL.IN, BigInt(i)));
    expect(
      epollOf(ep)
        .harvest(2)
        .map((e) => e.data),
    ).toEqual([0n, 1n]);
    expect(
      epollOf(ep)
        .harvest(2)
        .map((e) => e.data),
    ).toEqual([2n, 0n]);
    expect(
      epollOf(ep)
        .harvest(3)
        .map((e) => e.data),
    ).toEqual([1n, 2n, 0n]);
  });

  it('EPOLLONESHOT reports once until EPOLL_CTL_MOD re-arms it, with the new data', () => {
    const ep = createEpoll(0);
    const efd = createEventFd(1, false, 0);
    epollOf(ep).control(ADD, efd, 3, EPOLL.IN | EPOLL.ONESHOT, 1n);
    expect(epollOf(ep).harvest(8)).toEqual([{ events: EPOLL.IN, data: 1n }]);
    efd.write(u64(1n));
    expect(epollOf(ep).harvest(8)).toEqual([]);
    epollOf(ep).control(MOD, efd, 3, EPOLL.IN | EPOLL.ONESHOT, 2n);
    expect(epollOf(ep).harvest(8)).toEqual([{ events: EPOLL.IN, data: 2n }]);
  });

  it('epoll_ctl errors: EEXIST, ENOENT, EINVAL for itself and for EPOLLEXCLUSIVE misuse, ELOOP for cycles', () => {
    const a = createEpoll(0);
    const b = createEpoll(0);
    const efd = createEventFd(0, false, 0);
    const errno = (f: () => void) => {
      try {
        f();
        return 0;
      } catch (e) {
        return e instanceof SysError ? e.errno : -1;
      }
    };
    expect(errno(() => epollOf(a).control(ADD, efd, 3, EPOLL.IN, 0n))).toBe(0);
    expect(errno(() => epollOf(a).control(ADD, efd, 3, EPOLL.IN, 0n))).toBe(Errno.EEXIST);
    // The same file under another fd number is another item.
    expect(errno(() => epollOf(a).control(ADD, efd, 4, EPOLL.IN, 0n))).toBe(0);
    expect(errno(() => epollOf(a).control(MOD, efd, 5, EPOLL.IN, 0n))).toBe(Errno.ENOENT);
    expect(errno(() => epollOf(a).control(DEL, efd, 5, 0, 0n))).toBe(Errno.ENOENT);
    expect(errno(() => epollOf(a).control(ADD, a, 6, EPOLL.IN, 0n))).toBe(Errno.EINVAL);
    expect(errno(() => epollOf(b).control(ADD, efd, 3, EPOLL.IN | EPOLL.EXCLUSIVE | EPOLL.ONESHOT, 0n))).toBe(Errno.EINVAL);
    expect(errno(() => epollOf(b).control(ADD, efd, 3, EPOLL.IN | EPOLL.EXCLUSIVE, 0n))).toBe(0);
    expect(errno(() => epollOf(b).control(MOD, efd, 3, EPOLL.IN, 0n))).toBe(Errno.EINVAL);
    expect(errno(() => epollOf(a).control(ADD, b, 7, EPOLL.IN, 0n))).toBe(0);
    expect(errno(() => epollOf(b).control(ADD, a, 8, EPOLL.IN, 0n))).toBe(Errno.ELOOP);
    expect(errno(() => epollOf(a).control(42, efd, 3, EPOLL.IN, 0n))).toBe(Errno.EINVAL);
    expect(epollOf(a).size).toBe(3);
  });

  it('an epoll instance is readable while a watched file is ready, and wakes its own watchers', () => {
    const inner = createEpoll(0);
    const outer = createEpoll(0);
    const efd = createEventFd(0, false, 0);
    epollOf(inner).control(ADD, efd, 3, EPOLL.IN, 1n);
    epollOf(outer).control(ADD, inner, 4, EPOLL.IN, 2n);
    expect(inner.readiness(POLL.IN)).toBe(0);
    expect(epollOf(outer).harvest(8)).toEqual([]);
    let woken = 0;
    const unsubscribe = outer.subscribe(POLL.IN, () => woken++);
    efd.write(u64(1n));
    expect(woken).toBe(1);
    expect(inner.readiness(POLL.IN) & POLL.IN).toBe(POLL.IN);
    expect(epollOf(outer).harvest(8)).toEqual([{ events: EPOLL.IN, data: 2n }]);
    unsubscribe();
  });

  it("an outer epoll hears of a level-triggered item's next event after the file drained (epoll_test DoubleLayerEpoll)", () => {
    const inner = createEpoll(0);
    const outer = createEpoll(0);
    const pipes = new PipeFilesystem();
    const [r, w] = pipes.createPipe(ROOT);
    epollOf(inner).control(ADD, r, 3, EPOLL.IN, 1n);
    epollOf(outer).control(ADD, inner, 4, EPOLL.IN, 2n);
    for (let round = 0; round < 2; round++) {
      expect(epollOf(outer).harvest(8), `round ${round}: nothing before the write`).toEqual([]);
      let woken = 0;
      const unsubscribe = outer.subscribe(POLL.IN, () => woken++);
      w.write(new Uint8Array([1]));
      expect(woken, `round ${round}: the outer epoll's waiter is woken`).toBeGreaterThan(0);
      unsubscribe();
      expect(epollOf(outer).harvest(8)).toEqual([{ events: EPOLL.IN, data: 2n }]);
      expect(epollOf(inner).harvest(8)).toEqual([{ events: EPOLL.IN, data: 1n }]);
      r.read(new Uint8Array(1));
    }
    r.decRef();
    w.decRef();
  });

  it('drops the items of a file closed everywhere, as Linux does when the file is released', () => {
    const ep = createEpoll(0);
    const pipes = new PipeFilesystem();
    const [r, w] = pipes.createPipe(ROOT);
    epollOf(ep).control(ADD, r, 3, EPOLL.IN, 1n);
    w.write(new Uint8Array([1]));
    r.decRef();
    expect(epollOf(ep).harvest(8)).toEqual([]);
    expect(epollOf(ep).size).toBe(0);
    w.decRef();
  });
});

describe('EPOLLEXCLUSIVE', () => {
  it('a readiness event wakes every non-exclusive instance and, of the exclusive ones, the first with a waiter', () => {
    const efd = createEventFd(0, false, 0);
    const exclusive = [0, 1, 2].map(() => createEpoll(0));
    exclusive.forEach((ep, i) => epollOf(ep).control(ADD, efd, 5, EPOLL.IN | EPOLL.EXCLUSIVE, BigInt(i)));
    const plain = createEpoll(0);
    epollOf(plain).control(ADD, efd, 5, EPOLL.IN, 3n);
    // A thread in epoll_wait on each instance: woken, it harvests and stops waiting.
    const woken: bigint[] = [];
    const all = [...exclusive, plain];
    const waiting = all.map((ep) => {
      const stop = ep.subscribe(POLL.IN, () => {
        const got = epollOf(ep).harvest(8);
        if (got.length === 0) return;
        woken.push(...got.map((e) => e.data));
        stop();
      });
      return stop;
    });
    efd.write(u64(1n));
    expect(woken).toEqual([3n, 0n]);

    // The first exclusive instance has nobody waiting now: the next event
    // still queues the item there, but wakes the second one.
    woken.length = 0;
    efd.write(u64(1n));
    expect(woken).toEqual([1n]);
    // (The level-triggered plain instance still has the item queued: an epoll_wait returns at once.)
    expect(
      epollOf(plain)
        .harvest(8)
        .map((e) => e.data),
    ).toEqual([3n]);
    // The third instance never saw the file ready; the first has it queued
    // (level-triggered, so it stays queued while the eventfd is readable).
    expect(epollOf(exclusive[2]).harvest(8)).toEqual([]);
    expect(
      epollOf(exclusive[0])
        .harvest(8)
        .map((e) => e.data),
    ).toEqual([0n]);
    waiting[2]();
    for (const f of [efd, plain, ...exclusive]) f.decRef();
  });

  it('without EPOLLEXCLUSIVE one event wakes every instance', () => {
    const efd = createEventFd(0, false, 0);
    const eps = [0, 1, 2].map(() => createEpoll(0));
    eps.forEach((ep, i) => epollOf(ep).control(ADD, efd, 5, EPOLL.IN, BigInt(i)));
    const woken: bigint[] = [];
    const stops = eps.map((ep) =>
      ep.subscribe(POLL.IN, () =>
        woken.push(
          ...epollOf(ep)
            .harvest(8)
            .map((e) => e.data),
        ),
      ),
    );
    efd.write(u64(1n));
    expect(woken).toEqual([0n, 1n, 2n]);
    for (const s of stops) s();
    for (const f of [efd, ...eps]) f.decRef();
  });
});
