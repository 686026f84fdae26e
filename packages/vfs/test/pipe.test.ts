import { Errno, O, POLL, S } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { PIPE_BUF, PIPE_DEFAULT_SIZE, PipeFile, ROOT_CREDENTIALS } from '../src/index.js';
import { errnoOf, freshVfs, text } from './helpers.js';

describe('pipes', () => {
  it('moves bytes in order, reports EOF and EPIPE', () => {
    const { vfs } = freshVfs();
    const [r, w] = vfs.pipe(ROOT_CREDENTIALS);
    expect(w.write(text('hello '))).toBe(6);
    expect(w.write(text('world'))).toBe(5);
    const buf = new Uint8Array(8);
    expect(r.read(buf)).toBe(8);
    expect(new TextDecoder().decode(buf)).toBe('hello wo');
    expect(r.read(buf)).toBe(3);
    expect(errnoOf(() => r.read(buf))).toBe(Errno.EAGAIN);
    expect(errnoOf(() => r.read(buf, 0))).toBe(Errno.ESPIPE);
    expect(errnoOf(() => r.seek(0, 0))).toBe(Errno.ESPIPE);
    expect(errnoOf(() => r.write(text('x')))).toBe(Errno.EBADF);
    w.decRef();
    expect(r.read(buf)).toBe(0);
    const [r2, w2] = vfs.pipe(ROOT_CREDENTIALS);
    r2.decRef();
    expect(errnoOf(() => w2.write(text('x')))).toBe(Errno.EPIPE);
    expect(w2.readiness(POLL.OUT) & POLL.ERR).toBe(POLL.ERR);
  });

  it('keeps writes of up to PIPE_BUF atomic and splits larger ones', () => {
    const { vfs } = freshVfs();
    const [r, w] = vfs.pipe(ROOT_CREDENTIALS);
    expect(w.write(new Uint8Array(PIPE_DEFAULT_SIZE - 100))).toBe(PIPE_DEFAULT_SIZE - 100);
    // 200 bytes do not fit in the 100 left: an atomic write refuses entirely.
    expect(errnoOf(() => w.write(new Uint8Array(200)))).toBe(Errno.EAGAIN);
    expect(w.readiness(POLL.OUT)).toBe(0);
    expect(w.write(new Uint8Array(PIPE_BUF + 1))).toBe(100);
    expect(errnoOf(() => w.write(new Uint8Array(PIPE_BUF + 1)))).toBe(Errno.EAGAIN);
    r.read(new Uint8Array(PIPE_BUF));
    expect(w.readiness(POLL.OUT)).toBe(POLL.OUT);
  });

  it('notifies subscribers when readiness changes', () => {
    const { vfs } = freshVfs();
    const [r, w] = vfs.pipe(ROOT_CREDENTIALS);
    const events: number[] = [];
    const unsubscribe = r.subscribe(POLL.IN, (m) => events.push(m));
    expect(r.readiness(POLL.IN)).toBe(0);
    w.write(text('x'));
    expect(events.length).toBe(1);
    expect(events[0] & POLL.IN).toBe(POLL.IN);
    expect(r.readiness(POLL.IN)).toBe(POLL.IN);
    unsubscribe();
    w.write(text('y'));
    expect(events.length).toBe(1);
    const hup: number[] = [];
    r.subscribe(POLL.IN, (m) => hup.push(m));
    w.decRef();
    expect(hup[0] & POLL.HUP).toBe(POLL.HUP);
  });

  it('opens FIFOs on tmpfs with Linux open semantics', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/fifo', S.IFIFO | 0o644);
    expect(errnoOf(() => vfs.openAt(ctx, '/fifo', { flags: O.WRONLY | O.NONBLOCK }))).toBe(Errno.ENXIO);
    const r = vfs.openAt(ctx, '/fifo', { flags: O.RDONLY | O.NONBLOCK });
    expect((r.impl as PipeFile).peerReady()).toBe(false);
    const w = vfs.openAt(ctx, '/fifo', { flags: O.WRONLY });
    expect((r.impl as PipeFile).peerReady()).toBe(true);
    w.write(text('through the fifo'));
    const buf = new Uint8Array(64);
    expect(r.read(buf)).toBe(16);
    expect(vfs.statAt(ctx, '/fifo').size).toBe(0);
  });

  it('reopens an anonymous pipe through its location, like /proc/self/fd/N', () => {
    const { vfs } = freshVfs();
    const [r, w] = vfs.pipe(ROOT_CREDENTIALS);
    const w2 = vfs.openVd(w.vd, O.WRONLY, ROOT_CREDENTIALS);
    w2.write(text('again'));
    expect(r.read(new Uint8Array(16))).toBe(5);
    expect(r.stat().mode & S.IFMT).toBe(S.IFIFO);
    w.decRef();
    w2.decRef();
    expect(r.read(new Uint8Array(16))).toBe(0);
  });
});

describe('FIFO identity', () => {
  it('joins the same pipe through hard links and forgets its buffer once closed', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/fifo', S.IFIFO | 0o644);
    vfs.linkAt(ctx, '/fifo', ctx, '/alias');
    const r = vfs.openAt(ctx, '/fifo', { flags: O.RDONLY | O.NONBLOCK });
    const w = vfs.openAt(ctx, '/alias', { flags: O.WRONLY | O.NONBLOCK });
    w.write(text('via alias'));
    expect(r.read(new Uint8Array(32))).toBe(9);
    w.write(text('left over'));
    r.decRef();
    w.decRef();
    const r2 = vfs.openAt(ctx, '/fifo', { flags: O.RDONLY | O.NONBLOCK });
    expect(r2.read(new Uint8Array(32))).toBe(0);
  });
});
