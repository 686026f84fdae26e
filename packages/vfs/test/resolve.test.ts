import { AT, Errno, O, RESOLVE } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { MAX_SYMLINKS } from '../src/index.js';
import { errnoOf, freshVfs, text } from './helpers.js';

describe('path resolution', () => {
  it('follows chains of up to 40 symlinks and fails with ELOOP beyond', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/target', 0o100644);
    vfs.symlinkAt(ctx, 'target', '/l0');
    for (let i = 1; i <= MAX_SYMLINKS; i++) vfs.symlinkAt(ctx, `l${i - 1}`, `/l${i}`);
    // l39 needs 40 traversals, l40 needs 41.
    expect(vfs.statAt(ctx, `/l${MAX_SYMLINKS - 1}`).mode & 0o170000).toBe(0o100000);
    expect(errnoOf(() => vfs.statAt(ctx, `/l${MAX_SYMLINKS}`))).toBe(Errno.ELOOP);
    vfs.symlinkAt(ctx, 'self', '/self');
    expect(errnoOf(() => vfs.openAt(ctx, '/self', { flags: O.RDONLY }))).toBe(Errno.ELOOP);
  });

  it('never lets .. climb above the root, including the chroot root', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/jail', 0o755);
    vfs.mkdirAt(ctx, '/jail/etc', 0o755);
    vfs.mknodAt(ctx, '/secret', 0o100600);
    expect(vfs.statAt(ctx, '/../../..').ino).toBe(vfs.statAt(ctx, '/').ino);
    const jail = vfs.getVd(ctx, '/jail');
    const jctx = { ...ctx, root: jail, start: jail };
    expect(errnoOf(() => vfs.statAt(jctx, '../../secret'))).toBe(Errno.ENOENT);
    vfs.symlinkAt(ctx, '/../../secret', '/jail/etc/link');
    expect(errnoOf(() => vfs.statAt(jctx, '/etc/link'))).toBe(Errno.ENOENT);
    expect(vfs.pathOf(vfs.getVd(jctx, '/etc'), jail)).toEqual({ path: '/etc', reachable: true, deleted: false });
  });

  it('handles trailing slashes and O_DIRECTORY', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/f', 0o100644);
    vfs.mkdirAt(ctx, '/d', 0o755);
    vfs.symlinkAt(ctx, 'd', '/ld');
    expect(errnoOf(() => vfs.statAt(ctx, '/f/'))).toBe(Errno.ENOTDIR);
    expect(errnoOf(() => vfs.openAt(ctx, '/f', { flags: O.RDONLY | O.DIRECTORY }))).toBe(Errno.ENOTDIR);
    // A trailing slash follows the final symlink even with AT_SYMLINK_NOFOLLOW.
    expect(vfs.statAt(ctx, '/ld/', AT.SYMLINK_NOFOLLOW).mode & 0o170000).toBe(0o040000);
    expect(vfs.statAt(ctx, '/ld', AT.SYMLINK_NOFOLLOW).mode & 0o170000).toBe(0o120000);
    expect(errnoOf(() => vfs.openAt(ctx, '/new/', { flags: O.CREAT | O.WRONLY, mode: 0o644 }))).toBe(Errno.EISDIR);
  });

  it('creates the target of a dangling symlink with O_CREAT, but not with O_EXCL', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/d', 0o755);
    vfs.symlinkAt(ctx, 'd/made', '/dangling');
    expect(errnoOf(() => vfs.openAt(ctx, '/dangling', { flags: O.CREAT | O.EXCL | O.WRONLY, mode: 0o600 }))).toBe(Errno.EEXIST);
    const fd = vfs.openAt(ctx, '/dangling', { flags: O.CREAT | O.WRONLY, mode: 0o600 });
    fd.write(text('hi'));
    fd.decRef();
    expect(vfs.statAt(ctx, '/d/made').size).toBe(2);
    expect(errnoOf(() => vfs.openAt(ctx, '/dangling', { flags: O.CREAT | O.WRONLY | O.NOFOLLOW }))).toBe(Errno.ELOOP);
  });

  it('implements O_PATH and readlink on it', () => {
    const { vfs, ctx } = freshVfs();
    vfs.symlinkAt(ctx, 'nowhere', '/l');
    const fd = vfs.openAt(ctx, '/l', { flags: O.PATH | O.NOFOLLOW });
    expect(fd.readlink()).toBe('nowhere');
    expect(vfs.readlinkAt({ ...ctx, start: fd.vd }, '')).toBe('nowhere');
    expect(errnoOf(() => fd.read(new Uint8Array(1)))).toBe(Errno.EBADF);
    expect(vfs.statAt({ ...ctx, start: fd.vd }, '', AT.EMPTY_PATH).mode & 0o170000).toBe(0o120000);
  });

  it('scopes openat2 resolution', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/base', 0o755);
    vfs.mkdirAt(ctx, '/base/sub', 0o755);
    vfs.mknodAt(ctx, '/base/f', 0o100644);
    vfs.mknodAt(ctx, '/outside', 0o100644);
    vfs.symlinkAt(ctx, '/f', '/base/abs');
    vfs.symlinkAt(ctx, '../outside', '/base/up');
    vfs.symlinkAt(ctx, 'f', '/base/rel');
    const base = vfs.getVd(ctx, '/base');
    const bctx = { ...ctx, start: base };
    const open = (p: string, resolve: number) => vfs.openAt(bctx, p, { flags: O.RDONLY, resolve });
    expect(errnoOf(() => open('../outside', RESOLVE.BENEATH))).toBe(Errno.EXDEV);
    expect(errnoOf(() => open('/outside', RESOLVE.BENEATH))).toBe(Errno.EXDEV);
    expect(errnoOf(() => open('up', RESOLVE.BENEATH))).toBe(Errno.EXDEV);
    expect(errnoOf(() => open('sub/../f', RESOLVE.BENEATH))).toBe(0);
    // IN_ROOT treats the start as "/": absolute links and .. stay inside.
    expect(errnoOf(() => open('abs', RESOLVE.IN_ROOT))).toBe(0);
    expect(errnoOf(() => open('../../f', RESOLVE.IN_ROOT))).toBe(0);
    expect(errnoOf(() => open('up', RESOLVE.IN_ROOT))).toBe(Errno.ENOENT);
    expect(errnoOf(() => open('rel', RESOLVE.NO_SYMLINKS))).toBe(Errno.ELOOP);
    expect(errnoOf(() => open('f', RESOLVE.NO_SYMLINKS))).toBe(0);
  });

  it('reports ENAMETOOLONG for long components and paths', () => {
    const { vfs, ctx } = freshVfs();
    expect(errnoOf(() => vfs.statAt(ctx, '/' + 'x'.repeat(256)))).toBe(Errno.ENAMETOOLONG);
    expect(errnoOf(() => vfs.statAt(ctx, '/' + 'x/'.repeat(2100)))).toBe(Errno.ENAMETOOLONG);
    expect(errnoOf(() => vfs.statAt(ctx, ''))).toBe(Errno.ENOENT);
  });

  it('resolves relative to a non-directory start only with AT_EMPTY_PATH', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/f', 0o100644);
    const fd = vfs.openAt(ctx, '/f', { flags: O.RDONLY });
    const fctx = { ...ctx, start: fd.vd };
    expect(errnoOf(() => vfs.statAt(fctx, 'x'))).toBe(Errno.ENOTDIR);
    expect(vfs.statAt(fctx, '', AT.EMPTY_PATH).ino).toBe(fd.stat().ino);
    // Absolute paths ignore the start entirely.
    expect(vfs.statAt(fctx, '/f').ino).toBe(fd.stat().ino);
  });
});
