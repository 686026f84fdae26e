import { Errno, IN, POLL, SysError } from '@tvisor/abi';
import type { FileDescription, Inode } from '@tvisor/vfs';
import { describe, expect, it } from 'vitest';
import { createInotify, InotifyImpl } from './inotify.js';

function inotify(): [FileDescription, InotifyImpl] {
  const file = createInotify(0);
  return [file, file.impl as InotifyImpl];
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
    impl.queueEvent(1, IN.CREATE, 0, 'hello');
    impl.queueEvent(1, IN.CREATE, 0, 'hello');
    impl.queueEvent(1, IN.DELETE, 0, 'a-longer-name-here');
    const buf = new Uint8Array(40);
    // The identical second event merged into the first; the third does not fit after it.
    expect(file.read(buf)).toBe(32);
    expect(new DataView(buf.buffer).getUint32(12, true)).toBe(16);
    expect(new TextDecoder().decode(buf.subarray(16, 21))).toBe('hello');
    expect(buf[21]).toBe(0);
    const big = new Uint8Array(100);
    expect(file.read(big)).toBe(16 + 32);
  });
});
