import { AT, Errno, F, LOCK, O, SEEK, XATTR } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { lockRange } from '../src/index.js';
import { errnoOf, freshVfs, text, user } from './helpers.js';

describe('advisory locks', () => {
  it('flock: shared locks coexist, exclusive ones conflict, waiters are told of releases', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/f', 0o100644);
    const a = vfs.openAt(ctx, '/f', { flags: O.RDONLY });
    const b = vfs.openAt(ctx, '/f', { flags: O.RDONLY });
    vfs.locks.flock(a, LOCK.SH);
    vfs.locks.flock(b, LOCK.SH);
    expect(errnoOf(() => vfs.locks.flock(b, LOCK.EX | LOCK.NB))).toBe(Errno.EAGAIN);
    let woken = 0;
    const unsub = vfs.locks.subscribe(a.inode, () => woken++);
    vfs.locks.flock(a, LOCK.UN);
    expect(woken).toBe(1);
    vfs.locks.flock(b, LOCK.EX);
    expect(errnoOf(() => vfs.locks.flock(a, LOCK.SH))).toBe(Errno.EAGAIN);
    vfs.locks.releaseDescription(b);
    expect(errnoOf(() => vfs.locks.flock(a, LOCK.EX))).toBe(0);
    unsub();
  });

  it('record locks: ranges split, merge, conflict per owner, and F_GETLK reports the holder', () => {
    const { vfs, ctx } = freshVfs();
    const fd = vfs.openAt(ctx, '/f', { flags: O.CREAT | O.RDWR, mode: 0o644 });
    fd.write(new Uint8Array(100));
    vfs.locks.setRecordLock(fd, 1, 1, F.WRLCK, 0, 99);
    // Unlocking the middle splits the lock in two.
    vfs.locks.setRecordLock(fd, 1, 1, F.UNLCK, 40, 59);
    expect(vfs.locks.list(fd.inode).records.map((l) => [l.start, l.end])).toEqual([
      [0, 39],
      [60, 99],
    ]);
    expect(vfs.locks.getRecordLock(fd.inode, 2, F.RDLCK, 50, 55)).toBeNull();
    expect(vfs.locks.getRecordLock(fd.inode, 2, F.RDLCK, 30, 45)?.pid).toBe(1);
    expect(errnoOf(() => vfs.locks.setRecordLock(fd, 2, 2, F.RDLCK, 39, 39))).toBe(Errno.EAGAIN);
    vfs.locks.setRecordLock(fd, 2, 2, F.RDLCK, 40, 59);
    // Adjacent locks of one owner and type merge.
    vfs.locks.setRecordLock(fd, 1, 1, F.WRLCK, 100, Infinity);
    expect(
      vfs.locks
        .list(fd.inode)
        .records.filter((l) => l.owner === 1)
        .map((l) => [l.start, l.end]),
    ).toEqual([
      [0, 39],
      [60, Infinity],
    ]);
    vfs.locks.releaseRecordLocks(fd.inode, 1);
    expect(vfs.locks.getRecordLock(fd.inode, 3, F.WRLCK, 0, 10)).toBeNull();
    const ro = vfs.openAt(ctx, '/f', { flags: O.RDONLY });
    expect(errnoOf(() => vfs.locks.setRecordLock(ro, 3, 3, F.WRLCK, 0, 0))).toBe(Errno.EBADF);
    fd.seek(10, SEEK.SET);
    expect(lockRange(fd, SEEK.CUR, -5, -5)).toEqual({ start: 0, end: 4 });
    expect(lockRange(fd, SEEK.END, 0, 0)).toEqual({ start: 100, end: Infinity });
    expect(errnoOf(() => lockRange(fd, SEEK.SET, -1, 1))).toBe(Errno.EINVAL);
  });
});

describe('extended attributes', () => {
  it('stores user.* and trusted.* with create/replace semantics and namespace permissions', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/f', 0o100644);
    vfs.setxattrAt(ctx, '/f', 'user.a', text('1'));
    expect(errnoOf(() => vfs.setxattrAt(ctx, '/f', 'user.a', text('2'), XATTR.CREATE))).toBe(Errno.EEXIST);
    expect(errnoOf(() => vfs.setxattrAt(ctx, '/f', 'user.b', text('2'), XATTR.REPLACE))).toBe(Errno.ENODATA);
    vfs.setxattrAt(ctx, '/f', 'trusted.t', text('secret'));
    expect(new TextDecoder().decode(vfs.getxattrAt(ctx, '/f', 'user.a'))).toBe('1');
    expect(vfs.listxattrAt(ctx, '/f').sort()).toEqual(['trusted.t', 'user.a']);
    const u = { ...ctx, creds: user(1000) };
    expect(vfs.listxattrAt(u, '/f')).toEqual(['user.a']);
    expect(errnoOf(() => vfs.getxattrAt(u, '/f', 'trusted.t'))).toBe(Errno.ENODATA);
    expect(errnoOf(() => vfs.setxattrAt(u, '/f', 'user.a', text('x')))).toBe(Errno.EACCES);
    expect(errnoOf(() => vfs.setxattrAt(ctx, '/f', 'bogus.a', text('x')))).toBe(Errno.EOPNOTSUPP);
    vfs.removexattrAt(ctx, '/f', 'user.a');
    expect(errnoOf(() => vfs.removexattrAt(ctx, '/f', 'user.a'))).toBe(Errno.ENODATA);
    vfs.symlinkAt(ctx, 'f', '/l');
    expect(errnoOf(() => vfs.setxattrAt(ctx, '/l', 'user.x', text('1'), 0, false))).toBe(Errno.EPERM);
  });
});

