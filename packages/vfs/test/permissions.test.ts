import { ACCESS, Errno, O, S, UTIME } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { errnoOf, freshVfs, text, user } from './helpers.js';

describe('permissions with unprivileged credentials', () => {
  it('checks owner, group and other bits, and search permission on directories', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/d', 0o755);
    vfs.mknodAt(ctx, '/d/f', 0o100640);
    vfs.chownAt(ctx, '/d/f', 1000, 100);
    const owner = { ...ctx, creds: user(1000, 1000) };
    const member = { ...ctx, creds: user(2000, 2000, [100]) };
    const other = { ...ctx, creds: user(3000) };
    expect(errnoOf(() => vfs.openAt(owner, '/d/f', { flags: O.RDWR }).decRef())).toBe(0);
    expect(errnoOf(() => vfs.openAt(member, '/d/f', { flags: O.RDONLY }).decRef())).toBe(0);
    expect(errnoOf(() => vfs.openAt(member, '/d/f', { flags: O.WRONLY }))).toBe(Errno.EACCES);
    expect(errnoOf(() => vfs.openAt(other, '/d/f', { flags: O.RDONLY }))).toBe(Errno.EACCES);
    // O_TRUNC needs write permission even with O_RDONLY.
    expect(errnoOf(() => vfs.openAt(member, '/d/f', { flags: O.RDONLY | O.TRUNC }))).toBe(Errno.EACCES);
    vfs.chmodAt(ctx, '/d', 0o700);
    expect(errnoOf(() => vfs.statAt(other, '/d/f'))).toBe(Errno.EACCES);
    expect(errnoOf(() => vfs.accessAt(owner, '/d/f', ACCESS.R_OK))).toBe(Errno.EACCES);
  });

  it('applies the umask and set-group-ID directory inheritance', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/shared', 0o777);
    vfs.chownAt(ctx, '/shared', 0, 50);
    vfs.chmodAt(ctx, '/shared', 0o2777);
    const u = { ...ctx, creds: user(1000), umask: 0o027 };
    vfs.openAt(u, '/shared/f', { flags: O.CREAT | O.WRONLY, mode: 0o666 }).decRef();
    vfs.mkdirAt(u, '/shared/sub', 0o777);
    const f = vfs.statAt(ctx, '/shared/f');
    const sub = vfs.statAt(ctx, '/shared/sub');
    expect([f.mode & 0o7777, f.uid, f.gid]).toEqual([0o640, 1000, 50]);
    expect([sub.mode & 0o7777, sub.gid]).toEqual([0o2750, 50]);
  });

  it('enforces the sticky bit on deletion and rename', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/tmp', 0o777);
    vfs.chmodAt(ctx, '/tmp', 0o1777);
    const alice = { ...ctx, creds: user(1000) };
    const bob = { ...ctx, creds: user(1001) };
    vfs.openAt(alice, '/tmp/a', { flags: O.CREAT | O.WRONLY, mode: 0o666 }).decRef();
    expect(errnoOf(() => vfs.unlinkAt(bob, '/tmp/a'))).toBe(Errno.EPERM);
    expect(errnoOf(() => vfs.renameAt(bob, '/tmp/a', bob, '/tmp/b'))).toBe(Errno.EPERM);
    expect(errnoOf(() => vfs.unlinkAt(alice, '/tmp/a'))).toBe(0);
  });

  it('restricts chmod, chown and utimens to the owner', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/f', 0o100666);
    vfs.chmodAt(ctx, '/f', 0o666);
    vfs.chownAt(ctx, '/f', 1000, 1000);
    const owner = { ...ctx, creds: user(1000, 1000, [1000, 7]) };
    const other = { ...ctx, creds: user(1001) };
    expect(errnoOf(() => vfs.chmodAt(other, '/f', 0o600))).toBe(Errno.EPERM);
    expect(errnoOf(() => vfs.chownAt(owner, '/f', 1001, -1))).toBe(Errno.EPERM);
    expect(errnoOf(() => vfs.chownAt(owner, '/f', -1, 8))).toBe(Errno.EPERM);
    expect(errnoOf(() => vfs.chownAt(owner, '/f', -1, 7))).toBe(0);
    // Anyone with write access may set both times to "now", but not to explicit values.
    expect(errnoOf(() => vfs.utimensAt(other, '/f', null))).toBe(0);
    expect(
      errnoOf(() =>
        vfs.utimensAt(other, '/f', [
          { sec: 1, nsec: 0 },
          { sec: 1, nsec: 0 },
        ]),
      ),
    ).toBe(Errno.EPERM);
    expect(
      errnoOf(() =>
        vfs.utimensAt(owner, '/f', [
          { sec: 5, nsec: 6 },
          { sec: 0, nsec: UTIME.OMIT },
        ]),
      ),
    ).toBe(0);
    expect(vfs.statAt(ctx, '/f').atime).toEqual({ sec: 5, nsec: 6 });
    expect(
      errnoOf(() =>
        vfs.utimensAt(owner, '/f', [
          { sec: 5, nsec: 1e9 },
          { sec: 0, nsec: 0 },
        ]),
      ),
    ).toBe(Errno.EINVAL);
    vfs.chmodAt(ctx, '/f', 0o644);
    expect(errnoOf(() => vfs.utimensAt(other, '/f', null))).toBe(Errno.EACCES);
  });

  it('clears set-user-ID on chown and on writes by the unprivileged', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/f', 0o100666);
    vfs.chmodAt(ctx, '/f', 0o6777);
    vfs.chownAt(ctx, '/f', 1000, 1000);
    expect(vfs.statAt(ctx, '/f').mode & 0o7777).toBe(0o0777);
    vfs.chmodAt(ctx, '/f', 0o4666);
    const fd = vfs.openAt({ ...ctx, creds: user(1001) }, '/f', { flags: O.WRONLY });
    fd.write(text('x'));
    expect(vfs.statAt(ctx, '/f').mode & 0o7777).toBe(0o666);
  });

  it('lets root read anything but execute only with some x bit', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/f', 0o100000);
    expect(errnoOf(() => vfs.accessAt(ctx, '/f', ACCESS.R_OK | ACCESS.W_OK))).toBe(0);
    expect(errnoOf(() => vfs.accessAt(ctx, '/f', ACCESS.X_OK))).toBe(Errno.EACCES);
    vfs.chmodAt(ctx, '/f', 0o001);
    expect(errnoOf(() => vfs.accessAt(ctx, '/f', ACCESS.X_OK))).toBe(0);
    expect(errnoOf(() => vfs.accessAt(ctx, '/f', 8))).toBe(Errno.EINVAL);
  });

  it('only lets privileged users create device nodes', () => {
    const { vfs, ctx } = freshVfs();
    vfs.chmodAt(ctx, '/', 0o777);
    const u = { ...ctx, creds: user(1000) };
    expect(errnoOf(() => vfs.mknodAt(u, '/null', S.IFCHR | 0o666, 0x103))).toBe(Errno.EPERM);
    expect(errnoOf(() => vfs.mknodAt(u, '/fifo', S.IFIFO | 0o666))).toBe(0);
  });

  it('a write, a truncate or a chown drops the file capabilities (security.capability), even when root makes it', () => {
    const { vfs, ctx } = freshVfs();
    const caps = new Uint8Array(20).fill(1);
    const hasCaps = () => vfs.listxattrVd(vfs.getVd(ctx, '/bin'), ctx.creds).includes('security.capability');
    vfs.mknodAt(ctx, '/bin', 0o100755);
    vfs.setxattrAt(ctx, '/bin', 'security.capability', caps, 0, true);
    vfs.setxattrAt(ctx, '/bin', 'user.keep', caps, 0, true);
    const file = vfs.openAt(ctx, '/bin', { flags: O.WRONLY });
    expect(file.write(new Uint8Array([1]))).toBe(1);
    expect(hasCaps()).toBe(false);
    vfs.setxattrAt(ctx, '/bin', 'security.capability', caps, 0, true);
    vfs.truncateAt(ctx, '/bin', 0);
    expect(hasCaps()).toBe(false);
    vfs.setxattrAt(ctx, '/bin', 'security.capability', caps, 0, true);
    vfs.chownAt(ctx, '/bin', 1000, -1);
    expect(hasCaps()).toBe(false);
    expect(vfs.listxattrVd(vfs.getVd(ctx, '/bin'), ctx.creds)).toEqual(['user.keep']);
    file.decRef();
  });
});
