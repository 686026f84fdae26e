import type { FileDescription } from '@tvisor/vfs';
import type { Kernel } from '../kernel.js';
import { SocketImpl } from './socket.js';

/** Every socket descriptor a kernel's processes created, for /proc/net listings. */
const registries = new WeakMap<Kernel, Set<FileDescription>>();

/** Records a newly installed socket description. */
export function registerSocket(kernel: Kernel, file: FileDescription): void {
  let set = registries.get(kernel);
  if (!set) registries.set(kernel, (set = new Set()));
  set.add(file);
}

/** The kernel's sockets still open somewhere (closed ones are dropped as they are found), oldest first. */
export function liveSockets(kernel: Kernel): SocketImpl[] {
  const set = registries.get(kernel);
  if (!set) return [];
  const out: SocketImpl[] = [];
  for (const f of set) {
    if (f.refCount <= 0) set.delete(f);
    else if (f.impl instanceof SocketImpl) out.push(f.impl);
  }
  return out;
}