describe('mounts', () => {
  it('mounts, bind-mounts read-only, crosses with .., refuses busy umounts and cross-mount renames', async () => {
    const { vfs, ctx } = freshVfs();
    const { TmpfsFilesystem } = await import('../src/index.js');
    vfs.mkdirAt(ctx, '/mnt', 0o755);
    vfs.mkdirAt(ctx, '/ro', 0o755);
    vfs.mknodAt(ctx, '/top', 0o100644);
    vfs.mount(ctx, '/mnt', new TmpfsFilesystem({ mode: 0o755 }));
    vfs.mkdirAt(ctx, '/mnt/sub', 0o755);
    expect(vfs.statAt(ctx, '/mnt/sub/../../top').size).toBe(0);
    expect(errnoOf(() => vfs.renameAt(ctx, '/top', ctx, '/mnt/top'))).toBe(Errno.EXDEV);
    expect(errnoOf(() => vfs.linkAt(ctx, '/top', ctx, '/mnt/top'))).toBe(Errno.EXDEV);
    vfs.bindMount(ctx, '/mnt', ctx, '/ro', { readOnly: true });
    expect(vfs.statAt(ctx, '/ro/sub').ino).toBe(vfs.statAt(ctx, '/mnt/sub').ino);
    expect(errnoOf(() => vfs.mkdirAt(ctx, '/ro/x', 0o755))).toBe(Errno.EROFS);
    expect(errnoOf(() => vfs.openAt(ctx, '/ro/f', { flags: O.CREAT | O.WRONLY, mode: 0o644 }))).toBe(Errno.EROFS);
    expect(vfs.statfsAt(ctx, '/ro').flags & 1).toBe(1);
    expect(errnoOf(() => vfs.rmdirAt(ctx, '/mnt'))).toBe(Errno.EBUSY);
    const fd = vfs.openAt(ctx, '/mnt/sub', { flags: O.RDONLY });
    expect(errnoOf(() => vfs.umount(ctx, '/mnt'))).toBe(Errno.EBUSY);
    expect(vfs.pathOf(fd.vd, vfs.root()).path).toBe('/mnt/sub');
    fd.decRef();
    expect(errnoOf(() => vfs.umount(ctx, '/mnt/sub'))).toBe(Errno.EINVAL);
    vfs.umount(ctx, '/ro');
    vfs.umount(ctx, '/mnt');
    expect(errnoOf(() => vfs.statAt(ctx, '/mnt/sub'))).toBe(Errno.ENOENT);
    expect(errnoOf(() => vfs.mount({ ...ctx, creds: user(1) }, '/mnt', new TmpfsFilesystem()))).toBe(Errno.EPERM);
  });
});

describe('directory streams', () => {
  it('keep their place while entries are added and removed', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/d', 0o755);
    for (let i = 0; i < 10; i++) vfs.mknodAt(ctx, `/d/f${i}`, 0o100644);
    const dir = vfs.openAt(ctx, '/d', { flags: O.RDONLY | O.DIRECTORY });
    const first = dir.getdents(6).map((d) => d.name);
    expect(first).toEqual(['.', '..', 'f0', 'f1', 'f2', 'f3']);
    vfs.unlinkAt(ctx, '/d/f1');
    vfs.unlinkAt(ctx, '/d/f5');
    vfs.mknodAt(ctx, '/d/new', 0o100644);
    const rest = dir.getdents().map((d) => d.name);
    expect(rest).toEqual(['f4', 'f6', 'f7', 'f8', 'f9', 'new']);
    // A cookie from earlier resumes right after its entry.
    const cookie = dir.getdents.call(vfs.openAt(ctx, '/d', { flags: O.RDONLY }), 3)[2].nextOff;
    dir.seek(cookie, SEEK.SET);
    expect(dir.getdents(1)[0].name).toBe('f2');
  });
});

describe('O_TMPFILE', () => {
  it('creates unnamed files that linkat can name unless O_EXCL', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/tmp', 0o777);
    const fd = vfs.openAt(ctx, '/tmp', { flags: O.TMPFILE | O.RDWR, mode: 0o600 });
    fd.write(text('anon'));
    expect(fd.stat().nlink).toBe(0);
    expect(
      vfs
        .openAt(ctx, '/tmp', { flags: O.RDONLY | O.DIRECTORY })
        .getdents()
        .map((d) => d.name),
    ).toEqual(['.', '..']);
    expect(vfs.pathOf(fd.vd, vfs.root()).deleted).toBe(true);
    vfs.linkAt({ ...ctx, start: fd.vd }, '', ctx, '/tmp/named', AT.EMPTY_PATH);
    expect(vfs.statAt(ctx, '/tmp/named').size).toBe(4);
    expect(fd.stat().nlink).toBe(1);
    const excl = vfs.openAt(ctx, '/tmp', { flags: O.TMPFILE | O.EXCL | O.WRONLY, mode: 0o600 });
    expect(errnoOf(() => vfs.linkAt({ ...ctx, start: excl.vd }, '', ctx, '/tmp/never', AT.EMPTY_PATH))).toBe(Errno.ENOENT);
    expect(errnoOf(() => vfs.openAt(ctx, '/tmp', { flags: O.TMPFILE | O.RDONLY }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => vfs.openAt(ctx, '/tmp/named', { flags: O.TMPFILE | O.RDWR }))).toBe(Errno.ENOTDIR);
  });
});
