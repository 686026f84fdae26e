import { Errno, SysError } from './abi.js';
import { Dentry } from './dentry.js';
import type { Filesystem } from './inode.js';
import { Mount, type MountFlags } from './mount.js';
import { filesystemUnmounted } from './fsnotify.js';
import { dropPropagation, inheritPropagation, joinGroup, makeSharedIfPrivate, slaveCopy } from './propagation.js';

/** Linux's default fs.mount-max: the most mounts a namespace may hold (ENOSPC beyond). */
export const DEFAULT_MOUNT_MAX = 100_000;

/** Where a mount event reaches through propagation: `target` gets a copy of entry `source`'s tree (-1: the original). */
interface PropagationStep {
  target: Mount;
  source: number;
  relation: 'peer' | 'slave';
}

/**
 * A mount namespace's tree of mounts: attaching (with mount propagation to
 * peers and slaves), detaching, copying. Path resolution and permission
 * checks are the VFS's; this class only changes the tree.
 */
export class MountTree {
  readonly root: Mount;
  /** fs.mount-max. */
  maxMounts = DEFAULT_MOUNT_MAX;
  private readonly fsMounts = new Map<Filesystem, number>();
  private attached = 1;

  constructor(rootFs: Filesystem, rootFlags: MountFlags = {}) {
    this.root = this.create(rootFs, new Dentry('/', null, rootFs.root()), rootFlags);
  }

  /** A new mount of `fs` showing `root`, not yet attached anywhere. */
  create(fs: Filesystem, root: Dentry, flags: MountFlags): Mount {
    this.fsMounts.set(fs, (this.fsMounts.get(fs) ?? 0) + 1);
    return new Mount(fs, root, { ...flags }, null, null);
  }

  /** Is `m` part of this tree (not detached by umount)? */
  isAttached(m: Mount): boolean {
    let cur: Mount | null = m;
    while (cur.parent) cur = cur.parent;
    return cur === this.root;
  }

  /** A detached copy of `src` showing `root` (a bind mount's source), with the submounts below `root` when `recursive`. */
  copyForBind(src: Mount, root: Dentry, flags: MountFlags, recursive: boolean): Mount {
    const top = this.create(src.fs, root, flags);
    top.source = src.source;
    inheritPropagation(top, src);
    if (recursive) this.copySubmounts(src, root, top, (to, from) => inheritPropagation(to, from));
    return top;
  }

  private copySubmounts(from: Mount, under: Dentry, to: Mount, relate: (to: Mount, from: Mount) => void): void {
    // Iterative (stacks of mounts can be tens of thousands deep); the copy is detached, so it never shows up among the originals.
    const work: Array<[Mount, Dentry | null, Mount]> = [[from, under, to]];
    for (let item = work.pop(); item; item = work.pop()) {
      const [src, below, dst] = item;
      for (const [mp, child] of [...src.children]) {
        if ((below && !mp.isDescendantOf(below)) || child.unbindable) continue;
        const copy = this.create(child.fs, child.root, child.flags);
        copy.source = child.source;
        relate(copy, child);
        this.link(copy, dst, mp);
        work.push([child, null, copy]);
      }
    }
  }

  private link(m: Mount, parent: Mount, mp: Dentry): void {
    m.parent = parent;
    m.mountpoint = mp;
    parent.children.set(mp, m);
    mp.mountCount++;
  }

  private unlink(m: Mount): void {
    if (!m.parent || !m.mountpoint) return;
    m.parent.children.delete(m.mountpoint);
    m.mountpoint.mountCount--;
    m.parent = null;
    m.mountpoint = null;
  }

  /** Put `m` at (parent, mp); a mount already there is tucked under the top of `m`'s root, as Linux does for propagated mounts. */
  private attach(m: Mount, parent: Mount, mp: Dentry): void {
    const covered = parent.children.get(mp);
    if (covered) this.unlink(covered);
    this.link(m, parent, mp);
    if (!covered) return;
    let top = m;
    for (let c = top.children.get(top.root); c; c = top.children.get(top.root)) top = c;
    this.link(covered, top, top.root);
  }

  /** `m` and every mount below it, parents first (iterative: stacks of mounts can be deep). */
  private static subtree(m: Mount): Mount[] {
    const out: Mount[] = [];
    const work: Mount[] = [m];
    for (let x = work.pop(); x; x = work.pop()) {
      out.push(x);
      const children = [...x.children.values()];
      for (let i = children.length - 1; i >= 0; i--) work.push(children[i]);
    }
    return out;
  }

  /**
   * Where an event at (parent, mp) propagates: the parent's peers, its
   * group's slaves, their peers and slaves in turn; only mounts in which
   * `mp` is visible, and never the `fresh` mounts of the event itself.
   */
  private propagationSteps(parent: Mount, mp: Dentry, fresh: readonly Mount[] = []): PropagationStep[] {
    const steps: PropagationStep[] = [];
    // The mounts being attached are not receivers yet, though a bind already made them peers.
    const seen = new Set<Mount>([parent, ...fresh]);
    const visible = (m: Mount): boolean => mp.isDescendantOf(m.root);
    const fromGroupOf = (from: Mount, source: number): void => {
      const g = from.group;
      if (!g) return;
      for (const peer of [...g.members]) {
        if (seen.has(peer)) continue;
        seen.add(peer);
        if (visible(peer)) steps.push({ target: peer, source, relation: 'peer' });
      }
      for (const slave of [...g.slaves]) {
        if (seen.has(slave)) continue;
        seen.add(slave);
        if (!visible(slave)) continue;
        const index = steps.push({ target: slave, source, relation: 'slave' }) - 1;
        fromGroupOf(slave, index);
      }
    };
    fromGroupOf(parent, -1);
    return steps;
  }

