/**
 * `--overlay2`, as gVisor's runsc takes it: `none` (the root is the
 * bundle's rootfs, written through), or `root:MEDIUM` / `all:MEDIUM` (the
 * root, or the root and every bind mount, behind a copy-on-write overlay
 * whose writes stay in the sandbox). MEDIUM is `memory`, `self` or a host
 * directory; tVisor keeps the upper layer in sandbox memory for all three.
 */
import { UserError } from './errors.js';

export interface OverlayChoice {
  /** The root file system is behind an overlay. */
  root: boolean;
  /** Bind mounts are behind one too (`all:`). */
  mounts: boolean;
}

/** Parses an --overlay2 value; a value gVisor would refuse is a one-line error. */
export function parseOverlay2(value: string): OverlayChoice {
  if (value === 'none') return { root: false, mounts: false };
  const m = /^(root|all):(memory|self|\/.*)$/.exec(value);
  if (!m) throw new UserError(`invalid --overlay2 value "${value}": want none, root:memory, root:self, all:memory or all:self`);
  return { root: true, mounts: m[1] === 'all' };
}
