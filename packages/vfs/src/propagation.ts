import type { Mount } from './mount.js';

/**
 * Shared subtrees (Documentation/filesystems/sharedsubtree.rst): a peer group
 * is a set of mounts that pass mount and umount events to each other; its
 * slaves receive those events but send none back.
 */
export class PeerGroup {
  readonly members = new Set<Mount>();
  /** Mounts that receive this group's events (their `master` is this group). */
  readonly slaves = new Set<Mount>();

  constructor(readonly id: number) {}
}

/** Group ids in use: a new group takes the smallest free id, as Linux's IDA hands them out. */
const usedGroupIds = new Set<number>();

function newGroup(): PeerGroup {
  let id = 1;
  while (usedGroupIds.has(id)) id++;
  usedGroupIds.add(id);
  return new PeerGroup(id);
}

/** Put `m` in `group` (it leaves no other group: callers make it private first). */
export function joinGroup(m: Mount, group: PeerGroup): void {
  m.group = group;
  group.members.add(m);
}

/** Make `m` a slave of `master` (or of nothing). */
export function setMaster(m: Mount, master: PeerGroup | null): void {
  if (m.master) m.master.slaves.delete(m);
  m.master = master;
  if (master) master.slaves.add(m);
}

/**
 * Take `m` out of its peer group. The last member leaving dissolves the
 * group: its slaves then take the group's master (the leaving mount's) as
 * theirs, so events from above still reach them.
 */
function leaveGroup(m: Mount): void {
  const g = m.group;
  if (!g) return;
  g.members.delete(m);
  m.group = null;
  if (g.members.size > 0) return;
  for (const s of [...g.slaves]) setMaster(s, m.master);
  usedGroupIds.delete(g.id);
}

/** MS_SHARED: a private or slave mount starts a peer group of its own. */
export function makeShared(m: Mount): void {
  m.unbindable = false;
  if (!m.group) joinGroup(m, newGroup());
}

/** MS_PRIVATE: no events in or out. */
export function makePrivate(m: Mount): void {
  leaveGroup(m);
  setMaster(m, null);
  m.unbindable = false;
}

/**
 * MS_SLAVE: a shared mount becomes a slave of its former peers (of its own
 * master when it had no peers); a private mount stays private.
 */
export function makeSlave(m: Mount): void {
  const g = m.group;
  if (g) {
    const hadPeers = g.members.size > 1;
    leaveGroup(m);
    if (hadPeers) setMaster(m, g);
  }
  m.unbindable = false;
}

/** MS_UNBINDABLE: private, and never the source of a bind mount. */
export function makeUnbindable(m: Mount): void {
  makePrivate(m);
  m.unbindable = true;
}

/** A mount leaving the tree (umount): it stops taking part in propagation. */
export function dropPropagation(m: Mount): void {
  leaveGroup(m);
  setMaster(m, null);
}

/** A copy `to` of `from` for a bind mount: a peer if `from` is shared, a fellow slave if it is a slave. */
export function inheritPropagation(to: Mount, from: Mount): void {
  if (from.group) joinGroup(to, from.group);
  if (from.master) setMaster(to, from.master);
}

/** A mount attached under a shared parent becomes shared (Linux's invent_group_ids). */
export function makeSharedIfPrivate(m: Mount): void {
  if (!m.group) joinGroup(m, newGroup());
}

/** A copy `to` of `from` for a peer group that is a slave of `from`'s group (and, when `shared`, shared itself). */
export function slaveCopy(to: Mount, from: Mount, shared: boolean): void {
  setMaster(to, from.group ?? from.master);
  if (shared) joinGroup(to, newGroup());
}

/** The optional fields of /proc/PID/mountinfo (shared:N, master:N, unbindable). */
export function propagationFields(m: Mount): string[] {
  const out: string[] = [];
  if (m.group) out.push(`shared:${m.group.id}`);
  if (m.master) out.push(`master:${m.master.id}`);
  if (m.unbindable) out.push('unbindable');
  return out;
}
