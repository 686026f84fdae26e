import { describe, expect, it } from 'vitest';
import { Errno, MNT } from '@tvisor/abi';
import { TmpfsFilesystem, makePrivate, makeShared, makeSlave, makeUnbindable, propagationFields, type Mount } from '../src/index.js';
import { errnoOf, freshVfs } from './helpers.js';

/** The mounts whose mount point is `path`, bottom first, as /proc/self/mountinfo lists them. */
function mountsAt(vfs: ReturnType<typeof freshVfs>['vfs'], path: string): Mount[] {
  const root = vfs.root();
  return vfs.mounts().filter((m) => m.parent && vfs.pathOf({ mount: m, dentry: m.root }, root).path === path);
}

function setup() {
  const { vfs, ctx } = freshVfs();
  for (const d of ['/a', '/b', '/c']) vfs.mkdirAt(ctx, d, 0o755);
  vfs.mount(ctx, '/a', new TmpfsFilesystem({ mode: 0o755 }));
  vfs.mkdirAt(ctx, '/a/sub', 0o755);
  return { vfs, ctx };
}

describe('mount propagation (shared subtrees)', () => {
  it('a mount under a shared mount shows up in its bind-mounted peer, and its umount leaves both', () => {
    const { vfs, ctx } = setup();
    vfs.setPropagation(ctx, '/a', makeShared, false);
    vfs.bindMount(ctx, '/a', ctx, '/b');
    const [a] = mountsAt(vfs, '/a');
    const [b] = mountsAt(vfs, '/b');
    expect(propagationFields(b)).toEqual(propagationFields(a));
    expect(propagationFields(a)[0]).toMatch(/^shared:\d+$/);

    vfs.mount(ctx, '/a/sub', new TmpfsFilesystem({ mode: 0o700 }));
    vfs.mknodAt(ctx, '/a/sub/file', 0o100644);
    // The peer sees the new mount (and so the file made in it).
    expect(vfs.statAt(ctx, '/b/sub/file').mode & 0o170000).toBe(0o100000);
    const [subA] = mountsAt(vfs, '/a/sub');
    const [subB] = mountsAt(vfs, '/b/sub');
    expect(subA.group).not.toBeNull();
    expect(subB.group).toBe(subA.group);

    vfs.umount(ctx, '/b/sub');
    expect(mountsAt(vfs, '/a/sub')).toEqual([]);
    expect(mountsAt(vfs, '/b/sub')).toEqual([]);
  });

  it('a slave receives its master group’s mounts but sends none back', () => {
    const { vfs, ctx } = setup();
    vfs.setPropagation(ctx, '/a', makeShared, false);
    vfs.bindMount(ctx, '/a', ctx, '/b');
    vfs.setPropagation(ctx, '/b', makeSlave, false);
    const [a] = mountsAt(vfs, '/a');
    const [b] = mountsAt(vfs, '/b');
    expect(propagationFields(b)).toEqual([`master:${a.group!.id}`]);

    vfs.mount(ctx, '/a/sub', new TmpfsFilesystem({ mode: 0o755 }));
    expect(mountsAt(vfs, '/b/sub')).toHaveLength(1);
    vfs.mkdirAt(ctx, '/b/sub/x', 0o755);
    vfs.mount(ctx, '/b/sub/x', new TmpfsFilesystem({ mode: 0o755 }));
    expect(mountsAt(vfs, '/a/sub/x')).toEqual([]);
  });

  it('a propagated mount lands under one already there, which umount puts back', () => {
    const { vfs, ctx } = setup();
    vfs.setPropagation(ctx, '/a', makeShared, false);
    const existing = vfs.mount(ctx, '/a/sub', new TmpfsFilesystem({ mode: 0o755 }));
    vfs.bindMount(ctx, '/a', ctx, '/b');
    vfs.mount(ctx, '/b/sub', new TmpfsFilesystem({ mode: 0o755 }));
    // In /a the propagated copy is tucked below the mount that was there.
    const atA = mountsAt(vfs, '/a/sub');
    expect(atA).toHaveLength(2);
    expect(atA[1]).toBe(existing);
    vfs.umount(ctx, '/b/sub', MNT.DETACH);
    expect(mountsAt(vfs, '/a/sub')).toEqual([existing]);
    expect(existing.parent?.root).toBe(mountsAt(vfs, '/a')[0].root);
  });

  it('group ids are reused, private leaves the group, unbindable refuses binds', () => {
    const { vfs, ctx } = setup();
    vfs.setPropagation(ctx, '/a', makeShared, false);
    const [a] = mountsAt(vfs, '/a');
    const id = a.group!.id;
    vfs.setPropagation(ctx, '/a', makePrivate, false);
    expect(propagationFields(a)).toEqual([]);
    vfs.setPropagation(ctx, '/a', makeShared, false);
    expect(a.group!.id).toBe(id);
    vfs.setPropagation(ctx, '/a', makeUnbindable, false);
    expect(propagationFields(a)).toEqual(['unbindable']);
    expect(errnoOf(() => vfs.bindMount(ctx, '/a', ctx, '/b'))).toBe(Errno.EINVAL);
    // Only a mount's root takes a propagation type.
    expect(errnoOf(() => vfs.setPropagation(ctx, '/a/sub', makeShared, false))).toBe(Errno.EINVAL);
  });

  it('binds that double a peer group stop at fs.mount-max with ENOSPC, and a deep stack tears down', () => {
    const { vfs, ctx } = setup();
    vfs.tree.maxMounts = 600;
    vfs.bindMount(ctx, '/a/sub', ctx, '/a/sub');
    vfs.setPropagation(ctx, '/a/sub', makeShared, false);
    const before = vfs.mounts().length;
    let binds = 0;
    while (errnoOf(() => vfs.bindMount(ctx, '/a/sub', ctx, '/a/sub')) === 0) binds++;
    // Each bind doubles the group: 2^9 = 512 members fit in 600, 1024 do not.
    expect(binds).toBe(9);
    expect(vfs.mounts().length).toBe(before - 1 + 512);
    expect(errnoOf(() => vfs.bindMount(ctx, '/a/sub', ctx, '/a/sub'))).toBe(Errno.ENOSPC);
    vfs.umount(ctx, '/a', MNT.DETACH);
    expect(vfs.mounts()).toHaveLength(1);
  });

  it('MS_MOVE moves a mount with its submounts, not out of a shared parent, not into itself', () => {
    const { vfs, ctx } = setup();
    vfs.mount(ctx, '/a/sub', new TmpfsFilesystem({ mode: 0o755 }));
    vfs.mknodAt(ctx, '/a/sub/f', 0o100644);
    vfs.moveMount(ctx, '/a/sub', ctx, '/c');
    expect(vfs.statAt(ctx, '/c/f').size).toBe(0);
    expect(errnoOf(() => vfs.statAt(ctx, '/a/sub/f'))).toBe(Errno.ENOENT);
    expect(errnoOf(() => vfs.moveMount(ctx, '/b', ctx, '/c'))).toBe(Errno.EINVAL);
    vfs.mkdirAt(ctx, '/c/in', 0o755);
    expect(errnoOf(() => vfs.moveMount(ctx, '/c', ctx, '/c/in'))).toBe(Errno.ELOOP);
    vfs.setPropagation(ctx, '/a', makeShared, false);
    vfs.moveMount(ctx, '/c', ctx, '/a/sub');
    expect(errnoOf(() => vfs.moveMount(ctx, '/a/sub', ctx, '/b'))).toBe(Errno.EINVAL);
  });
});

describe('tmpfs super options', () => {
  it('lists size, mode, uid and gid only where they differ from the defaults, as Linux shows them', () => {
    expect(new TmpfsFilesystem().superOptions).toEqual([]);
    expect(new TmpfsFilesystem({ mode: 0o1777 }).superOptions).toEqual([]);
    expect(new TmpfsFilesystem({ mode: 0o123, uid: 5, gid: 0, maxBytes: 8192 }).superOptions).toEqual(['size=8k', 'mode=123', 'uid=5']);
  });
});
