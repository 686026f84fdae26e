// What each VFS operation reports to inotify watches. The expected event
// streams were observed on Linux 6.18 (ext4 and tmpfs) with a C program doing
// the same operations; test/differential/inotify.diff.test.ts checks random
// sequences against the host kernel itself.
import { AT, IN, O, RENAME, UTIME } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { asOneSyscall, OverlayFilesystem, ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem, Watches, type PathContext } from '../src/index.js';
import { freshVfs, text } from './helpers.js';
import { describeEvents, Recorder } from './inotify-recorder.js';

const ALL = IN.ALL_EVENTS;

function setup(): { vfs: VirtualFilesystem; ctx: PathContext; rec: Recorder; events: () => string[] } {
  const { vfs, ctx } = freshVfs();
  vfs.mkdirAt(ctx, '/d', 0o755);
  const rec = new Recorder();
  const cookies = new Map<number, number>();
  return { vfs, ctx, rec, events: () => describeEvents(rec.take(), cookies) };
}

function touch(vfs: VirtualFilesystem, ctx: PathContext, path: string): void {
  vfs.openAt(ctx, path, { flags: O.CREAT | O.WRONLY, mode: 0o644 }).decRef();
}

describe('inotify events from VFS operations', () => {
  it('creating a file: IN_CREATE then IN_OPEN on the directory; write and close on the file and the directory', () => {
    const { vfs, ctx, rec, events } = setup();
    rec.watch(vfs, ctx, '/d', ALL);
    const fd = vfs.openAt(ctx, '/d/f', { flags: O.CREAT | O.WRONLY, mode: 0o644 });
    expect(events()).toEqual(['1 CREATE f', '1 OPEN f']);
    rec.watch(vfs, ctx, '/d/f', ALL);
    fd.write(text('x'));
    expect(events()).toEqual(['1 MODIFY f', '2 MODIFY']);
    fd.write(new Uint8Array(0));
    expect(events()).toEqual([]);
    fd.decRef();
    expect(events()).toEqual(['1 CLOSE_WRITE f', '2 CLOSE_WRITE']);
  });

  it('reading: IN_OPEN, IN_ACCESS (only when bytes came), IN_CLOSE_NOWRITE', () => {
    const { vfs, ctx, rec, events } = setup();
    const w = vfs.openAt(ctx, '/d/f', { flags: O.CREAT | O.WRONLY, mode: 0o644 });
    w.write(text('abc'));
    w.decRef();
    rec.watch(vfs, ctx, '/d/f', ALL);
    const fd = vfs.openAt(ctx, '/d/f', { flags: O.RDONLY });
    const buf = new Uint8Array(8);
    fd.read(buf);
    expect(events()).toEqual(['1 OPEN', '1 ACCESS']);
    fd.read(buf); // at EOF: nothing read, no event
    expect(events()).toEqual([]);
    fd.read(buf, 1); // pread
    expect(events()).toEqual(['1 ACCESS']);
    fd.decRef();
    expect(events()).toEqual(['1 CLOSE_NOWRITE']);
  });

  it('O_PATH opens report nothing', () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/f');
    rec.watch(vfs, ctx, '/d', ALL);
    vfs.openAt(ctx, '/d/f', { flags: O.PATH }).decRef();
    expect(events()).toEqual([]);
  });

  it('truncation is IN_MODIFY: open O_TRUNC (after IN_OPEN), truncate, ftruncate; fallocate too', () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/f');
    rec.watch(vfs, ctx, '/d/f', ALL);
    const fd = vfs.openAt(ctx, '/d/f', { flags: O.RDWR | O.TRUNC });
    expect(events()).toEqual(['1 OPEN', '1 MODIFY']);
    fd.truncate(10);
    vfs.truncateAt(ctx, '/d/f', 3);
    expect(events()).toEqual(['1 MODIFY']); // identical consecutive events merge
    fd.allocate(0, 0, 100);
    fd.decRef();
    expect(events()).toEqual(['1 MODIFY', '1 CLOSE_WRITE']);
  });

  it('attribute changes: chmod, chown, utimens (both times), xattrs are IN_ATTRIB; one time alone is IN_ACCESS or IN_MODIFY', () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/f');
    rec.watch(vfs, ctx, '/d', ALL);
    rec.watch(vfs, ctx, '/d/f', ALL);
    vfs.chmodAt(ctx, '/d/f', 0o600);
    expect(events()).toEqual(['1 ATTRIB f', '2 ATTRIB']);
    vfs.chownAt(ctx, '/d/f', 0, -1);
    expect(events()).toEqual(['1 ATTRIB f', '2 ATTRIB']);
    vfs.chownAt(ctx, '/d/f', -1, -1);
    expect(events()).toEqual([]);
    vfs.utimensAt(ctx, '/d/f', null);
    expect(events()).toEqual(['1 ATTRIB f', '2 ATTRIB']);
    vfs.utimensAt(ctx, '/d/f', [
      { sec: 1, nsec: 0 },
      { sec: 0, nsec: UTIME.OMIT },
    ]);
    expect(events()).toEqual(['1 ACCESS f', '2 ACCESS']);
    vfs.utimensAt(ctx, '/d/f', [
      { sec: 0, nsec: UTIME.OMIT },
      { sec: 0, nsec: UTIME.NOW },
    ]);
    expect(events()).toEqual(['1 MODIFY f', '2 MODIFY']);
    vfs.utimensAt(ctx, '/d/f', [
      { sec: 0, nsec: UTIME.OMIT },
      { sec: 0, nsec: UTIME.OMIT },
    ]);
    expect(events()).toEqual([]);
    vfs.setxattrAt(ctx, '/d/f', 'user.a', text('1'));
    vfs.removexattrAt(ctx, '/d/f', 'user.a');
    expect(events()).toEqual(['1 ATTRIB f', '2 ATTRIB', '1 ATTRIB f', '2 ATTRIB']);
  });

  it('directories: mkdir is IN_CREATE|IN_ISDIR; reading one reports IN_OPEN, IN_ACCESS, IN_CLOSE_NOWRITE with IN_ISDIR', () => {
    const { vfs, ctx, rec, events } = setup();
    rec.watch(vfs, ctx, '/d', ALL);
    vfs.mkdirAt(ctx, '/d/s', 0o755);
    expect(events()).toEqual(['1 CREATE|ISDIR s']);
    rec.watch(vfs, ctx, '/d/s', ALL);
    const fd = vfs.openAt(ctx, '/d/s', { flags: O.RDONLY | O.DIRECTORY });
    fd.getdents();
    fd.decRef();
    expect(events()).toEqual(['1 OPEN|ISDIR s', '2 OPEN|ISDIR', '1 ACCESS|ISDIR s', '2 ACCESS|ISDIR', '1 CLOSE_NOWRITE|ISDIR s', '2 CLOSE_NOWRITE|ISDIR']);
  });

  it("mknod, symlink and link create entries; link also changes the file's link count", () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/f');
    rec.watch(vfs, ctx, '/d', ALL);
    rec.watch(vfs, ctx, '/d/f', ALL);
    vfs.mknodAt(ctx, '/d/p', 0o010644);
    vfs.symlinkAt(ctx, 'f', '/d/l');
    vfs.linkAt(ctx, '/d/f', ctx, '/d/g');
    expect(events()).toEqual(['1 CREATE p', '1 CREATE l', '2 ATTRIB', '1 CREATE g']);
  });

  it('unlink: the link count change, IN_DELETE_SELF and IN_IGNORED once the last link goes, then IN_DELETE', () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/f');
    vfs.linkAt(ctx, '/d/f', ctx, '/d/g');
    rec.watch(vfs, ctx, '/d', ALL);
    const wd = rec.watch(vfs, ctx, '/d/f', ALL);
    vfs.unlinkAt(ctx, '/d/g');
    expect(events()).toEqual(['2 ATTRIB', '1 DELETE g']);
    vfs.unlinkAt(ctx, '/d/f');
    expect(events()).toEqual(['2 ATTRIB', '2 DELETE_SELF', '2 IGNORED', '1 DELETE f']);
    expect(Watches.peek(vfs.getVd(ctx, '/d').dentry.inode)?.size).toBe(1);
    expect(wd).toBe(2);
  });

  it('a file unlinked while open is deleted at its last close; the old parent still hears of it, unless IN_EXCL_UNLINK', () => {
    const { vfs, ctx, rec, events } = setup();
    const fd = vfs.openAt(ctx, '/d/y', { flags: O.CREAT | O.RDWR, mode: 0o644 });
    rec.watch(vfs, ctx, '/d', ALL);
    rec.watch(vfs, ctx, '/d/y', ALL);
    const excl = new Recorder();
    excl.watch(vfs, ctx, '/d', ALL | IN.EXCL_UNLINK);
    vfs.unlinkAt(ctx, '/d/y');
    expect(events()).toEqual(['2 ATTRIB', '1 DELETE y']);
    expect(describeEvents(excl.take())).toEqual(['1 DELETE y']);
    fd.write(text('a'));
    expect(events()).toEqual(['1 MODIFY y', '2 MODIFY']);
    fd.decRef();
    expect(events()).toEqual(['1 CLOSE_WRITE y', '2 CLOSE_WRITE', '2 DELETE_SELF', '2 IGNORED']);
    expect(excl.take()).toEqual([]);
  });

  it('rmdir: IN_DELETE_SELF and IN_IGNORED, then IN_DELETE|IN_ISDIR; an open unlinked child defers the deletion to its close', () => {
    const { vfs, ctx, rec, events } = setup();
    rec.watch(vfs, ctx, '/d', ALL);
    vfs.mkdirAt(ctx, '/d/s', 0o755);
    rec.watch(vfs, ctx, '/d/s', ALL);
    events();
    vfs.rmdirAt(ctx, '/d/s');
    expect(events()).toEqual(['2 DELETE_SELF', '2 IGNORED', '1 DELETE|ISDIR s']);

    vfs.mkdirAt(ctx, '/d/s', 0o755);
    rec.watch(vfs, ctx, '/d/s', ALL);
    const fd = vfs.openAt(ctx, '/d/s/f', { flags: O.CREAT | O.RDWR, mode: 0o644 });
    vfs.unlinkAt(ctx, '/d/s/f');
    vfs.rmdirAt(ctx, '/d/s');
    expect(events()).toEqual(['1 CREATE|ISDIR s', '3 CREATE f', '3 OPEN f', '3 DELETE f', '1 DELETE|ISDIR s']);
    fd.decRef();
    expect(events()).toEqual(['3 CLOSE_WRITE f', '3 DELETE_SELF', '3 IGNORED']);
  });

  it('rename: IN_MOVED_FROM and IN_MOVED_TO share a cookie, IN_MOVE_SELF goes to the file, a replaced file is deleted', () => {
    const { vfs, ctx, rec, events } = setup();
    vfs.mkdirAt(ctx, '/d/s', 0o755);
    touch(vfs, ctx, '/d/f');
    touch(vfs, ctx, '/d/x');
    rec.watch(vfs, ctx, '/d', ALL);
    rec.watch(vfs, ctx, '/d/s', ALL);
    rec.watch(vfs, ctx, '/d/f', ALL);
    vfs.renameAt(ctx, '/d/f', ctx, '/d/h');
    expect(events()).toEqual(['1 MOVED_FROM f c1', '1 MOVED_TO h c1', '3 MOVE_SELF']);
    vfs.renameAt(ctx, '/d/h', ctx, '/d/s/h');
    expect(events()).toEqual(['1 MOVED_FROM h c2', '2 MOVED_TO h c2', '3 MOVE_SELF']);
    vfs.renameAt(ctx, '/d/x', ctx, '/d/s/h');
    expect(events()).toEqual(['1 MOVED_FROM x c3', '2 MOVED_TO h c3', '3 ATTRIB', '3 DELETE_SELF', '3 IGNORED']);
    vfs.renameAt(ctx, '/d/s', ctx, '/d/t');
    expect(events()).toEqual(['1 MOVED_FROM|ISDIR s c4', '1 MOVED_TO|ISDIR t c4', '2 MOVE_SELF']);
  });

  it('rename of a directory over an empty one, and RENAME_EXCHANGE (two moves)', () => {
    const { vfs, ctx, rec, events } = setup();
    vfs.mkdirAt(ctx, '/d/a', 0o755);
    vfs.mkdirAt(ctx, '/d/b', 0o755);
    rec.watch(vfs, ctx, '/d', ALL);
    rec.watch(vfs, ctx, '/d/a', ALL);
    rec.watch(vfs, ctx, '/d/b', ALL);
    vfs.renameAt(ctx, '/d/a', ctx, '/d/b');
    expect(events()).toEqual(['1 MOVED_FROM|ISDIR a c1', '1 MOVED_TO|ISDIR b c1', '3 ATTRIB|ISDIR', '2 MOVE_SELF', '3 DELETE_SELF', '3 IGNORED']);
    touch(vfs, ctx, '/d/f');
    events();
    vfs.renameAt(ctx, '/d/f', ctx, '/d/b', RENAME.EXCHANGE);
    expect(events()).toEqual(['1 MOVED_FROM f c2', '1 MOVED_TO b c2', '1 MOVED_FROM|ISDIR b c3', '1 MOVED_TO|ISDIR f c3', '2 MOVE_SELF']);
  });

  it('only the watched events are reported; IN_ONESHOT ends the watch after one', () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/z');
    rec.watch(vfs, ctx, '/d', IN.CREATE | IN.DELETE);
    rec.watch(vfs, ctx, '/d/z', IN.ATTRIB | IN.ONESHOT);
    vfs.chmodAt(ctx, '/d/z', 0o600);
    vfs.chmodAt(ctx, '/d/z', 0o644);
    touch(vfs, ctx, '/d/n');
    vfs.unlinkAt(ctx, '/d/n');
    expect(events()).toEqual(['2 ATTRIB', '2 IGNORED', '1 CREATE n', '1 DELETE n']);
  });

  it('a watch that does not want IN_DELETE_SELF still ends with IN_IGNORED', () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/f');
    rec.watch(vfs, ctx, '/d/f', IN.MODIFY);
    vfs.unlinkAt(ctx, '/d/f');
    expect(events()).toEqual(['1 IGNORED']);
  });

  it('O_TMPFILE files report to their directory as "#ino"', () => {
    const { vfs, ctx, rec } = setup();
    rec.watch(vfs, ctx, '/d', ALL);
    const fd = vfs.openAt(ctx, '/d', { flags: O.TMPFILE | O.RDWR, mode: 0o600 });
    fd.write(text('a'));
    const name = `#${fd.stat().ino}`;
    vfs.linkAt({ ...ctx, start: fd.vd }, '', ctx, '/d/named', AT.EMPTY_PATH);
    fd.decRef();
    expect(describeEvents(rec.take())).toEqual([`1 OPEN ${name}`, `1 MODIFY ${name}`, '1 CREATE named', `1 CLOSE_WRITE ${name}`]);
  });

  it('asOneSyscall: one read or write split in chunks reports one event per watch', () => {
    const { vfs, ctx, rec, events } = setup();
    touch(vfs, ctx, '/d/f');
    rec.watch(vfs, ctx, '/d', ALL);
    rec.watch(vfs, ctx, '/d/f', ALL);
    const fd = vfs.openAt(ctx, '/d/f', { flags: O.RDWR });
    events();
    asOneSyscall(() => {
      fd.write(text('ab'));
      fd.write(text('cd'));
    });
    expect(events()).toEqual(['1 MODIFY f', '2 MODIFY']);
    fd.write(text('ab'));
    fd.write(text('cd'));
    expect(events()).toEqual(['1 MODIFY f', '2 MODIFY', '1 MODIFY f', '2 MODIFY']);
    asOneSyscall(() => {
      fd.read(new Uint8Array(1), 0);
      fd.write(text('x'));
      fd.read(new Uint8Array(1), 1);
      fd.write(text('y'));
    });
    expect(events()).toEqual(['1 ACCESS f', '2 ACCESS', '1 MODIFY f', '2 MODIFY']);
    fd.decRef();
  });

  it('unmounting a filesystem ends the watches on it with IN_UNMOUNT and IN_IGNORED', () => {
    const { vfs, ctx, rec, events } = setup();
    vfs.mount(ctx, '/d', new TmpfsFilesystem({ mode: 0o755 }));
    touch(vfs, ctx, '/d/f');
    rec.watch(vfs, ctx, '/d/f', ALL);
    rec.watch(vfs, ctx, '/d', ALL);
    vfs.umount(ctx, '/d');
    expect(events()).toEqual(['1 UNMOUNT', '1 IGNORED', '2 UNMOUNT', '2 IGNORED']);
  });

  it('closing the inotify instance drops its watches silently', () => {
    const { vfs, ctx, rec, events } = setup();
    rec.watch(vfs, ctx, '/d', ALL);
    const inode = vfs.getVd(ctx, '/d').dentry.inode;
    expect(Watches.peek(inode)?.size).toBe(1);
    rec.close();
    expect(Watches.peek(inode)).toBeUndefined();
    touch(vfs, ctx, '/d/f');
    expect(events()).toEqual([]);
  });

  it('overlay: a watch on a lower file survives its copy-up, and removing it (a whiteout) deletes it', () => {
    const lowerFs = new TmpfsFilesystem({ mode: 0o755 });
    const lower = new VirtualFilesystem(lowerFs);
    touch(lower, lower.context(ROOT_CREDENTIALS), '/f');
    const vfs = new VirtualFilesystem(new OverlayFilesystem({ lower: lowerFs }));
    const ctx = vfs.context(ROOT_CREDENTIALS);
    const rec = new Recorder();
    rec.watch(vfs, ctx, '/', ALL);
    rec.watch(vfs, ctx, '/f', ALL);
    const fd = vfs.openAt(ctx, '/f', { flags: O.WRONLY });
    fd.write(text('x'));
    fd.decRef();
    vfs.unlinkAt(ctx, '/f');
    expect(describeEvents(rec.take())).toEqual([
      '1 OPEN f',
      '2 OPEN',
      '1 MODIFY f',
      '2 MODIFY',
      '1 CLOSE_WRITE f',
      '2 CLOSE_WRITE',
      '2 ATTRIB',
      '2 DELETE_SELF',
      '2 IGNORED',
      '1 DELETE f',
    ]);
  });
});
