import type { FsRoot } from '@tvisor/kernel';
import { VirtualFilesystem } from '@tvisor/vfs';
import { HostFilesystem } from '@tvisor/vfs/host';

export interface RootfsOptions {
  /** Host directory shown as the sandbox's `/`. */
  hostRoot: string;
  /** Writes land in memory over the host tree (not yet: the root is read-only until the overlay lands). */
  overlay: boolean;
}

/** The sandbox's filesystem: the host root, never written. */
export function buildRootFilesystem(opts: RootfsOptions): FsRoot {
  const host = new HostFilesystem({ hostPath: opts.hostRoot, readOnly: true });
  const vfs = new VirtualFilesystem(host, { readOnly: true });
  return { vfs, root: vfs.root() };
}
