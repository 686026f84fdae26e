import { Errno, O, S } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { isOpaque, isWhiteout, OverlayFilesystem, ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem, type PathContext } from '../src/index.js';
import { errnoOf, text, user } from './helpers.js';

/** A lower tmpfs with /etc/conf (owned by 1000, 0640, xattr user.k) and /dir/{a,b}, frozen read-only. */
function setup(): { vfs: VirtualFilesystem; ctx: PathContext; ovl: OverlayFilesystem; lowerCtx: PathContext; lowerVfs: VirtualFilesystem } {
  const lowerFs = new TmpfsFilesystem({ mode: 0o755 });
  const lowerVfs = new VirtualFilesystem(lowerFs);
  const lctx = { ...lowerVfs.context(ROOT_CREDENTIALS), umask: 0 };
  lowerVfs.mkdirAt(lctx, '/etc', 0o755);
  const f = lowerVfs.openAt(lctx, '/etc/conf', { flags: O.CREAT | O.WRONLY, mode: 0o640 });
  f.write(text('lower data'));
  f.decRef();
  lowerVfs.chownAt(lctx, '/etc/conf', 1000, 1000);
  lowerVfs.setxattrAt(lctx, '/etc/conf', 'user.k', text('v'));
  lowerVfs.utimensAt(lctx, '/etc/conf', [
    { sec: 1000, nsec: 5 },
    { sec: 2000, nsec: 6 },
  ]);
  lowerVfs.mkdirAt(lctx, '/dir', 0o755);
  lowerVfs.mknodAt(lctx, '/dir/a', S.IFREG | 0o644);
  lowerVfs.mknodAt(lctx, '/dir/b', S.IFREG | 0o644);
  const ovl = new OverlayFilesystem({ lower: lowerFs });
  const vfs = new VirtualFilesystem(ovl);
  return { vfs, ctx: { ...vfs.context(ROOT_CREDENTIALS), umask: 0o022 }, ovl, lowerCtx: lctx, lowerVfs };
}

const upperChild = (ovl: OverlayFilesystem, ...names: string[]) => names.reduce((i, n) => i.lookup(n), ovl.upper.root());

describe('overlay', () => {
  it('copies a file up on write, keeping data, owner, mode, times and xattrs; the lower stays untouched', () => {
    const { vfs, ctx, ovl, lowerVfs, lowerCtx } = setup();
    const before = vfs.statAt(ctx, '/etc/conf');
    const reader = vfs.openAt(ctx, '/etc/conf', { flags: O.RDONLY });
    const fd = vfs.openAt(ctx, '/etc/conf', { flags: O.WRONLY | O.APPEND });
    fd.write(text('+upper'));
    const after = vfs.statAt(ctx, '/etc/conf');
    expect([after.uid, after.gid, after.mode & 0o7777, after.ino, after.atime]).toEqual([1000, 1000, 0o640, before.ino, { sec: 1000, nsec: 5 }]);
    expect(new TextDecoder().decode(vfs.getxattrAt(ctx, '/etc/conf', 'user.k'))).toBe('v');
    // A description opened before the copy-up sees the new contents.
    const buf = new Uint8Array(64);
    expect(new TextDecoder().decode(buf.subarray(0, reader.read(buf)))).toBe('lower data+upper');
    expect(lowerVfs.statAt(lowerCtx, '/etc/conf').size).toBe(10);
    expect(upperChild(ovl, 'etc', 'conf').stat().size).toBe(16);
  });

  it('hides deleted lower entries behind whiteouts and merges directories', () => {
    const { vfs, ctx, ovl } = setup();
    vfs.unlinkAt(ctx, '/dir/a');
    vfs.mknodAt(ctx, '/dir/c', S.IFREG | 0o644);
    expect(isWhiteout(upperChild(ovl, 'dir', 'a'))).toBe(true);
    const names = vfs
      .openAt(ctx, '/dir', { flags: O.RDONLY | O.DIRECTORY })
      .getdents()
      .map((d) => d.name)
      .sort();
    expect(names).toEqual(['.', '..', 'b', 'c']);
    expect(errnoOf(() => vfs.statAt(ctx, '/dir/a'))).toBe(Errno.ENOENT);
    expect(errnoOf(() => vfs.rmdirAt(ctx, '/dir'))).toBe(Errno.ENOTEMPTY);
    vfs.unlinkAt(ctx, '/dir/b');
    vfs.unlinkAt(ctx, '/dir/c');
    vfs.rmdirAt(ctx, '/dir');
    // Recreating the directory over its whiteout makes it opaque: the lower entries stay hidden.
    vfs.mkdirAt(ctx, '/dir', 0o755);
    expect(isOpaque(upperChild(ovl, 'dir'))).toBe(true);
    expect(
      vfs
        .openAt(ctx, '/dir', { flags: O.RDONLY | O.DIRECTORY })
        .getdents()
        .map((d) => d.name),
    ).toEqual(['.', '..']);
    // Overlay-private xattrs are invisible.
    expect(vfs.listxattrAt(ctx, '/dir')).toEqual([]);
  });

  it('refuses to rename lower directories (EXDEV, like overlayfs without redirect_dir) but renames files', () => {
    const { vfs, ctx, ovl } = setup();
    expect(errnoOf(() => vfs.renameAt(ctx, '/dir', ctx, '/dir2'))).toBe(Errno.EXDEV);
    vfs.renameAt(ctx, '/dir/a', ctx, '/moved');
    expect(errnoOf(() => vfs.statAt(ctx, '/dir/a'))).toBe(Errno.ENOENT);
    expect(isWhiteout(upperChild(ovl, 'dir', 'a'))).toBe(true);
    vfs.mkdirAt(ctx, '/new', 0o755);
    vfs.renameAt(ctx, '/new', ctx, '/renamed');
    expect(vfs.statAt(ctx, '/renamed').mode & S.IFMT).toBe(S.IFDIR);
  });

  it('checks permissions against the lower attributes before copy-up', () => {
    const { vfs, ctx } = setup();
    const other = { ...ctx, creds: user(2000) };
    expect(errnoOf(() => vfs.openAt(other, '/etc/conf', { flags: O.RDONLY }))).toBe(Errno.EACCES);
    const owner = { ...ctx, creds: user(1000) };
    expect(errnoOf(() => vfs.openAt(owner, '/etc/conf', { flags: O.RDWR }).decRef())).toBe(0);
    expect(errnoOf(() => vfs.mkdirAt(owner, '/etc/x', 0o755))).toBe(Errno.EACCES);
  });
});