  /**
   * Attach the detached tree `tree` at (parent, mp). Under a shared parent
   * the tree becomes shared and a copy goes to every peer and slave of the
   * parent (ENOSPC when that would pass fs.mount-max).
   */
  graft(tree: Mount, parent: Mount, mp: Dentry): void {
    const mounts = MountTree.subtree(tree);
    const steps = parent.group ? this.propagationSteps(parent, mp, mounts) : [];
    const adding = mounts.length * (1 + steps.length);
    if (this.attached + adding > this.maxMounts) throw new SysError(Errno.ENOSPC);
    if (parent.group) for (const m of mounts) makeSharedIfPrivate(m);
    this.attach(tree, parent, mp);
    const copies: Mount[] = [];
    for (const step of steps) {
      const source = step.source < 0 ? tree : copies[step.source];
      const shared = step.relation === 'slave' && step.target.group !== null;
      const relate = (to: Mount, from: Mount): void => {
        if (step.relation === 'peer') {
          if (from.group) joinGroup(to, from.group);
          else if (from.master) slaveCopy(to, from, false);
        } else slaveCopy(to, from, shared);
      };
      const copy = this.create(source.fs, source.root, source.flags);
      copy.source = source.source;
      relate(copy, source);
      this.copySubmounts(source, source.root, copy, relate);
      this.attach(copy, step.target, mp);
      copies.push(copy);
    }
    this.attached += adding;
  }

  /** MS_MOVE: take `m` (a mount root, not the namespace root) from where it is and graft it at (parent, mp). */
  move(m: Mount, parent: Mount, mp: Dentry): void {
    if (!m.parent) throw new SysError(Errno.EINVAL);
    // Linux refuses to move a mount out of a shared parent.
    if (m.parent.group) throw new SysError(Errno.EINVAL);
    for (let p: Mount | null = parent; p; p = p.parent) if (p === m) throw new SysError(Errno.ELOOP);
    const size = MountTree.subtree(m).length;
    this.unlink(m);
    this.attached -= size;
    try {
      this.graft(m, parent, mp);
    } catch (e) {
      this.attached += size;
      throw e;
    }
  }

  /** pivot_root's change: `newRoot` goes where `oldRoot` was attached, and `oldRoot` onto (putOld, at). */
  pivot(newRoot: Mount, oldRoot: Mount, putOld: Mount, at: Dentry): void {
    const parent = oldRoot.parent;
    const mp = oldRoot.mountpoint;
    if (!parent || !mp) throw new SysError(Errno.EINVAL);
    this.unlink(newRoot);
    this.unlink(oldRoot);
    this.link(oldRoot, putOld, at);
    this.link(newRoot, parent, mp);
  }

  /**
   * Take `m` and everything mounted below it out of the tree (umount2), and
   * with them the copies that propagation put at the same places in peers
   * and slaves, when those copies have nothing mounted on them in turn.
   */
  umount(m: Mount): void {
    const going = MountTree.subtree(m);
    const gone = new Set(going);
    // One pass per (peer group, mount point): every peer's copy is found from any one of them.
    const done = new Map<object, Set<Dentry>>();
    const propagated: Mount[] = [];
    for (const x of going) {
      const parent = x.parent;
      const mp = x.mountpoint;
      if (!parent?.group || !mp) continue;
      const seenAt = done.get(parent.group) ?? new Set<Dentry>();
      if (seenAt.has(mp)) continue;
      seenAt.add(mp);
      done.set(parent.group, seenAt);
      for (const step of this.propagationSteps(parent, mp)) {
        const c = step.target.children.get(mp);
        if (!c || gone.has(c)) continue;
        const onlyTucked = c.children.size === 0 || (c.children.size === 1 && c.children.has(c.root));
        if (!onlyTucked) continue;
        gone.add(c);
        propagated.push(c);
      }
    }
    this.release(going);
    for (const c of propagated) {
      const tucked = c.children.get(c.root);
      const parent = c.parent;
      const mp = c.mountpoint;
      this.unlink(c);
      if (tucked) {
        this.unlink(tucked);
        if (parent && mp) this.link(tucked, parent, mp);
      }
      this.release([c]);
    }
  }

  /** Detach mounts (children before parents) and release filesystems no mount uses any more. */
  private release(mounts: Mount[]): void {
    for (const x of [...mounts].reverse()) {
      this.unlink(x);
      dropPropagation(x);
      if (x !== this.root) this.attached--;
      const n = (this.fsMounts.get(x.fs) ?? 1) - 1;
      if (n === 0) {
        this.fsMounts.delete(x.fs);
        filesystemUnmounted(x.fs);
        x.fs.release();
      } else this.fsMounts.set(x.fs, n);
    }
  }

  /** Tear every mount down (the VFS's dispose). */
  dispose(): void {
    this.release(MountTree.subtree(this.root));
  }

  /** All attached mounts, parents first (for /proc/self/mounts). */
  mounts(): Mount[] {
    return MountTree.subtree(this.root);
  }
}
