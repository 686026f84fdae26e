import { Errno, IN, O, POLL, SysError } from '@tvisor/abi';
import { ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem, type FileDescription, type Inode } from '@tvisor/vfs';
import { describe, expect, it } from 'vitest';
import { createInotify, InotifyImpl } from './inotify.js';

function inotify(): [FileDescription, InotifyImpl] {
  const file = createInotify(0);
  return [file, file.impl as InotifyImpl];
}

/** Decodes everything one read returns: [wd, mask, cookie, name]. */
function readEvents(file: FileDescription): Array<[number, number, number, string]> {
  const buf = new Uint8Array(4096);
  const n = file.read(buf);
  const v = new DataView(buf.buffer);
  const out: Array<[number, number, number, string]> = [];
  for (let at = 0; at < n;) {
    const len = v.getUint32(at + 12, true);
    const name = new TextDecoder().decode(buf.subarray(at + 16, at + 16 + len)).replace(/\0+$/, '');
    out.push([v.getInt32(at, true), v.getUint32(at + 4, true), v.getUint32(at + 8, true), name]);
    at += 16 + len;
  }
  return out;
}

/** Two distinct inodes: only their identity matters to the watch table. */
const inodeA = {} as Inode;
const inodeB = {} as Inode;

describe('inotify watches', () => {
  it('gives one wd per inode, updates masks (replace, IN_MASK_ADD, EEXIST with IN_MASK_CREATE)', () => {
    const [, impl] = inotify();
    expect(impl.addWatch(inodeA, IN.MODIFY)).toBe(1);
    expect(impl.addWatch(inodeB, IN.CREATE)).toBe(2);
    expect(impl.addWatch(inodeA, IN.ATTRIB)).toBe(1);
    expect(impl.watchOf(inodeA)).toEqual({ wd: 1, mask: IN.ATTRIB });
    expect(impl.addWatch(inodeA, IN.MODIFY | IN.MASK_ADD)).toBe(1);
    expect(impl.watchOf(inodeA)).toEqual({ wd: 1, mask: IN.ATTRIB | IN.MODIFY });
    expect(() => impl.addWatch(inodeA, IN.MODIFY | IN.MASK_CREATE)).toThrow(expect.objectContaining({ errno: Errno.EEXIST }));
  });

  it('inotify_rm_watch queues IN_IGNORED, EINVAL for unknown wds, and wds are not reused', () => {
    const [file, impl] = inotify();
    const wd = impl.addWatch(inodeA, IN.MODIFY);
    expect(file.readiness(POLL.IN)).toBe(0);
    expect(() => file.read(new Uint8Array(64))).toThrow(expect.objectContaining({ errno: Errno.EAGAIN }));
    impl.removeWatch(wd);
    expect(() => impl.removeWatch(wd)).toThrow(SysError);
    expect(file.readiness(POLL.IN)).toBe(POLL.IN);
    const buf = new Uint8Array(64);
    expect(file.read(buf)).toBe(16);
    const v = new DataView(buf.buffer);
    expect([v.getInt32(0, true), v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true)]).toEqual([wd, IN.IGNORED, 0, 0]);
    expect(impl.addWatch(inodeA, IN.MODIFY)).toBe(wd + 1);
  });

  it('events with names are NUL-padded to 16 bytes, and a buffer too small for the next one gets whole events only', () => {
    const [file, impl] = inotify();
    impl.enqueue(1, IN.CREATE, 0, 'hello');
    impl.enqueue(1, IN.CREATE, 0, 'hello');
    impl.enqueue(1, IN.DELETE, 0, 'a-longer-name-here');
    const buf = new Uint8Array(40);
    // The identical second event merged into the first; the third does not fit after it.
    expect(file.read(buf)).toBe(32);
    expect(new DataView(buf.buffer).getUint32(12, true)).toBe(16);
    expect(new TextDecoder().decode(buf.subarray(16, 21))).toBe('hello');
    expect(buf[21]).toBe(0);
    const big = new Uint8Array(100);
    expect(file.read(big)).toBe(16 + 32);
  });

  it('identical consecutive events merge, but never into IN_IGNORED; a full queue ends with one IN_Q_OVERFLOW', () => {
    const file = createInotify(0);
    const impl = new InotifyImpl(3);
    impl.enqueue(1, IN.MODIFY, 0, 'a');
    impl.enqueue(1, IN.MODIFY, 0, 'a');
    impl.enqueue(1, IN.IGNORED, 0, '');
    impl.enqueue(1, IN.IGNORED, 0, '');
    impl.enqueue(2, IN.MODIFY, 0, 'b');
    impl.enqueue(2, IN.ATTRIB, 0, 'b');
    const buf = new Uint8Array(4096);
    const n = impl.read(file, buf);
    const v = new DataView(buf.buffer);
    const got: Array<[number, number]> = [];
    for (let at = 0; at < n; at += 16 + v.getUint32(at + 12, true)) got.push([v.getInt32(at, true), v.getUint32(at + 4, true)]);
    expect(got).toEqual([
      [1, IN.MODIFY],
      [1, IN.IGNORED],
      [1, IN.IGNORED],
      [-1, IN.Q_OVERFLOW],
    ]);
    // Once read, the queue takes events again.
    impl.enqueue(2, IN.ATTRIB, 0, 'b');
    expect(impl.read(file, buf)).toBe(32);
    file.decRef();
  });
});

describe('inotify over the VFS', () => {
  it('a watch on a directory receives the events of VFS operations, and readiness follows the queue', () => {
    const vfs = new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755 }));
    const ctx = vfs.context(ROOT_CREDENTIALS);
    vfs.mkdirAt(ctx, '/d', 0o755);
    const [file, impl] = inotify();
    const wakeups: number[] = [];
    const unsubscribe = file.subscribe(POLL.IN, (m) => wakeups.push(m));
    const wd = impl.addWatch(vfs.getVd(ctx, '/d').dentry.inode, IN.ALL_EVENTS);
    expect(file.readiness(POLL.IN)).toBe(0);
    const fd = vfs.openAt(ctx, '/d/f', { flags: O.CREAT | O.WRONLY, mode: 0o644 });
    fd.write(new Uint8Array([1]));
    fd.decRef();
    vfs.renameAt(ctx, '/d/f', ctx, '/d/g');
    expect(file.readiness(POLL.IN)).toBe(POLL.IN);
    expect(wakeups.length).toBeGreaterThan(0);
    const events = readEvents(file);
    const cookie = events[4][2];
    expect(cookie).not.toBe(0);
    expect(events).toEqual([
      [wd, IN.CREATE, 0, 'f'],
      [wd, IN.OPEN, 0, 'f'],
      [wd, IN.MODIFY, 0, 'f'],
      [wd, IN.CLOSE_WRITE, 0, 'f'],
      [wd, IN.MOVED_FROM, cookie, 'f'],
      [wd, IN.MOVED_TO, cookie, 'g'],
    ]);
    expect(file.readiness(POLL.IN)).toBe(0);
    // Closing the inotify file drops its watches.
    unsubscribe();
    file.decRef();
    expect(impl.watchOf(vfs.getVd(ctx, '/d').dentry.inode)).toBeUndefined();
  });
});
